"""SQL text for DuckDB: the one place a name or a value is quoted into a statement.

Values from users travel as bound parameters; what must be spelled into the text (column
names of a billing file, a file path in ``COPY … TO``, a label key in a JSON path, the
placeholder names of :mod:`assistant.core.placeholders`) is quoted here, so every quote
is doubled the same way and no caller writes its own ``replace("'", "''")``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["ident", "json_key", "lit", "path_lit", "ranges_sql"]


def ident(name: str) -> str:
    """A quoted identifier: ``"Billed Cost"``; an embedded ``"`` is doubled."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A string literal: ``'it''s'``; an embedded ``'`` is doubled."""
    return "'" + text.replace("'", "''") + "'"


def path_lit(path: Path | str) -> str:
    """A file path as a string literal (for ``COPY … TO`` and ``read_parquet``)."""
    return lit(str(path))


def json_key(key: str) -> str:
    """A JSON path literal selecting one top-level key, quoted so keys with dots or
    slashes work (``$."app.kubernetes.io/name"``)."""
    return lit('$."' + key.replace('"', '\\"') + '"')


def ranges_sql(column: str, ranges: list[tuple[datetime, datetime]]) -> tuple[str, list[Any]]:
    """(SQL predicate, parameters): ``column`` in any of the half-open ``ranges``, the
    bounds bound as parameters."""
    sql = " OR ".join(f"({column} >= ? AND {column} < ?)" for _ in ranges)
    return f"({sql})", [t for r in ranges for t in r]
