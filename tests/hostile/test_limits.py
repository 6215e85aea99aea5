"""``run_sql`` under hostile SQL: writes and file escapes refused (held), and the time,
memory and size limits enforced however the query spends them.

The failed class: ``SELECT range(100000000)`` ran about 20 s against a 5 s limit and grew
the server to 7.3 GB; ``repeat('x', 500000000)`` was one 500 MB cell. User SQL now runs in
a child process with an address-space limit, killed at the time limit, and its rows stop
at the row cap or the byte cap.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from tests.hostile.conftest import NOW, snapshot, still_answers
from tools.registry import ToolContext, call
from tools.result import ToolResult


def _sql(settings: Settings, sql: str, scope: Scope | None = None, **args: Any) -> ToolResult:
    result, _ = call("run_sql", {"sql": sql, **args}, ToolContext.create(settings, scope))
    return result


REFUSED = {
    "delete": ("DELETE FROM billing_lines", "Only SELECT/WITH"),
    "update": ("UPDATE billing_lines SET billed_cost = 0", "Only SELECT/WITH"),
    "insert": ("INSERT INTO ingest_log SELECT * FROM ingest_log", "Only SELECT/WITH"),
    "drop": ("DROP TABLE billing_lines", "Only SELECT/WITH"),
    "create": ("CREATE TABLE x AS SELECT 1", "Only SELECT/WITH"),
    "second_statement": ("SELECT 1; DROP TABLE billing_lines", "Only one statement"),
    "cte_hiding_delete": (
        "WITH x AS (DELETE FROM billing_lines RETURNING *) SELECT * FROM x",
        "",
    ),
    "attach": ("ATTACH 'other.duckdb' AS o", "Only SELECT/WITH"),
    "copy_out": ("COPY billing_lines TO '/tmp/out.csv'", "Only SELECT/WITH"),
    "pragma": ("PRAGMA database_list", "Only SELECT/WITH"),
    "set": ("SET memory_limit = '100GB'", "Only SELECT/WITH"),
    "install": ("INSTALL httpfs", "Only SELECT/WITH"),
    "load": ("LOAD httpfs", "Only SELECT/WITH"),
    "read_csv": ("SELECT * FROM read_csv('/etc/passwd')", "reads outside the warehouse"),
    "read_text": ("SELECT * FROM read_text('/etc/passwd')", "reads outside the warehouse"),
    "read_blob": ("SELECT * FROM read_blob('/etc/hostname')", "reads outside the warehouse"),
    "read_parquet": ("SELECT * FROM read_parquet('x.parquet')", "reads outside the warehouse"),
    "glob": ("SELECT * FROM glob('/etc/*')", "reads outside the warehouse"),
    "getenv": ("SELECT getenv('HOME')", "reads outside the warehouse"),
    "file_as_table_literal": ("SELECT * FROM '/etc/passwd'", "by path"),
    "file_as_quoted_table": ('SELECT * FROM "/etc/passwd"', "by path"),
    "query_function": ("SELECT * FROM query('SELECT 1')", "reads outside the warehouse"),
    "not_sql": ("hello there", ""),
    "empty": ("   ", ""),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_run_sql_refuses_writes_and_file_escapes(name: str, settings: Settings) -> None:
    sql, says = REFUSED[name]
    before = snapshot(settings)
    result = _sql(settings, sql)
    assert result.ok is False and says in (result.error or ""), result.error
    assert snapshot(settings) == before


def test_run_sql_is_refused_to_a_scoped_asker(settings: Settings) -> None:
    result = _sql(
        settings, "SELECT count(*) FROM billing_lines", Scope.from_list(["team:payments"])
    )
    assert result.ok is False and "administrators" in (result.error or "")


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("SELECT range(100000000)", "memory limit"),
        ("SELECT list_resize([1], 300000000)", "memory limit"),
        ("SELECT repeat('x', 500000000)", ""),
    ],
    ids=["range_1e8", "list_resize_3e8", "repeat_500MB"],
)
def test_a_giant_value_is_stopped_within_the_limits_and_the_server_stays_small(
    sql: str, says: str, penny_env: Any, settings: Settings
) -> None:
    limited = load_settings(
        home=settings.home, now=NOW, query_time_limit_ms=3000, query_memory_limit_mb=512
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = _sql(limited, sql)
    elapsed = time.perf_counter() - started
    assert result.ok is False, result.data
    assert says in (result.error or "")
    assert "memory limit" in (result.error or "") or "3000 ms limit" in (result.error or "")
    assert elapsed < 3.0 + 5.0  # the limit, plus starting the child on a busy machine
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert grown_mb < 200  # the value never reached this process
    still_answers(settings)


def test_a_long_query_is_killed_at_the_time_limit(settings: Settings) -> None:
    limited = load_settings(home=settings.home, now=NOW, query_time_limit_ms=1000)
    started = time.perf_counter()
    result = _sql(limited, "SELECT count(*) FROM range(100000000000) a, range(1000) b")
    elapsed = time.perf_counter() - started
    assert result.ok is False and "1000 ms limit" in (result.error or "")
    assert elapsed < 1.0 + 5.0


def test_results_stop_at_the_byte_cap_and_say_so(settings: Settings) -> None:
    capped = load_settings(home=settings.home, now=NOW, max_result_bytes=95_000)
    # 100 rows of 10,000 characters: 9 rows are 90,000 bytes, a 10th would be 100,000
    result = _sql(capped, "SELECT repeat('x', 10000) AS s FROM range(100)")
    assert result.ok and result.data["row_count"] == 9 and result.data["truncated"] is True
    assert any("95,000-byte cap after 9 rows" in n for n in result.provenance.notes)
    one = _sql(capped, "SELECT repeat('x', 200000) AS s")
    assert one.ok is False and "over the 95,000-byte result cap" in (one.error or "")


def test_rows_stop_at_the_row_cap(settings: Settings) -> None:
    result = _sql(settings, "SELECT range AS n FROM range(5000)", max_rows=10)
    assert result.data["rows"] == [[i] for i in range(10)] and result.data["truncated"] is True
