"""bill_costs: the cloud bill by its own FOCUS dimensions (service, account, region, …)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.billing.bill_dimensions import BILL_DIMENSIONS
from assistant.billing.lines import bill_costs as run_bill_costs
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from assistant.windows import Window, parse_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "bill_costs"]


class Args(BaseModel):
    window: str = Field(
        "last-month",
        description="Period: 'YYYY-MM', 'last-month', 'this-month', '7d', 'START..END' (end "
        "exclusive), or 'all' for every billing line in the warehouse.",
    )
    group_by: str = Field(
        "service",
        description="Break the bill down by: " + ", ".join(BILL_DIMENSIONS) + ". "
        "service_category counts volume/disk lines as Storage; pricing_category is Standard "
        "(on-demand), Dynamic (spot) or Committed; charge_category is Usage, Purchase, Tax, "
        "Credit or Adjustment.",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description='Exact-match filters on the same dimensions, e.g. {"service": "AWS Data '
        'Transfer"}, {"charge_category": "Credit"}, {"service_category": "Storage"}. An unknown '
        "value is refused with the nearest real values.",
    )
    basis: Literal["amortized", "invoice", "list"] = Field(
        "amortized",
        description="amortized = EffectiveCost (default), invoice = BilledCost, list = ListCost "
        "(the undiscounted price).",
    )
    top_n: int = Field(10, ge=1, le=200, description="Groups to list, largest first.")


@tool("bill_costs", Args)
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
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            f"No warehouse at {ctx.settings.db_path}: run `penny demo` or `penny ingest focus …`."
        )
    window: Window | None = (
        None if args.window.strip().lower() == "all" else parse_window(args.window, now=ctx.now)
    )
    try:
        with reader(ctx.settings) as con:
            report = run_bill_costs(
                con,
                window=window,
                group_by=args.group_by,
                filters=args.filters,
                basis=args.basis,
                top_n=args.top_n,
                scope=ctx.scope,
                settings=ctx.settings,
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc))
    prov = report.provenance
    data = report.model_dump(mode="python", exclude={"provenance"})
    return ToolResult.success(data, prov)
