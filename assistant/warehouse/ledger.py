"""The ledger: Penny's own activity (AI usage, conversations, audit), in its own DuckDB file.

Why a second file: DuckDB lets one process write a file while no other process holds
it, and answering questions must never hold the warehouse's writer (ingest would be
locked out while a server runs). Every question writes a ledger row, so the ledger is
opened briefly per write, under a process-wide lock, and retried if another process
holds it for a moment. Default ``$PENNY_HOME/ledger.duckdb``, beside the warehouse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assistant.config import Settings, load_settings
from assistant.errors import SourceUnavailable
from assistant.warehouse.db import Connection
from assistant.warehouse.migrations import migrate

__all__ = ["kept_open", "ledger", "ledger_path", "read_ledger"]

_LOCK = threading.RLock()
_RETRIES = 40
_BACKOFF_S = 0.05
#: ledger files this process has migrated, with their number of applied steps
_MIGRATED: dict[str, int] = {}


def ledger_path(settings: Settings) -> Path:
    return settings.db_path.with_name("ledger.duckdb")


@contextmanager
def ledger(settings: Settings | None = None) -> Iterator[Connection]:
    """Open the ledger read-write in one transaction; commit on success, roll back on error."""
    settings = settings or load_settings()
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        con = _open_with_retry(path)
        try:
            _ensure_schema(con, path)
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()


@contextmanager
def kept_open(settings: Settings) -> Iterator[None]:
    """Keep the ledger's database open in this process until exit, without a transaction.

    Opening the file starts a DuckDB instance (tens of milliseconds) and closing the last
    handle checkpoints it; one question opens the ledger several times (AI spend beside
    the costs, then its own row). While this block holds a handle, each ``ledger()`` open
    reuses the running instance and costs almost nothing. Nothing is locked here: writes
    still take the process lock and their own transaction. Best effort: if the ledger does
    not exist yet or another process holds it, nothing is kept and each open works as
    before. Closed on exit, so between questions other processes can use the file.
    """
    path = ledger_path(settings)
    con: Connection | None = None
    if path.exists():
        # Opens and closes go through the process lock, as in ledger(): the last handle's
        # close shuts the instance down, and no other open may race with that.
        with _LOCK:
            try:
                con = duckdb.connect(str(path))
            except duckdb.IOException:  # another process has it right now
                con = None
    try:
        yield
    finally:
        if con is not None:
            with _LOCK:
                con.close()


def _ensure_schema(con: Connection, path: Path) -> None:
    """Migrate, unless this process already did and the file still has every step.

    Every question opens the ledger at least once; re-running the migration check each
    time cost about a quarter of the open. One count of ``_migrations`` confirms the file
    is the one migrated (a deleted and re-created ledger has none and is migrated again).
    """
    key = str(path)
    expected = _MIGRATED.get(key)
    if expected is not None:
        try:
            row = con.execute("SELECT count(*) FROM _migrations").fetchone()
        except duckdb.CatalogException:
            row = None
        if row is not None and row[0] == expected:
            return
    migrate(con, "ledger_sql")
    done = con.execute("SELECT count(*) FROM _migrations").fetchone()
    _MIGRATED[key] = int(done[0]) if done else 0


def _open_with_retry(path: Path) -> Connection:
    last: Exception | None = None
    for attempt in range(_RETRIES):
        try:
            con = duckdb.connect(str(path))
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:  # another process holds the file right now
            last = exc
            time.sleep(_BACKOFF_S * (1 + attempt % 4))
    raise SourceUnavailable(
        f"The ledger {path} stayed locked by another process.",
        hint="Another Penny process is writing to it; retry in a moment.",
        path=str(path),
        detail=str(last),
    )


def read_ledger(
    settings: Settings, sql: str, params: list[object] | None = None
) -> list[tuple[object, ...]]:
    """Run one read query on the ledger; an absent ledger reads as no rows.

    Goes through the same process lock as writes (DuckDB refuses a read-only and a
    read-write handle on one file inside one process).
    """
    path = ledger_path(settings)
    if not path.exists():
        return []
    with ledger(settings) as con:
        return con.execute(sql, params or []).fetchall()
