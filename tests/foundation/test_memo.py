"""Per-warehouse memo and the one read-only connection lent for an answer.

The contract: a memoised value is computed once per warehouse state and recomputed
after any write; inside ``one_reader()`` every ``reader()`` gets the same connection,
which is closed on exit so a writer can open the file right after.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from assistant.config import Settings, load_settings
from assistant.errors import DataGap
from assistant.warehouse.db import one_reader, reader, warehouse_stamp, writer
from assistant.warehouse.ledger import ledger, ledger_path, read_ledger
from assistant.warehouse.memo import clear_memo, memo


@pytest.fixture
def settings() -> Settings:
    clear_memo()
    s = load_settings()
    with writer(s):  # migrated, empty warehouse
        pass
    return s


def _log_ingest(s: Settings, ingest_id: int) -> None:
    with writer(s) as con:
        con.execute(
            "INSERT INTO ingest_log (ingest_id, kind, source, started_at, finished_at,"
            " rows_written, status) VALUES (?, 'focus', 'test', ?, ?, 0, 'ok')",
            [f"run-{ingest_id}", datetime(2026, 11, 1), datetime(2026, 11, 1, 0, 5)],
        )


def _count_ingests(s: Settings, calls: list[int]) -> int:
    calls.append(1)
    with reader(s) as con:
        row = con.execute("SELECT count(*) FROM ingest_log").fetchone()
    return int(row[0]) if row else -1


def test_a_value_is_computed_once_per_warehouse_state(settings: Settings) -> None:
    calls: list[int] = []
    first = memo(settings, "ingests", lambda: _count_ingests(settings, calls))
    again = memo(settings, "ingests", lambda: _count_ingests(settings, calls))
    assert (first, again, len(calls)) == (0, 0, 1)  # second read served from the memo
    _log_ingest(settings, 1)  # any write changes the stamp
    after = memo(settings, "ingests", lambda: _count_ingests(settings, calls))
    assert (after, len(calls)) == (1, 2)  # recomputed, sees the new row
    assert memo(settings, "other-key", lambda: "x") == "x"  # keys do not collide


def test_the_stamp_changes_with_every_commit(settings: Settings) -> None:
    before = warehouse_stamp(settings.db_path)
    _log_ingest(settings, 7)
    assert warehouse_stamp(settings.db_path) != before
    assert warehouse_stamp(settings.db_path.with_name("absent.duckdb")) == (0, 0, 0, 0, 0, 0)


def test_one_reader_lends_one_connection_and_closes_it(settings: Settings) -> None:
    with one_reader(settings):
        with reader(settings) as a, reader(settings) as b:
            assert a is b
        with one_reader(settings), reader(settings) as nested:  # nested: same again
            assert nested is a
    with pytest.raises(duckdb.ConnectionException):
        a.execute("SELECT 1")  # closed on exit: nothing holds the file
    _log_ingest(settings, 2)  # so a writer can open it right away
    with reader(settings) as c, reader(settings) as d:
        assert c is not d  # outside the block: one connection each
        assert c.execute("SELECT count(*) FROM ingest_log").fetchone() == (1,)


def test_one_reader_without_a_warehouse_lends_nothing() -> None:
    s = load_settings()
    assert not s.db_path.exists()
    with one_reader(s), pytest.raises(DataGap), reader(s):
        pass
    assert not s.db_path.exists()  # and creates no file


def _converse(s: Settings, question_id: str) -> None:
    with ledger(s) as con:
        con.execute(
            "INSERT INTO conversations (question_id, ts, thread_id, user_id, channel,"
            " engine) VALUES (?, ?, 't', 'u', 'cli', 'offline')",
            [question_id, datetime(2026, 11, 1)],
        )


def test_a_recreated_ledger_is_migrated_again(settings: Settings) -> None:
    _converse(settings, "q1")
    _converse(settings, "q2")  # second open: the migration check is skipped
    assert read_ledger(settings, "SELECT question_id FROM conversations ORDER BY 1") == [
        ("q1",),
        ("q2",),
    ]
    ledger_path(settings).unlink()
    # The process remembers migrating this path; the new file must still get the schema.
    _converse(settings, "q3")
    assert read_ledger(settings, "SELECT question_id FROM conversations") == [("q3",)]
