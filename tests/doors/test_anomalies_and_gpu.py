"""Anomalies and GPU cost through the CLI, the agent tools and MCP.

The CLI prints every anomaly and GPU row; the tools answer the same capability with the
same numbers (money to the cent). A team token sees only its own team's GPU rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.doors.conftest import ADMIN, PAYMENTS, Penny, cents

pytestmark = pytest.mark.slow


def anomalies_of(items: list[dict[str, Any]]) -> list[tuple[str, str, str, Decimal]]:
    return [(a["day"], a["group"], a["direction"], cents(a["excess"])) for a in items]


def test_anomalies_are_the_same_through_cli_tools_and_mcp(penny: Penny) -> None:
    cli = anomalies_of(penny.cli("anomalies", "--window", "30d", "--by", "team", "--json"))
    assert cli, "the demo plants anomalies in the last 30 days"
    args = {"window": "30d", "by": "team", "top_n": 50}
    for door in ("tool", "langchain", "mcp_tool"):
        data = getattr(penny, door)("detect_anomalies", args, ADMIN)["data"]
        assert anomalies_of(data["anomalies"]) == cli[:50], door
        assert data["more"] == max(0, len(cli) - 50)


def gpu_rows(rows: list[dict[str, Any]]) -> dict[str, tuple[Decimal, Decimal]]:
    return {r["namespace"]: (cents(r["cost"]), cents(r["idle_cost"])) for r in rows}


def test_gpu_cost_is_the_same_through_cli_tools_and_mcp(penny: Penny) -> None:
    cli = gpu_rows(penny.cli("gpu", "--window", "2026-10", "--by", "namespace", "--json")["rows"])
    assert "ml-training" in cli
    args = {"window": "2026-10", "by": "namespace"}
    for door in ("tool", "langchain", "mcp_tool"):
        data = getattr(penny, door)("gpu_utilization", args, ADMIN)["data"]
        assert gpu_rows(data["rows"]) == cli, door
    for door in ("tool", "langchain", "mcp_tool"):
        result = getattr(penny, door)("gpu_utilization", args, PAYMENTS)
        rows = result["data"]["rows"] if result["data"] else []
        assert set(gpu_rows(rows)) <= {"payments"}, door  # payments runs no GPUs
