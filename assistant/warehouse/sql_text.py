"""SQL text for DuckDB: the one place a name or a value is quoted into a statement.

Values from users travel as bound parameters; what must be spelled into the text (column
names of a billing file, a file path in ``COPY … TO``, a label key in a JSON path, the
placeholder names of :mod:`assistant.core.placeholders`) is quoted here, so every quote
is doubled the same way and no caller writes its own ``replace("'", "''")``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ident", "json_key", "lit", "path_lit"]


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
