"""Named, ordered schema steps, each applied once and recorded in ``_migrations``.

Steps live as ``migrations_sql/mNNN_name.sql`` (the warehouse; the SQLite ledger's are in
``ledger_sqlite/``, applied by ``ledger_migrate``); the file name is the step's identity
and is never renamed. A step runs in its own transaction, so a failing
step leaves no half-applied schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.warehouse.db import Connection

__all__ = ["applied", "migrate", "steps"]


def steps(folder_name: str = "migrations_sql") -> list[tuple[str, str]]:
    """All migration steps of one database as (name, sql), in name order."""
    folder = resources.files("assistant.warehouse") / folder_name
    found = [
        (entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.startswith("m") and entry.name.endswith(".sql")
    ]
    return sorted(found)


def applied(con: Connection) -> list[str]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
    )
    return [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]


def migrate(con: Connection, folder_name: str = "migrations_sql") -> list[str]:
    """Apply every step not yet recorded; return the names applied now."""
    done = set(applied(con))
    ran: list[str] = []
    for name, sql in steps(folder_name):
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO _migrations VALUES (?, ?)",
                [name, datetime.now(UTC).replace(tzinfo=None)],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        ran.append(name)
    return ran
