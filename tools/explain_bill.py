"""explain_bill: a month's bill explained — totals, reconciliation, drivers of the change."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.bill import TOP_HELP, BillRequest, bill
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "explain_bill"]


class Args(BillRequest):
    top_n: int | None = Field(10, ge=1, le=50, description=TOP_HELP)


@tool("explain_bill", Args, capability=bill)
def explain_bill(args: Args, ctx: ToolContext) -> ToolResult:
    """Explain a month's cloud bill ("why did October go up?"): the invoice total (BilledCost)
    and amortized total (EffectiveCost) with what makes them differ (commitment purchases and
    coverage, credits, tax, refunds); the reconciliation allocated + idle + shared +
    unallocated = bill per cluster; and the change against the previous month (or `compare`)
    split into effects that add up exactly to the change (usage growth, new/removed
    workloads, idle capacity, spot/on-demand mix, commitment coverage, unit prices,
    unallocated services, credits, tax, days in month), with the top drivers by workload, node
    SKU and bill service, each with evidence (quantities, node-hours, SKUs). A month in
    progress gets a forecast with its method. Money is exact decimal strings. A team-scoped
    asker sees only its own workloads (no org-wide bill totals)."""
    return ToolResult.of(bill(args, ctx))
