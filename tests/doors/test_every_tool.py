"""Every capability an agent can call gives the same result through its three agent doors.

The agent's tool registry (what the offline engine calls), the LangChain tool (what the
LLM agent calls) and MCP over streamable HTTP (what Claude, Cursor, VS Code or HolmesGPT
call) must return the same ``{ok, status, data, error, provenance}`` for the same
arguments and asker — including refusals: a team token is refused SQL, and sees only its
own team through every other tool. Floats are compared to 9 significant digits (DuckDB
may add doubles in another order from one query to the next); money is exact strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from tests.doors.conftest import ADMIN, ASKERS, PAYMENTS, Penny

pytestmark = pytest.mark.slow

HEAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout-api, namespace: payments}
spec:
  replicas: 4
  template:
    spec:
      containers:
        - name: app
          resources: {requests: {cpu: "1", memory: 2Gi}}
"""

#: one question per capability (tool name → arguments)
QUESTIONS: dict[str, dict[str, Any]] = {
    "query_costs": {"window": "2026-10", "group_by": "team"},
    "cost_trend": {"window": "2026-10", "bucket": "week", "split_by": "namespace"},
    "explain_bill": {"month": "2026-10", "top_n": 3},
    "compare_periods": {"a": "2026-09", "b": "2026-10", "by": "team", "top_n": 5},
    "detect_anomalies": {"window": "30d"},
    "rightsizing": {"namespace": "payments"},
    "draft_rightsizing_change": {"workload": "payments/Deployment/ledger-worker"},
    "gpu_utilization": {"window": "2026-10", "by": "namespace"},
    "ai_spend": {"window": "2026-10"},
    "bill_costs": {"window": "2026-10", "group_by": "service", "top_n": 5},
    "orphaned_resources": {"window": "2026-10"},
    "cost_forecast": {"month": "this-month"},
    "budget_status": {"month": "this-month"},
    "unit_cost": {"unit": "gpu-hour", "namespace": "payments", "window": "2026-10"},
    "cluster_state": {"kind": "namespaces", "source": "inventory"},
    "run_sql": {"sql": "SELECT count(*) AS n FROM allocations WHERE kind = 'idle'"},
    "search_knowledge": {"query": "how is idle cost shared", "kind": "docs", "k": 2},
    "review_change": {"base": "", "head": HEAD, "cluster": "prod-use1"},
}


def test_every_registered_tool_has_a_question() -> None:
    from tools.registry import load_all

    assert set(QUESTIONS) == set(load_all())


_ZERO_MONEY = re.compile(r"^-?0\.0+$")
_TIMING = re.compile(r"\b\d+ ms\b")
_LONG = re.compile(r"\d+\.\d{10,}")


def settle_run(value: Any) -> Any:
    """What may differ between two runs of one query, made equal: the last digits of a
    double, how long the query took, and a zero amount that is sometimes '-0.000000' and
    sometimes left out (the variance decomposition sums doubles in DuckDB's order), and
    unit prices written with twelve places inside a sentence."""
    if isinstance(value, float):
        return value if not math.isfinite(value) or value == 0 else float(f"{value:.9g}")
    if isinstance(value, str):  # unit prices printed with 12 places inside a sentence
        return _LONG.sub(lambda m: f"{float(m[0]):.9g}", _TIMING.sub("N ms", value))
    if isinstance(value, dict):
        return {
            k: settle_run(v)
            for k, v in value.items()
            if not (isinstance(v, str) and _ZERO_MONEY.match(v) and k != "total")
        }
    if isinstance(value, list):
        return [settle_run(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The leaves where two JSON values differ, by path (a readable failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b))
            for d in differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [(path, a, b)]


@pytest.mark.parametrize("who", list(ASKERS))
@pytest.mark.parametrize("name", list(QUESTIONS))
def test_tool_langchain_and_mcp_agree(penny: Penny, name: str, who: str) -> None:
    asker = ASKERS[who]
    args = QUESTIONS[name]

    tool = settle_run(penny.tool(name, args, asker))
    diff = differences(settle_run(penny.langchain(name, args, asker)), tool)
    assert not diff, "\n".join(map(repr, diff))
    diff = differences(settle_run(penny.mcp_tool(name, args, asker)), tool)
    assert not diff, "\n".join(map(repr, diff))
    if name == "run_sql":
        assert tool["ok"] is (asker is ADMIN)
        if asker is PAYMENTS:
            assert "run_sql is for administrators" in tool["error"]
    elif name == "bill_costs" and asker is PAYMENTS:
        # the bill's own lines are organisation-wide: a team sees its workloads instead
        assert tool["ok"] is False and "organisation-wide" in tool["error"]
    elif name == "query_costs":
        names = {r["name"] for r in tool["data"]["rows"]}
        assert names == {"payments"} if asker is PAYMENTS else len(names) > 3
    else:
        assert tool["status"] in ("success", "no_data"), tool["error"]
