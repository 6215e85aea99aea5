"""run_sql: one read-only SELECT/WITH, capped, time-limited, admin only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from tests.tools.conftest import build_warehouse
from tools.registry import REGISTRY, ToolContext, call, load_all
from tools.result import ToolResult


def _call(settings: Settings, args: dict[str, Any], scope: Scope | None = None) -> ToolResult:
    result, _ = call("run_sql", args, ToolContext.create(settings, scope))
    return result


def test_select_returns_exact_decimals(warehouse: Settings) -> None:
    result = _call(
        warehouse,
        {
            "sql": "SELECT namespace, sum(total_cost) AS cost FROM allocations"
            " WHERE kind = 'workload' GROUP BY 1 ORDER BY 2 DESC"
        },
    )
    assert result.ok and result.data["columns"] == ["namespace", "cost"]
    # ml-serving 10.00 + 5.50; the others one row each
    assert result.data["rows"] == [
        ["ml-serving", Decimal("15.5")],
        ["payments-prod", Decimal("7.25")],
        ["checkout", Decimal("3.125")],
        ["kube-system", Decimal("1")],
    ]
    assert result.provenance.truncated is False and result.provenance.row_count == 4
    assert result.provenance.tables == ["allocations"]


def test_with_query_and_row_cap(warehouse: Settings) -> None:
    sql = "WITH t AS (SELECT namespace FROM allocations) SELECT * FROM t ORDER BY 1"
    result = _call(warehouse, {"sql": sql, "max_rows": 3})
    assert result.data["row_count"] == 3 and result.data["truncated"] is True
    assert result.provenance.truncated is True  # 7 rows matched, 3 shown


def test_server_max_rows_caps_the_request(penny_env: Any) -> None:
    settings = load_settings(now=datetime(2026, 11, 15), max_rows=2)
    build_warehouse(settings)
    result = _call(settings, {"sql": "SELECT * FROM allocations", "max_rows": 100})
    assert result.data["row_count"] == 2 and result.provenance.truncated is True


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM allocations", "Only SELECT/WITH"),
        ("SELECT 1; DROP TABLE allocations", "Only one statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "reads outside the warehouse"),
        ("ATTACH 'x.db'", "Only SELECT/WITH"),
        ("SELEC 1", "does not parse"),
    ],
)
def test_refuses_anything_but_one_select(warehouse: Settings, sql: str, reason: str) -> None:
    result = _call(warehouse, {"sql": sql})
    assert result.ok is False and reason in (result.error or "")
    count = _call(warehouse, {"sql": "SELECT count(*) FROM allocations"})
    assert count.data["rows"] == [[7]]  # nothing changed


def test_time_limit_stops_a_long_query(penny_env: Any) -> None:
    settings = load_settings(now=datetime(2026, 11, 15), query_time_limit_ms=50)
    build_warehouse(settings)
    result = _call(
        settings, {"sql": "SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000) b"}
    )
    assert result.ok is False and "50 ms limit" in (result.error or "")


def test_team_scope_may_not_run_sql(warehouse: Settings) -> None:
    result = _call(warehouse, {"sql": "SELECT 1"}, Scope(teams=["ml"]))
    assert result.ok is False and "administrators" in (result.error or "")
    assert "query_costs" in (result.error or "")


def test_empty_result_is_no_data(warehouse: Settings) -> None:
    result = _call(warehouse, {"sql": "SELECT * FROM allocations WHERE namespace = 'nope'"})
    assert result.status == "no_data"


def test_description_lists_tables_and_columns() -> None:
    load_all()
    text = REGISTRY["run_sql"].description
    for fragment in (
        "allocations(run_id VARCHAR",
        "total_cost DECIMAL(38,12)",
        "cluster_snapshots(",
        "billing_lines(",
        "Administrators only",
    ):
        assert fragment in text
