"""Fixtures for agent tests: a warehouse with fixed rows and a real tool that reads them.

The tool (``namespace_month_cost``) is registered in the real registry for the test's
duration and queries the warehouse through the real read-only path, so the agent is
exercised end to end without depending on the cost tools other parts are building.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from assistant.agent.llm import reset_memory
from assistant.config import Settings, load_settings
from assistant.core.provenance import Provenance
from assistant.warehouse.db import reader, writer
from assistant.warehouse.query import run_query
from tools.registry import REGISTRY, ToolContext, ToolSpec
from tools.result import ToolResult

# payments in 2026-10: 1234.56 + 100.00 = 1334.56; search in 2026-10: 99.99
ROWS = [
    ("payments", "2026-10", Decimal("1234.56")),
    ("payments", "2026-10", Decimal("100.00")),
    ("payments", "2026-09", Decimal("900.10")),
    ("search", "2026-10", Decimal("99.99")),
]


class NamespaceMonthArgs(BaseModel):
    namespace: str = Field(description="Kubernetes namespace, e.g. 'payments'")
    month: str = Field(description="Calendar month as YYYY-MM", pattern=r"^\d{4}-\d{2}$")


def namespace_month_cost(args: NamespaceMonthArgs, ctx: ToolContext) -> ToolResult:
    """Total cost of one namespace in one calendar month (USD)."""
    sql = (
        "SELECT SUM(cost) AS total, COUNT(*) AS n FROM test_costs WHERE namespace = ? AND month = ?"
    )
    with reader(ctx.settings) as con:
        res = run_query(
            con,
            sql,
            [args.namespace, args.month],
            max_rows=10,
            time_limit_ms=ctx.settings.query_time_limit_ms,
        )
    total, n = res.rows[0]
    prov = Provenance(
        tables=["test_costs"],
        sql=sql,
        params=[args.namespace, args.month],
        filters={"namespace": args.namespace},
        row_count=int(n),
    )
    if not n:
        return ToolResult.no_data(f"No rows for {args.namespace} in {args.month}.", prov)
    return ToolResult.success(
        {"namespace": args.namespace, "month": args.month, "total": total}, prov
    )


@pytest.fixture
def cost_tool(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setitem(
        REGISTRY,
        "namespace_month_cost",
        ToolSpec(
            "namespace_month_cost",
            NamespaceMonthArgs,
            namespace_month_cost,
            (namespace_month_cost.__doc__ or "").strip(),
        ),
    )
    yield "namespace_month_cost"


@pytest.fixture
def warehouse() -> Settings:
    settings = load_settings()
    with writer(settings) as con:
        con.execute(
            "CREATE TABLE test_costs (namespace VARCHAR, month VARCHAR, cost DECIMAL(38,12))"
        )
        con.executemany("INSERT INTO test_costs VALUES (?, ?, ?)", ROWS)
    return settings


@pytest.fixture(autouse=True)
def fresh_memory() -> None:
    reset_memory()
