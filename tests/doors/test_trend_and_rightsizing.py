"""Cost over time and rightsizing, through every door that offers them.

Trend: the daily cost of namespace ``payments`` over 2026-11-01..04 — the ``trend``
capability, the ``cost_trend`` tool (registry, LangChain, MCP) and OpenCost's
``/allocation`` with ``step=1d`` — equal, day by day, to Σ total_cost of the
namespace's rows that day. A team token sees its own namespace and is told another team's
does not exist for it, through every door.

Rightsizing: the savings per workload in ``payments`` — the core, ``penny rightsize
--json``, the ``rightsizing`` tool (registry, LangChain, MCP) and Slack — are the same.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from assistant.capabilities.rightsizing import RightsizingRequest, rightsizing
from assistant.capabilities.trend import TrendRequest, trend
from assistant.errors import NotFound
from assistant.warehouse.db import reader
from tests.doors.conftest import ASKERS, PAYMENTS, Penny, Who, cents

pytestmark = pytest.mark.slow

DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]
TREND = {"window": "2026-11-01..2026-11-04", "bucket": "day"}


def daily_truth(penny: Penny, namespace: str) -> dict[str, Decimal]:
    with reader(penny.settings) as con:
        rows = con.execute(
            "SELECT strftime(hour, '%Y-%m-%d'), sum(total_cost) FROM allocations WHERE "
            "namespace = ? AND hour >= '2026-11-01' AND hour < '2026-11-04' GROUP BY 1",
            [namespace],
        ).fetchall()
    return {day: cents(v) for day, v in rows}


def days_of(data: dict[str, Any]) -> dict[str, Decimal]:
    return {b["start"][:10]: cents(b["total"]) for b in data["buckets"]}


def trend_core(penny: Penny, who: Who, namespace: str) -> dict[str, Decimal]:
    req = TrendRequest(**TREND, filters={"namespace": namespace})
    return days_of(trend(req, penny.ctx(who)).model_dump(mode="json"))


def trend_via(door: str) -> Any:
    def run(penny: Penny, who: Who, namespace: str) -> dict[str, Decimal]:
        args = {**TREND, "filters": {"namespace": namespace}}
        result = getattr(penny, door)("cost_trend", args, who)
        if not result["ok"]:
            raise NotFound(result["error"])
        return days_of(result["data"])

    return run


def trend_opencost(penny: Penny, who: Who, namespace: str) -> dict[str, Decimal]:
    r = penny.http(
        "/allocation",
        who,
        window="2026-11-01T00:00:00Z,2026-11-04T00:00:00Z",
        aggregate="namespace",
        step="1d",
        filter=f'namespace:"{namespace}"',
    )
    if r.status_code == 404:
        raise NotFound(r.json()["error"]["message"])
    assert r.status_code == 200, r.text
    sets = r.json()["data"]
    return {s[namespace]["start"][:10]: cents(s[namespace]["totalCost"]) for s in sets}


TREND_DOORS = {
    "core": trend_core,
    "tool": trend_via("tool"),
    "langchain": trend_via("langchain"),
    "mcp": trend_via("mcp_tool"),
    "opencost": trend_opencost,
}


@pytest.mark.parametrize("who", list(ASKERS))
@pytest.mark.parametrize("door", list(TREND_DOORS))
def test_daily_cost_is_the_same_through_every_door(penny: Penny, door: str, who: str) -> None:
    asker = ASKERS[who]
    got = TREND_DOORS[door](penny, asker, "payments")
    assert got == daily_truth(penny, "payments")
    assert list(got) == DAYS
    if asker is PAYMENTS:  # another team's namespace does not exist for this token
        with pytest.raises(NotFound, match="No namespace named 'search'"):
            TREND_DOORS[door](penny, asker, "search")
    else:
        assert TREND_DOORS[door](penny, asker, "search") == daily_truth(penny, "search")


def savings_of(data: dict[str, Any]) -> dict[str, Decimal]:
    """{workload: monthly savings} (two clusters may hold the same workload: summed)."""
    out: dict[str, Decimal] = {}
    for rec in data["recommendations"]:
        out[rec["workload"]] = out.get(rec["workload"], Decimal(0)) + Decimal(
            str(rec["monthly_savings"])
        )
    return out


def rs_core(penny: Penny, who: Who) -> dict[str, Decimal]:
    return savings_of(rightsizing(RightsizingRequest(namespace="payments"), penny.ctx(who)).data())


def rs_cli(penny: Penny, who: Who) -> dict[str, Decimal]:
    return savings_of(penny.cli("rightsize", "--namespace", "payments", "--json"))


def rs_via(door: str) -> Any:
    def run(penny: Penny, who: Who) -> dict[str, Decimal]:
        return savings_of(
            getattr(penny, door)("rightsizing", {"namespace": "payments"}, who)["data"]
        )

    return run


# a workload in two clusters is named with its cluster ("prod-use1:payments/…"); the other
# doors sum a workload over its clusters, so the prefix is dropped here
_SLACK_ROW = re.compile(
    r"^(?:[\w.-]+:)?(?P<workload>\S+/\S+/\S+)\s+.*\$(?P<savings>[\d,]+\.\d\d)\s*$"
)


def rs_slack(penny: Penny, who: Who) -> dict[str, Decimal]:
    text = penny.ask_slack("rightsizing for namespace payments", who)
    block = re.search(r"```(.*?)```", text, re.S)
    assert block, text
    out: dict[str, Decimal] = {}
    for line in block.group(1).splitlines()[1:]:
        row = _SLACK_ROW.match(line.strip())
        if row:
            amount = Decimal(row["savings"].replace(",", ""))
            out[row["workload"]] = out.get(row["workload"], Decimal(0)) + amount
    return out


RS_DOORS = {
    "core": rs_core,
    "cli": rs_cli,
    "tool": rs_via("tool"),
    "langchain": rs_via("langchain"),
    "mcp": rs_via("mcp_tool"),
    "slack": rs_slack,
}


@pytest.mark.parametrize(
    ("door", "who"), [(d, w) for d in RS_DOORS for w in ASKERS if not (d == "cli" and w != "admin")]
)
def test_rightsizing_savings_are_the_same_through_every_door(
    penny: Penny, door: str, who: str
) -> None:
    asker = ASKERS[who]
    expected = rs_core(penny, asker)
    assert expected and all(w.startswith("payments/") for w in expected)
    got = RS_DOORS[door](penny, asker)
    if door == "slack":  # the chat answer lists the top five, largest savings first
        expected = dict(sorted(expected.items(), key=lambda kv: -kv[1])[:5])
    assert got == expected
