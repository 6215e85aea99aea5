"""bill_costs: the cloud bill by its own FOCUS dimensions (service, account, region, …)."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.bill_lines import BillCostsRequest
from assistant.capabilities.bill_lines import bill_costs as run_bill_costs
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "bill_costs"]


class Args(BillCostsRequest):
    top_n: int = Field(10, ge=1, le=200, description="Groups to list, largest first.")


@tool("bill_costs", Args, capability=run_bill_costs)
def bill_costs(args: Args, ctx: ToolContext) -> ToolResult:
    """The cloud bill itself, from the FOCUS billing lines (not the Kubernetes allocation):
    cost by cloud service ("S3", "EKS control plane", "NAT gateway", "data transfer"),
    service category (storage = storage services plus volumes), charge category (usage,
    purchase, tax, credit, adjustment), pricing category (on-demand, spot, commitment),
    provider, billing account, sub-account, region, resource type or month, with filters on
    the same dimensions, for any window or 'all' the data. Each group has amortized
    (EffectiveCost), invoice (BilledCost) and list (ListCost) cost. The summary answers
    credits, tax, commitment savings against list price, commitment coverage and
    utilisation, unused commitment, and spot savings against list price (all for the
    filtered lines). Lines are prorated to the window. Admins only: the bill is
    organisation-wide."""
    return ToolResult.of(run_bill_costs(args, ctx))
