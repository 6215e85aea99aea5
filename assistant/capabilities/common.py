"""What every capability needs: the warehouse (or why there is none), freshness, names.

These are the checks that used to be written once per door and so drifted apart: a
missing warehouse, the filter value that names nothing the asker may see (with
suggestions drawn only from what they may see), and how fresh the data is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from assistant.allocation.freshness import STALE_NOTE, stale_hours
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.costs.visible import visible_values
from assistant.errors import DataGap, NotFound
from assistant.knowledge.resolve import closest_names
from assistant.warehouse.db import Connection, reader
from assistant.windows import Window

__all__ = [
    "CHECKED_DIMENSIONS",
    "Freshness",
    "bounded",
    "check_filters",
    "freshness",
    "warehouse",
]

T = TypeVar("T")

#: dimensions whose filter values are checked against the names the asker may see
CHECKED_DIMENSIONS = (
    "namespace",
    "team",
    "app",
    "env",
    "cost_center",
    "controller",
    "node",
    "cluster",
    "service",
)

NO_WAREHOUSE_HINT = "Run `penny demo`, or `penny ingest …` and `penny allocate` first."


@contextmanager
def warehouse(ctx: Ctx, provenance: Provenance | None = None) -> Iterator[Connection]:
    """A read-only connection, or DataGap when nothing has been ingested yet."""
    if not ctx.settings.db_path.exists():
        raise DataGap(
            "There is no cost data yet (no warehouse).",
            hint=NO_WAREHOUSE_HINT,
            provenance=provenance,
            path=str(ctx.settings.db_path),
        )
    with reader(ctx.settings) as con:
        yield con


@dataclass(frozen=True)
class Freshness:
    """How current an answer is: the last successful ingest and stale allocated hours."""

    latest_ingest: datetime | None
    stale_hours: int

    def apply(self, prov: Provenance) -> Provenance:
        if self.latest_ingest is not None:
            prov.freshness = self.latest_ingest.isoformat() + "Z"
        note = STALE_NOTE.format(hours=self.stale_hours) if self.stale_hours else None
        if note and note not in prov.notes:
            prov.notes.append(note)
        return prov


def freshness(con: Connection, window: Window | None = None) -> Freshness:
    """One freshness check for every capability (ingest time, and staleness over window)."""
    row = con.execute("SELECT max(finished_at) FROM ingest_log WHERE status = 'ok'").fetchone()
    latest = row[0] if row and row[0] is not None else None
    return Freshness(latest, stale_hours(con, window) if window is not None else 0)


def check_filters(con: Connection, ctx: Ctx, filters: Mapping[str, str]) -> None:
    """NotFound for the first filter value that names nothing the asker may see.

    Suggestions come only from the asker's own names, so a scoped token cannot probe
    another team's workloads by misspelling them.
    """
    for key, value in filters.items():
        if key not in CHECKED_DIMENSIONS:
            continue
        known = visible_values(con, ctx.settings, key, ctx.scope)
        if value in known:
            continue
        near = closest_names(value, known)
        hint = (
            f"Did you mean: {', '.join(near)}?"
            if near
            else f"Known values: {', '.join(sorted(known)[:15]) or 'none'}."
        )
        raise NotFound(
            f"No {key} named {value!r} in the cost data you may see.",
            hint=hint + " Filters need exact names; search_knowledge can resolve a loose name.",
            dimension=key,
            value=value,
            suggestions=near,
        )


def bounded(items: list[T], top: int | None) -> tuple[list[T], int]:
    """The first ``top`` items (all when None) and how many more there were."""
    if top is None:
        return items, 0
    return items[:top], max(0, len(items) - top)
