"""Opening the DuckDB file: one writer, many read-only readers.

DuckDB allows a single read-write process per file. Ingest and allocation take the
writer inside ``writer()``, which wraps the whole job in one transaction so a failed
import leaves the database exactly as it was. Question answering opens the file
read-only, so no tool, LLM-produced SQL or HTTP request can change it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from assistant.config import Settings, load_settings
from assistant.errors import DataGap, SourceUnavailable

Connection = duckdb.DuckDBPyConnection

__all__ = ["Connection", "connect", "reader", "writer"]


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
    except duckdb.IOException as exc:
        raise SourceUnavailable(
            f"Cannot open the warehouse {path}: {exc}",
            hint="Another Penny process may be writing to it; retry when it finishes.",
            path=str(path),
        ) from exc
    con.execute("SET TimeZone = 'UTC'")
    if read_only:
        _see_allocation_view(con)
    return con


def _see_allocation_view(con: Connection) -> None:
    """Readers resolve ``allocations`` to the view that adds the container rows computed at
    query time (m004); writers keep the table, which holds the stored rows and takes inserts."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'allocation_view'"
    ).fetchone()
    if row and row[0]:
        con.execute("SET search_path = 'allocation_view,main'")


@contextmanager
def writer(settings: Settings | None = None, *, migrate_first: bool = True) -> Iterator[Connection]:
    """The single write path: migrate, BEGIN, yield, COMMIT — or ROLLBACK on any error."""
    from assistant.warehouse.migrations import migrate

    settings = settings or load_settings()
    con = connect(settings.db_path)
    try:
        if migrate_first:
            migrate(con)
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
def reader(settings: Settings | None = None) -> Iterator[Connection]:
    """A read-only connection for answering questions; the file must already exist."""
    settings = settings or load_settings()
    con = connect(settings.db_path, read_only=True)
    try:
        yield con
    finally:
        con.close()
