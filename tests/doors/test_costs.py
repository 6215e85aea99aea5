"""Cost per namespace for October 2026, through every door, as an admin and as a team.

The expected numbers are the ``costs`` capability's, and independently Σ total_cost of
the warehouse's allocation rows per namespace (workload rows the asker may see, plus the
``__idle__`` and ``__unallocated__`` rows for an admin), to the cent. Every door must give
exactly these — no door may show a team another team's namespaces or the cluster's idle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assistant.capabilities.costs import CostsRequest, costs
from assistant.warehouse.db import reader
from tests.doors.conftest import ADMIN, ASKERS, PAYMENTS, Penny, Who, cents, slack_table

pytestmark = pytest.mark.slow

MONTH = "2026-10"
ARGS = {"window": MONTH, "group_by": "namespace", "top_n": 200}


def warehouse_truth(penny: Penny, who: Who) -> dict[str, Decimal]:
    sql, params = who.scope.sql_filter("team", "namespace")
    visible = "TRUE" if who.scope.admin else f"(kind = 'workload' AND {sql})"
    with reader(penny.settings) as con:
        rows = con.execute(
            f"SELECT namespace, sum(total_cost) FROM allocations WHERE {visible} "
            "AND strftime(hour, '%Y-%m') = ? GROUP BY 1",
            [*params, MONTH],
        ).fetchall()
    return {ns: cents(v) for ns, v in rows}


def rows_of(data: dict[str, Any]) -> dict[str, Decimal]:
    return {r["name"]: cents(r["total"]) for r in data["rows"]}


def core(penny: Penny, who: Who) -> dict[str, Decimal]:
    report = costs(CostsRequest(window=MONTH, group_by="namespace"), penny.ctx(who))
    return {r.name: cents(r.total) for r in report.rows}


def cli(penny: Penny, who: Who) -> dict[str, Decimal]:
    return rows_of(penny.cli("costs", "--window", MONTH, "--by", "namespace", "--json"))


def http(penny: Penny, who: Who) -> dict[str, Decimal]:
    r = penny.http("/v1/costs", who, window=MONTH, by="namespace")
    assert r.status_code == 200, r.text
    return rows_of(r.json())


def tool(penny: Penny, who: Who) -> dict[str, Decimal]:
    return rows_of(penny.tool("query_costs", ARGS, who)["data"])


def langchain(penny: Penny, who: Who) -> dict[str, Decimal]:
    return rows_of(penny.langchain("query_costs", ARGS, who)["data"])


def mcp(penny: Penny, who: Who) -> dict[str, Decimal]:
    return rows_of(penny.mcp_tool("query_costs", ARGS, who)["data"])


def opencost(penny: Penny, who: Who) -> dict[str, Decimal]:
    window = "2026-10-01T00:00:00Z,2026-11-01T00:00:00Z"
    r = penny.http("/allocation", who, window=window, aggregate="namespace", accumulate="true")
    assert r.status_code == 200, r.text
    (only,) = r.json()["data"]
    return {k: cents(v["totalCost"]) for k, v in only.items()}


def slack(penny: Penny, who: Who) -> dict[str, Decimal]:
    return slack_table(penny.ask_slack("top 30 namespaces last month", who))


DOORS = {
    "core": core,
    "cli": cli,
    "http": http,
    "tool": tool,
    "langchain": langchain,
    "slack": slack,
    "mcp": mcp,
    "opencost": opencost,
}
CASES = [
    (door, who)
    for door in DOORS
    for who in ASKERS
    if not (door == "cli" and who != "admin")  # the CLI has no scoped identity
]


@pytest.mark.parametrize(("door", "who"), CASES)
def test_cost_by_namespace_is_the_same_through_every_door(
    penny: Penny, door: str, who: str
) -> None:
    asker = ASKERS[who]
    expected = warehouse_truth(penny, asker)
    assert DOORS[door](penny, asker) == expected
    if asker is PAYMENTS:
        assert set(expected) == {"payments"}
    else:
        assert {"payments", "search", "__idle__", "__unallocated__"} <= set(expected)


def test_the_admin_total_is_the_bill_in_every_door(penny: Penny) -> None:
    """Contract 1: every view totals to the bill (Σ EffectiveCost of October's lines)."""
    with reader(penny.settings) as con:
        (bill,) = con.execute(
            "SELECT sum(effective_cost) FROM billing_lines WHERE charge_period_start >= "
            "'2026-10-01' AND charge_period_start < '2026-11-01'"
        ).fetchone()
    report = costs(CostsRequest(window=MONTH, group_by="namespace"), penny.ctx(ADMIN))
    totals = {
        "core": report.totals.total,
        "tool": Decimal(penny.tool("query_costs", ARGS, ADMIN)["data"]["totals"]["total"]),
        "mcp": Decimal(penny.mcp_tool("query_costs", ARGS, ADMIN)["data"]["totals"]["total"]),
    }
    r = penny.http(
        "/allocation", ADMIN, window="2026-10-01T00:00:00Z,2026-11-01T00:00:00Z",
        aggregate="namespace", accumulate="true",
    )  # fmt: skip
    totals["opencost"] = sum(Decimal(str(a["totalCost"])) for a in r.json()["data"][0].values())
    assert {door: cents(t) for door, t in totals.items()} == dict.fromkeys(totals, cents(bill))
