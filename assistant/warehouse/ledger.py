"""The ledger: Penny's own activity (AI usage, conversations), in a SQLite file in WAL mode.

Why not DuckDB like the warehouse: DuckDB lets one process write a file while no other
process holds it, but every question from every process (the server, each CLI `penny
ask`, an import) appends a row here. SQLite in WAL mode takes appends from many processes
at once (each waits its turn for microseconds under ``busy_timeout``, never failing) while
readers go on reading: the right tool for an append-only multi-process log (``llm`` logs
the same way). Default ``$PENNY_HOME/ledger.sqlite``, beside the warehouse. A
``ledger.duckdb`` from before is copied in once, on first open (see ``_ledger_import``).

Money is stored as exact decimal text and summed with ``decimal_sum()`` (a Python
aggregate over ``Decimal``); times are ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC, which
sorts and compares as time. Parameters may be ``datetime`` and ``Decimal``: they are
written in those forms here, once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.errors import SourceUnavailable

__all__ = [
    "LedgerConnection",
    "kept_open",
    "ledger",
    "ledger_path",
    "read_ledger",
    "sql_time",
]

_MIGRATE_LOCK = threading.Lock()
_TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def sql_time(value: datetime) -> str:
    """The stored form of a time: naive UTC, microseconds always written (sorts as text)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime(_TS_FORMAT)


def _param(value: object) -> object:
    if isinstance(value, datetime):
        return sql_time(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _to_time(raw: bytes) -> datetime:
    return datetime.fromisoformat(raw.decode())


def _to_decimal(raw: bytes) -> Decimal:
    return Decimal(raw.decode())


# Converters for the declared column types TSTEXT and DECTEXT (names no other sqlite3
# user in the process shares, so registering them process-wide changes nobody else).
sqlite3.register_converter("TSTEXT", _to_time)
sqlite3.register_converter("DECTEXT", _to_decimal)


class _DecimalSum:
    """``decimal_sum(x)``: SUM over exact decimals; NULL when every value is NULL."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: object) -> None:
        if value is None:
            return
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        self.total = amount if self.total is None else self.total + amount

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


class LedgerConnection:
    """A sqlite3 connection whose ``execute`` takes datetime and Decimal parameters."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.raw = con

    def execute(self, sql: str, params: Sequence[object] | None = None) -> sqlite3.Cursor:
        return self.raw.execute(sql, [_param(p) for p in params or []])

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> sqlite3.Cursor:
        return self.raw.executemany(sql, ([_param(p) for p in row] for row in rows))


def ledger_path(settings: Settings) -> Path:
    return settings.db_path.with_name("ledger.sqlite")


def _open(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(
            str(path),
            timeout=busy_timeout_s,
            isolation_level=None,  # we BEGIN/COMMIT ourselves
            detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
            check_same_thread=False,
        )
        con.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        _use_wal(con, time.monotonic() + busy_timeout_s)
        con.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise SourceUnavailable(
            f"Cannot open the ledger {path}: {exc}",
            hint="Check that PENNY_HOME is writable and the file is a Penny ledger.",
            path=str(path),
        ) from exc
    con.create_aggregate("decimal_sum", 1, _DecimalSum)  # type: ignore[arg-type]
    _ensure_schema(con, path)
    return con


def _use_wal(con: sqlite3.Connection, deadline: float) -> None:
    """Put the file in WAL mode, waiting for a writer as ``busy_timeout`` would.

    SQLite answers ``journal_mode = WAL`` with "database is locked" at once, without calling
    the busy handler, while another connection writes a file still in rollback mode (a
    second process opening a ledger the first is creating). WAL is kept in the file, so
    once any connection has set it the first read here returns ``wal`` and nothing waits.
    """
    while True:
        try:
            row = con.execute("PRAGMA journal_mode").fetchone()
            if row is not None and str(row[0]).lower() == "wal":
                return
            con.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _ensure_schema(con: sqlite3.Connection, path: Path) -> None:
    """Migrate unless ``user_version`` says every step (and the DuckDB import) is done:
    one pragma read per open, so a deleted and recreated ledger is migrated again."""
    steps = _steps()
    version = con.execute("PRAGMA user_version").fetchone()
    if version is not None and version[0] == len(steps) + 1:
        return
    with _MIGRATE_LOCK:
        from assistant.warehouse.ledger_migrate import migrate_ledger

        migrate_ledger(con, steps, path.with_name("ledger.duckdb"))


def _steps() -> list[tuple[str, str]]:
    folder = resources.files("assistant.warehouse") / "ledger_sqlite"
    return sorted(
        (entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.startswith("m") and entry.name.endswith(".sql")
    )


@contextmanager
def ledger(settings: Settings | None = None) -> Iterator[LedgerConnection]:
    """One write transaction (BEGIN IMMEDIATE): commit on success, roll back on any error.

    IMMEDIATE takes the write lock at once, so two processes' transactions queue under
    ``busy_timeout`` instead of failing at commit.
    """
    settings = settings or load_settings()
    path = ledger_path(settings)
    con = _open(path, settings.ledger_busy_timeout_s)
    try:
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise SourceUnavailable(
                f"The ledger {path} stayed locked for {settings.ledger_busy_timeout_s:g} s: {exc}",
                hint="Another process holds a write transaction open; check for a hung "
                "Penny process.",
                path=str(path),
            ) from exc
        try:
            yield LedgerConnection(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


@contextmanager
def kept_open(settings: Settings) -> Iterator[None]:
    """Kept for callers of the DuckDB-era API: a SQLite open costs microseconds and holds no
    lock between statements, so there is nothing to keep open between a question's reads."""
    del settings
    yield


def read_ledger(
    settings: Settings, sql: str, params: Sequence[object] | None = None
) -> list[tuple[Any, ...]]:
    """Run one read query (SQLite SQL; ``decimal_sum`` for money); no ledger reads as no rows.

    Readers never wait for writers in WAL mode.
    """
    path = ledger_path(settings)
    if not path.exists():
        return []
    con = _open(path, settings.ledger_busy_timeout_s)
    try:
        return [tuple(r) for r in LedgerConnection(con).execute(sql, params).fetchall()]
    except sqlite3.Error as exc:
        raise SourceUnavailable(
            f"Reading the ledger {path} failed: {exc}", path=str(path), sql=sql
        ) from exc
    finally:
        con.close()
