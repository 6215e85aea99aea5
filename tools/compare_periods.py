"""compare_periods: the cost change between two periods, decomposed by driver."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.billing.explain import compare_periods as run_compare
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools._billing_common import bounded, provenance
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "compare_periods"]

_WINDOW_HELP = (
    "'YYYY-MM' (e.g. 2026-10), 'last-month', 'this-month', '7d', '2w', 'today', "
    "'yesterday', or 'START..END' with dates (end exclusive)"
)


class Args(BaseModel):
    a: str = Field(description=f"The earlier (baseline) period: {_WINDOW_HELP}.")
    b: str = Field(description=f"The later period to explain: {_WINDOW_HELP}.")
    by: Literal["team", "namespace", "service", "cluster", "workload"] = Field(
        "team", description="Grouping for the per-group change table."
    )
    top_n: int = Field(
        10,
        ge=1,
        le=50,
        description="Drivers and groups to list (largest first); the rest are counted in 'more'.",
    )


@tool("compare_periods", Args)
def compare_periods(args: Args, ctx: ToolContext) -> ToolResult:
    """Compare allocated cost between period `a` (baseline) and period `b` and explain the
    change: effects that add up exactly to it (days in period, usage growth, new and removed
    workloads, idle capacity, spot/on-demand/instance mix, commitment coverage, unit price
    changes, unallocated services such as control plane or NAT, credits, tax), the top
    drivers (workload, node SKU or bill service, with evidence: quantities, node-hours,
    SKUs), and the change per `by` group with before/after/percent. Amortized cost
    (EffectiveCost). A period with no data is reported as no_data, never as zero. A
    team-scoped asker sees only its own workloads."""
    a = parse_window(args.a, now=ctx.now)
    b = parse_window(args.b, now=ctx.now)
    prov = provenance(b, ctx.scope, group_by=args.by)
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo` or `penny ingest …` and `penny allocate` first.",
            prov,
        )
    try:
        with reader(ctx.settings) as con:
            v = run_compare(
                con, a, b, by=args.by, scope=ctx.scope, settings=ctx.settings, top=args.top_n
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc), prov)
    data: dict[str, Any] = v.model_dump(mode="python")
    groups = data.pop("groups")
    data["groups"], data["more_groups"] = bounded(groups.get(args.by, []), args.top_n)
    data["more_drivers"] = v.drivers_total - len(v.drivers)
    prov = provenance(
        b,
        ctx.scope,
        group_by=args.by,
        notes=v.notes,
        truncated=data["more_drivers"] > 0 or data["more_groups"] > 0,
    )
    prov.filters["compared_with"] = a.to_dict()
    return ToolResult.success(data, prov)
