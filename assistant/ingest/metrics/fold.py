"""Inventory rows of a whole ingest folded in Python, upserted once at the end.

Every chunk of an ingest sees the same pods, nodes, owners and namespaces again; upserting
them once per chunk made DuckDB look up and rewrite the same keys thirty times for a
month. :class:`InventoryFold` applies the writer's upsert rule (``metrics_store``:
``first_seen`` the least, ``last_seen`` the greatest, other columns from the row with the
newer ``last_seen``, ties to the later row; tables without ``last_seen``: the later row)
as rows arrive. The rule is associative, so folding the chunks first and upserting the
result over the warehouse's rows gives exactly what chunk-by-chunk upserts gave.

NULLs follow SQL: ``least``/``greatest`` skip a NULL ``first_seen``. A NULL ``last_seen``
would break the associativity (such a row is kept only if nothing was there before, which
only the warehouse knows), so the fold refuses one; the mapping always sets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assistant.ingest.metrics.rows import Row

__all__ = ["InventoryFold", "fold_row"]


def _least(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def fold_row(old: Row, new: Row) -> Row:
    """``old`` upserted with ``new``, as ``INSERT … ON CONFLICT DO UPDATE`` in the store."""
    if "last_seen" not in new:
        return new
    if new["last_seen"] is None or old["last_seen"] is None:
        raise ValueError(f"inventory row without last_seen cannot be folded: {new}")
    out = dict(new if new["last_seen"] >= old["last_seen"] else old)
    if "first_seen" in new:
        out["first_seen"] = _least(old["first_seen"], new["first_seen"])
    out["last_seen"] = max(old["last_seen"], new["last_seen"])
    return out


class InventoryFold:
    """Rows per inventory table and key, folded by :func:`fold_row` as chunks arrive."""

    def __init__(self, keys: Mapping[str, tuple[str, ...]]) -> None:
        self.keys = dict(keys)
        self.rows: dict[str, dict[tuple[Any, ...], Row]] = {t: {} for t in keys}

    def add(self, table: str, rows: Iterable[Row]) -> None:
        cols = self.keys[table]
        acc = self.rows[table]
        for row in rows:
            key = tuple(row[c] for c in cols)
            prev = acc.get(key)
            acc[key] = row if prev is None else fold_row(prev, row)

    def table_rows(self, table: str) -> list[Row]:
        return list(self.rows[table].values())
