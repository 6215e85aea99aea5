"""Schema migrations, the writer's all-or-nothing transaction, and read-only SQL."""

from __future__ import annotations

import duckdb
import pytest

from assistant.config import load_settings
from assistant.errors import DataGap, QueryRejected, QueryTimeout
from assistant.warehouse import migrate, reader, writer
from assistant.warehouse.migrations import applied, steps
from assistant.warehouse.query import run_query, validate_select


def test_migrations_apply_once_in_name_order() -> None:
    con = duckdb.connect()
    names = [n for n, _ in steps()]
    assert names == sorted(names)
    assert migrate(con) == names
    assert migrate(con) == []
    assert applied(con) == names
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    tables = {r[0] for r in rows}
    assert {
        "billing_lines",
        "allocations",
        "container_hours",
        "ingest_log",
        "node_cost_hours",
        "gpu_hours",
        "cluster_snapshots",
    } <= tables


def test_money_columns_are_decimal() -> None:
    con = duckdb.connect()
    migrate(con)
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'billing_lines'"
        ).fetchall()
    )
    for col in ("billed_cost", "effective_cost", "list_cost", "contracted_cost"):
        assert types[col] == "DECIMAL(38,12)", col


def test_writer_rolls_back_everything_on_error() -> None:
    settings = load_settings()
    with writer(settings) as con:
        con.execute(
            "INSERT INTO ingest_log (ingest_id, kind, source, started_at, status) "
            "VALUES ('a', 'focus', 'x', now(), 'ok')"
        )
    with pytest.raises(RuntimeError), writer(settings) as con:
        con.execute(
            "INSERT INTO ingest_log (ingest_id, kind, source, started_at, status) "
            "VALUES ('b', 'focus', 'y', now(), 'ok')"
        )
        raise RuntimeError("boom mid-import")
    with reader(settings) as con:
        assert con.execute("SELECT list(ingest_id) FROM ingest_log").fetchone() == (["a"],)


def test_reader_needs_an_existing_warehouse() -> None:
    with pytest.raises(DataGap, match="No warehouse at"), reader(load_settings()):
        pass


def test_reader_is_read_only_and_cannot_read_files(tmp_path) -> None:
    settings = load_settings()
    with writer(settings):
        pass
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with reader(settings) as con:
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM ingest_log")
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DROP TABLE allocations", "this is DROP"),
        ("select 1; select 2", "got 2"),
        ("SELECT * FROM read_parquet('x.parquet')", "read_parquet() reads outside"),
        ("SELECT * FROM '/etc/passwd'", "Reading files by path"),
        ("PRAGMA database_list", "this is PRAGMA"),
        ("COPY allocations TO 'out.csv'", "this is COPY"),
        ("", "Empty SQL"),
        ("SELEC 1", "does not parse"),
    ],
)
def test_validate_select_refuses_with_a_reason(sql: str, reason: str) -> None:
    with pytest.raises(QueryRejected, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate_select(sql)


def test_run_query_caps_rows_and_reports_truncation() -> None:
    con = duckdb.connect()
    result = run_query(con, "SELECT range AS n FROM range(10)", max_rows=4, time_limit_ms=5000)
    assert result.rows == [(0,), (1,), (2,), (3,)]
    assert result.truncated is True
    assert result.columns == ["n"]
    small = run_query(
        con, "WITH t AS (SELECT 42 AS x) SELECT x FROM t", max_rows=4, time_limit_ms=5000
    )
    assert small.as_dicts() == [{"x": 42}] and small.truncated is False


def test_run_query_stops_at_the_time_limit() -> None:
    con = duckdb.connect()
    with pytest.raises(QueryTimeout, match="50 ms limit"):
        run_query(con, "SELECT count(*) FROM range(100000000000) a", max_rows=1, time_limit_ms=50)
