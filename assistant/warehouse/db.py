"""Opening the DuckDB file: one writer at a time, readers on published snapshots.

DuckDB allows a single read-write process per file, and no reader in another process
while it writes. Ingest, allocation and sync take the writer inside ``writer()``, which
wraps the whole job in one transaction (a failed import leaves the database exactly as it
was) and, on commit, publishes a read snapshot (:mod:`.snapshots`). A writer that finds
another writer at work waits for it, saying so once (``penny.warehouse`` log), instead of
failing. Question answering opens the newest snapshot read-only, so it never meets a
writer's lock and no tool, LLM-produced SQL or HTTP request can change anything.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import duckdb

from assistant.config import Settings, load_settings
from assistant.errors import DataGap, SourceUnavailable
from assistant.warehouse.snapshots import publish, read_path
from assistant.warehouse.sql_text import lit
from assistant.warehouse.stale_hours import record_stale_hours

Connection = duckdb.DuckDBPyConnection

__all__ = [
    "Connection",
    "connect",
    "one_reader",
    "reader",
    "reading_stamp",
    "thread_cursor",
    "warehouse_stamp",
    "writer",
]

log = logging.getLogger("penny.warehouse")
#: seconds between two tries to open a file another process holds
_RETRY_S = 0.25

#: the read-only connection lent to every ``reader()`` inside ``one_reader()`` (same path)
_LENT: ContextVar[tuple[str, Connection] | None] = ContextVar("penny_lent_reader", default=None)


def connect(path: Path | str, *, read_only: bool = False) -> Connection:
    """Open ``path``; a locked or corrupt file becomes a SourceUnavailable with the path."""
    path = Path(path)
    if read_only and not path.exists():
        raise DataGap(
            f"No warehouse at {path}.",
            hint="Run `penny demo` or `penny ingest …` first (or set PENNY_DB).",
            path=str(path),
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Readers cannot touch the file system either: no read_csv('/etc/…'), no ATTACH.
        config: dict[str, str | bool | int | float | list[str]] = (
            {"enable_external_access": False} if read_only else {}
        )
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:
        # IOException: another process holds the file. ConnectionException: this process
        # already has it open in the other mode (read-only vs read-write). DuckDB's own
        # text names the holder's interpreter and PID: kept in the context, not the message.
        raise SourceUnavailable(
            f"Cannot open the warehouse {path}: {_why_not(exc)}.",
            hint="Another Penny process may be writing to it; retry when it finishes.",
            path=str(path),
            detail=str(exc),
        ) from exc
    con.execute("SET TimeZone = 'UTC'")
    if read_only:
        _see_allocation_view(con)
    return con


def _why_not(exc: duckdb.Error) -> str:
    text = str(exc)
    if isinstance(exc, duckdb.ConnectionException):
        return "this process has it open in the other mode (read-only or read-write)"
    if "lock" in text.lower():
        return "another process holds it (an import or allocation is writing)"
    return text.split("\n")[0][:200]


def _see_allocation_view(con: Connection) -> None:
    """Readers resolve ``allocations`` to the view that adds the container rows computed at
    query time (m004); writers keep the table, which holds the stored rows and takes inserts."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'allocation_view'"
    ).fetchone()
    if row and row[0]:
        con.execute("SET search_path = 'allocation_view,main'")


def thread_cursor(con: Connection) -> Connection:
    """A cursor of ``con`` for another thread, set up as ``con`` is.

    A DuckDB cursor shares the database (and so the snapshot) but not the session: its
    ``search_path`` is empty, so a reader's cursor would read the stored ``allocations``
    table instead of the view, silently missing every container row.
    """
    row = con.execute(
        "SELECT current_setting('search_path'), current_setting('TimeZone')"
    ).fetchone()
    assert row is not None
    cur = con.cursor()
    try:
        cur.execute(f"SET TimeZone = {lit(str(row[1]))}")
        if row[0]:
            cur.execute(f"SET search_path = {lit(str(row[0]))}")
    except BaseException:
        cur.close()
        raise
    return cur


def _holder(exc: Exception) -> str:
    """Who holds the file, from DuckDB's message ('… (PID 1234)'), for the wait message."""
    found = re.search(r"PID (\d+)", str(exc))
    return f"process {found.group(1)}" if found else "another connection"


def _open_waiting(path: Path, settings: Settings, *, read_only: bool) -> Connection:
    """Open ``path``, waiting (and saying so once) while another process or connection holds
    it, up to ``settings.warehouse_wait_s``; only then a SourceUnavailable."""
    deadline = time.monotonic() + settings.warehouse_wait_s
    told = False
    while True:
        try:
            return connect(path, read_only=read_only)
        except SourceUnavailable as exc:
            cause = exc.__cause__
            if not isinstance(cause, (duckdb.IOException, duckdb.ConnectionException)):
                raise
            if time.monotonic() >= deadline:
                raise SourceUnavailable(
                    f"The warehouse {path} stayed busy for {settings.warehouse_wait_s:g} s "
                    "(another Penny process is writing it).",
                    hint="Wait for that Penny command to finish (or stop it), then retry; "
                    "raise warehouse_wait_s to wait longer.",
                    path=str(path),
                    holder=_holder(cause),
                    detail=str(cause),
                ) from cause
            if not told:
                what = "read" if read_only else "write"
                log.warning(
                    "Waiting to %s the warehouse %s: %s is writing it; this continues as "
                    "soon as it finishes (up to %g s).",
                    what,
                    path,
                    _holder(cause),
                    settings.warehouse_wait_s,
                )
                told = True
            time.sleep(_RETRY_S)


@contextmanager
def writer(
    settings: Settings | None = None, *, migrate_first: bool = True, publish_snapshot: bool = True
) -> Iterator[Connection]:
    """The single write path: wait for the file, migrate, BEGIN, yield, COMMIT — or ROLLBACK
    on any error — then publish the read snapshot of what was committed."""
    from assistant.warehouse.migrations import migrate

    settings = settings or load_settings()
    con = _open_waiting(settings.db_path, settings, read_only=False)
    try:
        if migrate_first:
            migrate(con)
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            record_stale_hours(con)  # readers count stale hours from it (stale_hours.py)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        if publish_snapshot:
            publish(con, settings)
    finally:
        con.close()


@contextmanager
def reader(settings: Settings | None = None) -> Iterator[Connection]:
    """A read-only connection to the newest published snapshot (or, before the first
    snapshot, the warehouse itself); the warehouse must already exist."""
    settings = settings or load_settings()
    lent = _LENT.get()
    if lent is not None and lent[0] == str(settings.db_path):
        yield lent[1]  # inside one_reader(): its owner closes it
        return
    con = _open_reader(settings)
    try:
        yield con
    finally:
        con.close()


def _open_reader(settings: Settings) -> Connection:
    if not settings.db_path.exists():
        return connect(settings.db_path, read_only=True)  # raises DataGap with the next step
    for _ in range(3):
        path = read_path(settings)
        try:
            return _open_waiting(path, settings, read_only=True)
        except DataGap:  # a snapshot pruned between picking and opening it: pick again
            continue
    return _open_waiting(read_path(settings), settings, read_only=True)


def reading_stamp(settings: Settings) -> tuple[object, ...]:
    """Identity of what readers see now: the file they open and its contents' stamp."""
    path = read_path(settings)
    return (str(path), *warehouse_stamp(path))


@contextmanager
def one_reader(settings: Settings) -> Iterator[None]:
    """Lend one read-only connection to every ``reader()`` of this thread until exit.

    Opening the file costs tens of milliseconds and one answer reads it several times
    (names, each tool, provenance). The connection lives only as long as the block, so
    between answers nothing holds the file and ingest in another process can write.
    Nested blocks reuse the outer connection; a missing warehouse lends nothing (readers
    then raise DataGap as before).
    """
    path = str(settings.db_path)
    lent = _LENT.get()
    if (lent is not None and lent[0] == path) or not settings.db_path.exists():
        yield
        return
    con = _open_reader(settings)
    token = _LENT.set((path, con))
    try:
        yield
    finally:
        _LENT.reset(token)
        con.close()


def warehouse_stamp(path: Path | str) -> tuple[int, ...]:
    """Identity of the file's current contents, from its and its WAL's stat (no query).

    Every commit writes the WAL or the file (and a checkpoint removes the WAL), so a cache
    keyed on this stamp is dropped by any write, from any process.
    """
    out: list[int] = []
    for p in (Path(path), Path(f"{path}.wal")):
        try:
            st = p.stat()
        except OSError:  # absent (or a path that cannot be a file)
            out.extend((0, 0, 0))
            continue
        out.extend((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)
