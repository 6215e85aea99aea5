"""The SQLite ledger: concurrent appends from many processes, exact money, the DuckDB import.

The contract (docs/architecture.md, decision 1): every process — the server, each CLI
`penny ask`, an import — appends to the ledger at the same time without a lock error,
readers never wait, and money sums to the exact decimal.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from assistant.config import Settings, load_settings
from assistant.warehouse.ledger import kept_open, ledger, ledger_path, read_ledger


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def _usage(settings: Settings, rid: str, cost: str | None, ts: datetime) -> None:
    with ledger(settings) as con:
        con.execute(
            "INSERT INTO ai_usage (request_id, ts, source, provider, model, cost)"
            " VALUES (?, ?, 'penny', 'openai', 'gpt-4o-mini', ?)",
            [rid, ts, None if cost is None else Decimal(cost)],
        )


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from decimal import Decimal
    from assistant.config import load_settings
    from assistant.warehouse.ledger import ledger
    s = load_settings()
    for i in range(int(sys.argv[2])):
        with ledger(s) as con:
            con.execute(
                "INSERT INTO ai_usage (request_id, ts, source, provider, model, cost)"
                " VALUES (?, ?, 'penny', 'openai', 'm', ?)",
                [f"{sys.argv[1]}-{i}", datetime(2026, 11, 1, 12), Decimal("0.000000000001")],
            )
    print("ok")
    """
)


def test_four_processes_append_at_once_without_a_lock_error(settings: Settings) -> None:
    with ledger(settings):  # created and migrated once, as a server would have
        pass
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, f"p{k}", "40"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    # this process reads while they write: WAL readers never wait for writers
    seen = [read_ledger(settings, "SELECT count(*) FROM ai_usage")[0][0] for _ in range(20)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [o[1][-800:] for o in outs]
    assert seen == sorted(seen)  # counts only grow
    # 4 processes × 40 rows of 1e-12 each = 160 rows, 1.6e-10 exactly (a float sum drifts)
    assert read_ledger(settings, "SELECT count(*), decimal_sum(cost) FROM ai_usage") == [
        (160, "0.000000000160")
    ]


def test_opening_a_ledger_another_process_is_creating_waits_for_it(settings: Settings) -> None:
    """A second process opening the file while the first writes it, before WAL is set,
    waits its turn: SQLite refuses the switch to WAL at once there, without the busy
    handler, and a reader used to fail with "database is locked" (seen in CI)."""
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    first = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    first.execute("BEGIN IMMEDIATE")  # a file in rollback mode, mid-write
    first.execute("CREATE TABLE creating (x INTEGER)")
    done = threading.Timer(0.3, lambda: first.execute("COMMIT"))
    done.start()
    try:
        assert read_ledger(settings, "SELECT count(*) FROM ai_usage") == [(0,)]
    finally:
        done.join()
        first.close()
    assert read_ledger(settings, "PRAGMA journal_mode") == [("wal",)]


def test_money_is_exact_and_unknown_stays_null(settings: Settings) -> None:
    for i, cost in enumerate(["0.1", "0.2", "0.000000000003", None]):
        _usage(settings, f"r{i}", cost, datetime(2026, 11, 2, i))
    # Σ = 0.1 + 0.2 + 3e-12 = 0.300000000003 (as floats 0.1 + 0.2 = 0.30000000000000004)
    assert read_ledger(
        settings, "SELECT decimal_sum(cost), count(cost), count(*) FROM ai_usage"
    ) == [("0.300000000003", 3, 4)]
    # a column read as itself comes back typed: DECTEXT → Decimal, TSTEXT → datetime
    rows = read_ledger(settings, "SELECT ts, cost FROM ai_usage ORDER BY ts LIMIT 1")
    assert rows == [(datetime(2026, 11, 2, 0), Decimal("0.1"))]
    # times compare as times: [01:00, 03:00) holds the rows at 01:00 and 02:00
    assert read_ledger(
        settings,
        "SELECT count(*) FROM ai_usage WHERE ts >= ? AND ts < ?",
        [datetime(2026, 11, 2, 1), datetime(2026, 11, 2, 3)],
    ) == [(2,)]
    assert read_ledger(settings, "SELECT decimal_sum(cost) FROM ai_usage WHERE cost IS NULL") == [
        (None,)
    ]


def test_a_failed_write_leaves_the_ledger_as_it_was(settings: Settings) -> None:
    _usage(settings, "kept", "1.5", datetime(2026, 11, 1))
    with pytest.raises(RuntimeError), ledger(settings) as con:
        con.execute(
            "INSERT INTO ai_usage (request_id, ts, source, provider, model) "
            "VALUES ('lost', '2026-11-01', 'penny', 'openai', 'm')"
        )
        raise RuntimeError("boom")
    assert read_ledger(settings, "SELECT request_id FROM ai_usage") == [("kept",)]


def test_kept_open_holds_nothing_another_process_waits_for(settings: Settings) -> None:
    _usage(settings, "mine", "1", datetime(2026, 11, 1))
    with kept_open(settings):
        out = subprocess.run(
            [sys.executable, "-c", _WRITER, "other", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr[-800:]
    assert read_ledger(settings, "SELECT count(*) FROM ai_usage") == [(2,)]


_OLD_SCHEMA = """
CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP);
CREATE TABLE ai_usage (request_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
  source VARCHAR NOT NULL, provider VARCHAR NOT NULL, model VARCHAR NOT NULL,
  user_id VARCHAR, channel VARCHAR, thread_id VARCHAR, question_id VARCHAR, team VARCHAR,
  input_tokens BIGINT, cached_input_tokens BIGINT, cache_write_tokens BIGINT,
  output_tokens BIGINT, reasoning_tokens BIGINT, cost DECIMAL(38,12), price_version VARCHAR,
  latency_ms DOUBLE, tools JSON, warning VARCHAR, ingest_id VARCHAR, project VARCHAR,
  line_item VARCHAR);
CREATE TABLE conversations (question_id VARCHAR PRIMARY KEY, ts TIMESTAMP NOT NULL,
  thread_id VARCHAR, user_id VARCHAR, channel VARCHAR, engine VARCHAR NOT NULL,
  model VARCHAR, question VARCHAR, answer VARCHAR, tool_calls JSON, duration_ms DOUBLE,
  cost DECIMAL(38,12), error VARCHAR);
"""


def _old_ledger(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(_OLD_SCHEMA)
    con.execute(
        "INSERT INTO ai_usage (request_id, ts, source, provider, model, team, input_tokens,"
        " cost, tools) VALUES ('a', '2026-10-03 10:00:00', 'penny', 'openai', 'gpt-4o', 'pay',"
        " 1200, 0.001234567891, '[\"query_costs\"]'), ('b', '2026-10-04 00:00:00',"
        " 'openai-import', 'openai', 'gpt-4o', NULL, NULL, 12.5, NULL)"
    )
    con.execute(
        "INSERT INTO conversations (question_id, ts, thread_id, engine, question, answer)"
        " VALUES ('q1', '2026-10-03 10:00:00', 't1', 'llm', 'what?', 'this.')"
    )
    con.close()


def test_an_old_duckdb_ledger_is_copied_in_once(settings: Settings) -> None:
    old = settings.db_path.with_name("ledger.duckdb")
    _old_ledger(old)
    rows = read_ledger(settings, "SELECT 1")  # no SQLite ledger yet: nothing to read
    assert rows == []
    _usage(settings, "new", "0.5", datetime(2026, 11, 1))  # first open imports
    assert not old.exists() and old.with_name("ledger.duckdb.imported").exists()
    assert read_ledger(
        settings, "SELECT request_id, ts, team, input_tokens, cost, tools FROM ai_usage ORDER BY 1"
    ) == [
        ("a", datetime(2026, 10, 3, 10), "pay", 1200, Decimal("0.001234567891"), '["query_costs"]'),
        ("b", datetime(2026, 10, 4), None, None, Decimal("12.500000000000"), None),
        ("new", datetime(2026, 11, 1), None, None, Decimal("0.5"), None),
    ]
    # 0.001234567891 + 12.5 + 0.5 = 13.001234567891, exactly
    assert read_ledger(settings, "SELECT decimal_sum(cost) FROM ai_usage") == [("13.001234567891",)]
    assert read_ledger(settings, "SELECT question_id, answer FROM conversations") == [
        ("q1", "this.")
    ]
    # an old file put back later is not read again (the import is recorded)
    old.with_name("ledger.duckdb.imported").rename(old)
    _usage(settings, "newer", "1", datetime(2026, 11, 2))
    assert read_ledger(settings, "SELECT count(*) FROM ai_usage") == [(4,)]
    assert old.exists()


def test_the_schema_after_migrating(settings: Settings) -> None:
    with ledger(settings):
        pass
    rows = read_ledger(
        settings, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    assert rows == [
        ("_migrations",),
        ("ai_usage",),
        ("conversations",),
        ("job_runs",),
        ("slack_posts",),
        ("sync_pending_allocation",),
        ("sync_sources",),
    ]
    assert read_ledger(settings, "SELECT name FROM _migrations ORDER BY name") == [
        ("import_ledger_duckdb",),
        ("m001_ai_usage",),
        ("m002_service",),
        ("m003_slack_posts",),
    ]
    columns = read_ledger(settings, "SELECT name, type, pk FROM pragma_table_info('slack_posts')")
    assert columns == [
        ("kind", "TEXT", 1),
        ("key", "TEXT", 2),
        ("channel", "TEXT", 3),
        ("status", "TEXT", 0),
        ("ts", "TEXT", 0),
        ("claimed_at", "TSTEXT", 0),
        ("posted_at", "TSTEXT", 0),
        ("attempts", "INTEGER", 0),
        ("error", "TEXT", 0),
        ("summary", "TEXT", 0),
    ]
    assert read_ledger(settings, "PRAGMA journal_mode") == [("wal",)]
    assert ledger_path(settings).name == "ledger.sqlite"
