"""The hostile-input suite's shared ground: a demo warehouse, tokens, and the two checks
every case ends with — nothing stored changed, and Penny still answers.

``snapshot()`` fingerprints every base table of the warehouse and the ledger (row count
and an order-free sum of row hashes), so "unchanged" means unchanged to the row, not
"the totals still match". ``still_answers()`` asks a real question and checks its
number against an independent SQL sum.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.auth import hash_token
from assistant.warehouse.db import reader
from assistant.warehouse.ledger import ledger_path
from tests.demo_warehouse import SMALL_END, demo_copy

NOW = datetime(2026, 11, 20)
ADMIN = "pny_hostile-admin"
TEAM = "pny_hostile-team-payments"
NS = "pny_hostile-ns-payments"

#: labels that are markup somewhere: Slack control sequences, Markdown links and table
#: pipes, Rich markup, HTML, entities, a newline and a bidi override
HOSTILE_LABELS = [
    "<!channel>",
    "<!here|here>",
    "<@U024BE7LH>",
    "<#C024BE7LR|general>",
    "[click me](https://evil.example/x)",
    "a|b|c",
    "*bold* _it_ ~gone~",
    "`code`",
    "[click me]",
    "[bold red]red[/]",
    "<script>alert(1)</script>",
    "&amp; &lt;",
    "line\nbreak",
    "tab\there",
    "\u202eevil",
    "__dunder__",
    "# heading",
]


def tokens() -> list[dict[str, Any]]:
    return [
        {"sha256": hash_token(ADMIN), "user": "ada", "scope": ["*"], "rate_per_minute": 100_000},
        {
            "sha256": hash_token(TEAM),
            "user": "pat",
            "scope": ["team:payments"],
            "rate_per_minute": 100_000,
        },
        {
            "sha256": hash_token(NS),
            "user": "nat",
            "scope": ["ns:payments"],
            "rate_per_minute": 100_000,
        },
    ]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def hostile_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo (to 2026-11-20), one private copy for the whole suite: every case
    must leave it exactly as it found it, which the cases check."""
    return demo_copy(tmp_path_factory, "hostile-demo", SMALL_END)


@pytest.fixture
def settings(hostile_home: Path, penny_env: Path) -> Settings:
    return load_settings(home=hostile_home, now=NOW, server={"tokens": tokens()})


def _fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
            "ORDER BY 1"
        ).fetchall()
    ]
    out = {}
    for t in tables:
        count, total = con.execute(
            f'SELECT count(*), coalesce(sum(hash(x)), 0) FROM main."{t}" x'
        ).fetchone() or (0, 0)
        out[t] = (int(count), int(total))
    return out


def snapshot(settings: Settings) -> dict[str, Any]:
    """Every base table of the warehouse and the ledger, fingerprinted.

    Opened the way Penny opens them (a server in this process may hold either), which
    neither writes nor migrates: the ledger only when it exists, in a transaction that
    reads.
    """
    out: dict[str, Any] = {"warehouse": None, "ledger": None}
    if settings.db_path.exists():
        with reader(settings) as con:
            out["warehouse"] = _fingerprint(con)
        # the live file too, which readers do not open (they read published snapshots)
        live = duckdb.connect(str(settings.db_path), read_only=True)
        try:
            out["warehouse_live"] = _fingerprint(live)
        finally:
            live.close()
    path = ledger_path(settings)
    if path.exists():
        out["ledger"] = _sqlite_fingerprint(path)
    return out


def _sqlite_fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    """Each ledger table's row count and a digest of its rows, in a read-only open."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            rows = sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"').fetchall())
            out[t] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return out
    finally:
        con.close()


def team_total(settings: Settings, team: str, month: str) -> Decimal:
    """Σ total_cost of the team's workload rows in the month (the allocations view)."""
    with reader(settings) as con:
        row = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' "
            "AND team = ? AND strftime(hour, '%Y-%m') = ?",
            [team, month],
        ).fetchone()
    assert row is not None and row[0] is not None
    return Decimal(row[0])


def cents(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01')):,}"


def still_answers(settings: Settings) -> None:
    """A real question after the hostile one: answered, with the warehouse's own number,
    and its turn written to the ledger (so nothing holds either file)."""
    from assistant.agent.ask import ask
    from assistant.core.answer import AskContext

    answer = ask("how much did team payments cost in October", AskContext(), settings)
    assert cents(team_total(settings, "payments", "2026-10")) in answer.text
    from assistant.warehouse.ledger import read_ledger

    logged = read_ledger(
        settings, "SELECT count(*) FROM conversations WHERE question_id = ?", [answer.question_id]
    )
    assert logged == [(1,)]


#: what a client must never see: this host's paths, the interpreter, process ids, tracebacks
_LEAKS = [
    re.escape(tempfile.gettempdir()) + "/",
    re.escape(sys.prefix),
    re.escape(sys.executable),
    r"\bPID\b",
    r"\bpid \d",
    "Traceback",
    r'File "/',
    re.escape(os.path.expanduser("~")) + "/",
    "/work/",
]


def leaks(text: str, settings: Settings | None = None) -> list[str]:
    """The private things ``text`` shows (empty when it shows none)."""
    found = [p for p in _LEAKS if re.search(p, text)]
    if settings is not None and str(settings.home) in text:
        found.append(str(settings.home))
    return found
