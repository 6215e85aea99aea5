"""The ingest log: one row per ingest/allocation run, so stored rows can name their source."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant.warehouse.db import Connection

__all__ = ["IngestRun", "start_run"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class IngestRun:
    """An ingest in progress inside the writer's transaction.

    The row is written by :meth:`finish`, inside the same transaction as the data, so a
    failed import leaves neither data nor a log row behind.
    """

    con: Connection
    kind: str
    source: str
    ingest_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=_now)

    def finish(
        self,
        rows_written: int,
        *,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.con.execute(
            "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?)",
            [
                self.ingest_id,
                self.kind,
                self.source,
                self.started_at,
                _now(),
                rows_written,
                window_start,
                window_end,
                json.dumps(details or {}, default=str),
            ],
        )


def start_run(con: Connection, kind: str, source: str) -> IngestRun:
    return IngestRun(con=con, kind=kind, source=source)
