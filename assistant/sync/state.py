"""Per-source sync state in the ledger (SQLite): watermarks, export versions, outcomes.

Sync state sits in the ledger, not the warehouse, because it is written after each step by
whichever process syncs while readers (``/v1/status``) read it, and because recording a
failure must work even when the warehouse write it describes rolled back. Crash safety
does not need the data and its watermark in one transaction: every step is idempotent (a
re-ingested window or billing period replaces itself), so a crash between the data's
commit and the watermark's just repeats that step next time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.config import Settings
from assistant.warehouse.ledger import ledger, read_ledger

__all__ = [
    "SourceState",
    "add_pending",
    "clear_pending",
    "load_state",
    "pending_windows",
    "record_error",
    "record_success",
    "save_progress",
    "states",
]


@dataclass
class SourceState:
    source: str
    kind: str
    watermark: datetime | None = None
    versions: dict[str, str] = field(default_factory=dict)
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    rows_total: int = 0

    def to_dict(self, now: datetime) -> dict[str, Any]:
        """JSON-safe, with the lag: how far behind ``now`` the data is, in seconds."""
        lag = (now - self.watermark).total_seconds() if self.watermark else None
        iso = {
            k: (v.isoformat() + "Z" if isinstance(v, datetime) else v)
            for k, v in (
                ("watermark", self.watermark),
                ("last_attempt_at", self.last_attempt_at),
                ("last_success_at", self.last_success_at),
                ("last_error_at", self.last_error_at),
            )
        }
        return {
            "source": self.source,
            "kind": self.kind,
            **iso,
            "lag_seconds": lag,
            "last_error": self.last_error,
            "rows_total": self.rows_total,
            "objects": len(self.versions),
        }


_COLS = (
    "source, kind, watermark, state, last_attempt_at, last_success_at, last_error, "
    "last_error_at, rows_total"
)


def _row(r: tuple[Any, ...]) -> SourceState:
    return SourceState(
        source=str(r[0]),
        kind=str(r[1]),
        watermark=r[2],
        versions=json.loads(r[3]) if r[3] else {},
        last_attempt_at=r[4],
        last_success_at=r[5],
        last_error=r[6],
        last_error_at=r[7],
        rows_total=int(r[8] or 0),
    )


def load_state(settings: Settings, source: str, kind: str) -> SourceState:
    rows = read_ledger(settings, f"SELECT {_COLS} FROM sync_sources WHERE source = ?", [source])
    return _row(rows[0]) if rows else SourceState(source, kind)


def states(settings: Settings) -> list[SourceState]:
    return [_row(r) for r in read_ledger(settings, f"SELECT {_COLS} FROM sync_sources")]


def _upsert(con: Any, st: SourceState) -> None:
    con.execute(
        f"INSERT OR REPLACE INTO sync_sources ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            st.source,
            st.kind,
            st.watermark,
            json.dumps(st.versions, sort_keys=True),
            st.last_attempt_at,
            st.last_success_at,
            st.last_error,
            st.last_error_at,
            st.rows_total,
        ],
    )


def save_progress(
    settings: Settings, st: SourceState, window: tuple[datetime, datetime] | None, rows: int
) -> None:
    """One committed step: the new watermark/versions and the hours to allocate, together."""
    st.rows_total += rows
    with ledger(settings) as con:
        _upsert(con, st)
        if window is not None:
            con.execute(
                'INSERT INTO sync_pending_allocation (start, "end", source, added_at) '
                "VALUES (?, ?, ?, ?)",
                [window[0], window[1], st.source, st.last_attempt_at or window[1]],
            )


def record_success(settings: Settings, st: SourceState, at: datetime) -> None:
    st.last_success_at, st.last_error, st.last_error_at = at, None, None
    with ledger(settings) as con:
        _upsert(con, st)


def record_error(settings: Settings, st: SourceState, at: datetime, error: str) -> None:
    st.last_error, st.last_error_at = error[:2000], at
    with ledger(settings) as con:
        _upsert(con, st)


def add_pending(settings: Settings, source: str, start: datetime, end: datetime) -> None:
    with ledger(settings) as con:
        con.execute(
            'INSERT INTO sync_pending_allocation (start, "end", source, added_at) '
            "VALUES (?, ?, ?, ?)",
            [start, end, source, end],
        )


def pending_windows(settings: Settings) -> list[tuple[datetime, datetime]]:
    rows = read_ledger(
        settings, 'SELECT start, "end" FROM sync_pending_allocation ORDER BY start, "end"'
    )
    return [(r[0], r[1]) for r in rows]


def clear_pending(settings: Settings, upto: list[tuple[datetime, datetime]]) -> None:
    """Forget the windows just allocated (ones added meanwhile stay pending)."""
    with ledger(settings) as con:
        for start, end in upto:
            con.execute(
                'DELETE FROM sync_pending_allocation WHERE start = ? AND "end" = ?', [start, end]
            )
