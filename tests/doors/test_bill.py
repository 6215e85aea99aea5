"""October's bill through every door that explains it, as an admin and as a team.

An admin sees the org's bill: Σ EffectiveCost (amortized) and Σ BilledCost (invoice) of
October's bill lines. A team sees no org totals (``totals`` is null) and its own
allocated cost: Σ total_cost of its workload rows. Both figures are computed here from
the warehouse, to the cent, and every door must give them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from assistant.capabilities.bill import BillRequest, bill
from assistant.warehouse.db import reader
from tests.doors.conftest import ADMIN, ASKERS, PAYMENTS, Penny, Who, cents

pytestmark = pytest.mark.slow

MONTH = "2026-10"


def truth(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    with reader(penny.settings) as con:
        amortized, invoice = con.execute(
            "SELECT sum(effective_cost), sum(billed_cost) FROM billing_lines WHERE "
            "charge_period_start >= '2026-10-01' AND charge_period_start < '2026-11-01'"
        ).fetchone()
        (team,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND "
            "team = 'payments' AND strftime(hour, '%Y-%m') = ?",
            [MONTH],
        ).fetchone()
    if who is PAYMENTS:
        return {"amortized": None, "invoice": None, "visible": cents(team)}
    return {"amortized": cents(amortized), "invoice": cents(invoice), "visible": cents(amortized)}


def figures(explanation: dict[str, Any]) -> dict[str, Decimal | None]:
    totals = explanation["totals"]
    return {
        "amortized": cents(totals["amortized"]) if totals else None,
        "invoice": cents(totals["invoice"]) if totals else None,
        "visible": cents(explanation["allocated_total"] if not totals else totals["amortized"]),
    }


def core(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    report = bill(BillRequest(month=MONTH), penny.ctx(who))
    return figures(report.explanation.model_dump(mode="json"))


def cli(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    return figures(penny.cli("bill", MONTH, "--format", "json"))


def http(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    r = penny.http(f"/v1/bill/{MONTH}", who, format="json")
    assert r.status_code == 200, r.text
    return figures(r.json())


def tool(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    return figures(penny.tool("explain_bill", {"month": MONTH}, who)["data"])


def langchain(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    return figures(penny.langchain("explain_bill", {"month": MONTH}, who)["data"])


def mcp_tool(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    return figures(penny.mcp_tool("explain_bill", {"month": MONTH}, who)["data"])


def mcp_resource(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    result = penny.mcp(who, "read_resource", f"penny://bill/{MONTH}.json")
    return figures(json.loads(result.contents[0].text))


def slack(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    """The answer names the figures; read them back where the expected ones stand."""
    text = penny.ask_slack("explain the bill for October", who)
    want = truth(penny, who)
    found: dict[str, Decimal | None] = {}
    for key, value in want.items():
        found[key] = value if value is not None and f"${value:,}" in text else None
    if who is PAYMENTS:  # and the org's totals are nowhere in a team's answer
        assert f"${truth(penny, ADMIN)['amortized']:,}" not in text
    return found


def opencost(penny: Penny, who: Who) -> dict[str, Decimal | None]:
    """The allocation over the month adds up to what the asker may see of the bill."""
    window = "2026-10-01T00:00:00Z,2026-11-01T00:00:00Z"
    r = penny.http("/allocation", who, window=window, aggregate="cluster", accumulate="true")
    assert r.status_code == 200, r.text
    visible = cents(sum(Decimal(str(a["totalCost"])) for a in r.json()["data"][0].values()))
    return {"visible": visible}  # OpenCost's /allocation has no org totals or invoice view


DOORS = {
    "core": core,
    "cli": cli,
    "http": http,
    "tool": tool,
    "langchain": langchain,
    "slack": slack,
    "mcp-tool": mcp_tool,
    "mcp-resource": mcp_resource,
    "opencost": opencost,
}
CASES = [(d, w) for d in DOORS for w in ASKERS if not (d == "cli" and w != "admin")]


@pytest.mark.parametrize(("door", "who"), CASES)
def test_the_bill_is_the_same_through_every_door(penny: Penny, door: str, who: str) -> None:
    asker = ASKERS[who]
    got = DOORS[door](penny, asker)
    want = truth(penny, asker)
    assert "visible" in got
    assert got == {k: want[k] for k in got}
