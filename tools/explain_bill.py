"""explain_bill: a month's bill explained — totals, reconciliation, drivers of the change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.billing.explain import explain_bill as run_explain_bill
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from tools._billing_common import bounded, month_arg, provenance
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "explain_bill"]


class Args(BaseModel):
    month: str = Field(
        "last-month",
        description="The bill month: 'YYYY-MM' (e.g. 2026-10), 'last-month' or 'this-month' "
        "(month to date, with a forecast).",
    )
    compare: str | None = Field(
        None, description="Month to compare with, 'YYYY-MM'; omit for the previous month."
    )
    top_n: int = Field(
        10,
        ge=1,
        le=50,
        description="Drivers and groups to list (largest first); the rest are counted in 'more'.",
    )


@tool("explain_bill", Args)
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
    month = month_arg(args.month, ctx.now, "month")
    compare = month_arg(args.compare, ctx.now, "compare") if args.compare else None
    prov = provenance(month, ctx.scope)
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo` or `penny ingest …` and `penny allocate` first.",
            prov,
        )
    try:
        with reader(ctx.settings) as con:
            expl = run_explain_bill(
                con, month, compare=compare, scope=ctx.scope, settings=ctx.settings
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc), prov)
    data: dict[str, Any] = expl.model_dump(mode="python", exclude={"daily"})
    truncated = False
    if expl.variance is not None:
        v = data["variance"]
        v["drivers"], more = bounded(v["drivers"], args.top_n)
        v["more_drivers"] = v["drivers_total"] - len(v["drivers"])
        v["other_drivers_amount"] = v["change"] - sum(d["amount"] for d in v["drivers"])
        truncated = more > 0
        for dim, rows in list(v["groups"].items()):
            v["groups"][dim], v.setdefault("more_groups", {})[dim] = bounded(rows, args.top_n)
    prov = provenance(month, ctx.scope, notes=expl.notes, truncated=truncated)
    prov.window = expl.covered
    return ToolResult.success(data, prov)
