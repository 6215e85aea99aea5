"""Schema steps of the SQLite ledger, and the one-time copy of a DuckDB-era ledger.

Each step runs in one ``BEGIN IMMEDIATE`` transaction that first re-checks
``_migrations``, so two processes opening a new ledger at once apply each step once.
``PRAGMA user_version`` ends at (steps + 1) when everything, the import included, is done.

The import: Penny before 0.2 kept the ledger in ``ledger.duckdb``. Its rows are copied in
the same transaction that records the import, so a crash half-way copies nothing and the
next open tries again; on success the old file is renamed ``ledger.duckdb.imported`` (kept,
never deleted) so nothing is read twice and an operator can still look at it.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from assistant.errors import SourceUnavailable

__all__ = ["IMPORT_STEP", "migrate_ledger"]

log = logging.getLogger(__name__)
IMPORT_STEP = "import_ledger_duckdb"
_TABLES = ("ai_usage", "conversations")


def _statements(script: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        out.append(buf.strip())
    return out


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")


def migrate_ledger(con: sqlite3.Connection, steps: list[tuple[str, str]], old: Path) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, script in [*steps, (IMPORT_STEP, "")]:
        con.execute("BEGIN IMMEDIATE")
        try:
            done = con.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone()
            if not done:
                if name == IMPORT_STEP:
                    _import_duckdb(con, old)
                else:
                    for statement in _statements(script):
                        con.execute(statement)
                con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, _now()])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        if name == IMPORT_STEP and not done and old.exists():
            old.rename(old.with_name(old.name + ".imported"))
    con.execute(f"PRAGMA user_version = {len(steps) + 1}")


def _import_duckdb(con: sqlite3.Connection, old: Path) -> None:
    if not old.exists():
        return
    import duckdb

    try:
        src = duckdb.connect(str(old), read_only=True)
    except duckdb.Error as exc:
        raise SourceUnavailable(
            f"Cannot read the old ledger {old} to copy it into the new one: {exc}",
            hint="Stop the older Penny process that holds it, then run the command again.",
            path=str(old),
        ) from exc
    try:
        names = {r[0] for r in src.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        copied = {}
        for table in _TABLES:
            if table not in names:
                continue
            cols = [r[0] for r in src.execute(f"DESCRIBE {table}").fetchall()]
            rows = src.execute(f"SELECT * FROM {table}").fetchall()
            marks = ", ".join("?" for _ in cols)
            con.executemany(
                f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                ([_value(v) for v in row] for row in rows),
            )
            copied[table] = len(rows)
    finally:
        src.close()
    log.warning("Copied the old ledger %s into the SQLite ledger: %s", old, copied)


def _value(v: object) -> object:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, Decimal):
        return format(v, "f")
    return v
