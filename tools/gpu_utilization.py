"""gpu_utilization: GPU-hours, activity and idle GPU cost per group, or the idle GPUs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.rightsizing.gpu import gpu_utilization as utilisation
from assistant.rightsizing.gpu import idle_gpus
from assistant.rightsizing.savings import to_cents
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult
from tools.rightsizing import freshness

__all__ = ["Args", "gpu_utilization"]


class Args(BaseModel):
    window: str = Field(
        "7d",
        description="Period: '7d', '24h', 'YYYY-MM', 'last-month', or "
        "'START..END' (end exclusive).",
    )
    by: Literal["workload", "pod", "namespace", "team", "model", "node"] = Field(
        "workload", description="Group GPU use by this dimension."
    )
    idle_only: bool = Field(
        False,
        description="true = list the idle GPUs themselves (device, "
        "pod, owner, team, idle hours and cost) instead of groups.",
    )
    top_n: int = Field(10, ge=1, le=100, description="Rows to return, costliest idle first.")


@tool("gpu_utilization", Args)
def gpu_utilization(args: Args, ctx: ToolContext) -> ToolResult:
    """GPU use and waste from DCGM metrics: per workload/pod/namespace/team/model/node the
    GPU-hours (MIG slices and time-sliced GPUs count by their share of the physical GPU),
    average activity (DCGM_FI_PROF_GR_ENGINE_ACTIVE, or DCGM_FI_DEV_GPU_UTIL where profiling
    metrics are absent), the GPU-hours spent idle in sustained runs (below the configured
    threshold for at least the configured hours) and their cost as exact decimal strings.
    With idle_only=true: each idle GPU with its pod, owning workload, team, idle hours, cost,
    and whether low power draw confirms it."""
    settings = ctx.settings
    window = parse_window(args.window, now=ctx.now)
    if not settings.db_path.exists():
        return ToolResult.no_data(f"No warehouse at {settings.db_path}: run `penny demo` first.")
    rs = settings.rightsizing
    prov = Provenance(
        tables=["allocations", "node_cost_hours", "gpu_hours"],
        window=window.to_dict(),
        currency=settings.currency,
        group_by=args.by,
        notes=[
            f"idle = activity < {rs.gpu_idle_threshold_pct:g}% for ≥ "
            f"{rs.gpu_idle_min_hours} consecutive hours",
            "GPU-hours and cost are the allocation's (MIG slices and time-sliced GPUs by "
            "their share of a physical GPU); rows add up to the GPU cost of query_costs",
        ],
    )
    with reader(settings) as con:
        prov.freshness = freshness(con)
        if args.idle_only:
            found = idle_gpus(con, window=window, scope=ctx.scope, settings=settings)
            rows = [g.to_dict() for g in found[: args.top_n]]
            total = sum((g.idle_cost for g in found), Decimal(0))
            cost_total = None
            count = len(found)
        else:
            groups = utilisation(con, window=window, by=args.by, scope=ctx.scope, settings=settings)
            shown = groups[: args.top_n]
            if len(groups) > len(shown):  # the rest as one row, so the rows add up
                shown = [*shown, _fold(groups[args.top_n :], args.by)]
            rows = [
                {k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in shown
            ]
            total = sum((r["idle_cost"] for r in groups), Decimal(0))
            cost_total = sum((r["cost"] for r in groups), Decimal(0))
            estimated = sum((r["estimated_cost"] for r in groups), Decimal(0))
            count = len(groups)
            if estimated:
                prov.notes.append(
                    f"{estimated} of GPU cost is an estimate (price list, no bill line): "
                    "in estimated_cost, not in cost"
                )
    if count == 0:
        return ToolResult.no_data(
            f"No GPU {'idle time' if args.idle_only else 'metrics'} in {window.label()} that "
            "you may see." + ("" if args.idle_only else " Is DCGM exporter scraped?"),
            prov,
        )
    prov.row_count = count
    prov.truncated = count > args.top_n
    return ToolResult.success(
        {
            "window": window.label(),
            "rows": rows,
            "idle_cost_total": str(to_cents(total)),
            "rows_total": count,
        }
        | ({"cost_total": str(cost_total)} if cost_total is not None else {}),
        prov,
    )


def _fold(rest: list[dict[str, Any]], by: str) -> dict[str, Any]:
    """'and N more': the groups past top_n summed (activity weighted by GPU-hours)."""
    hours = sum(r["gpu_hours"] for r in rest)
    weighted = [(r["avg_activity_pct"], r["gpu_hours"]) for r in rest if r["avg_activity_pct"]]
    weight = sum(w for _, w in weighted)
    idle_hours = sum(r["idle_gpu_hours"] for r in rest)
    return {
        by: f"and {len(rest)} more",
        "gpu_hours": round(hours, 6),
        "avg_activity_pct": round(sum(a * w for a, w in weighted) / weight, 3) if weight else None,
        "idle_gpu_hours": round(idle_hours, 6),
        "idle_share": round(idle_hours / hours, 4) if hours else 0,
        "cost": sum((r["cost"] for r in rest), Decimal(0)),
        "estimated_cost": sum((r["estimated_cost"] for r in rest), Decimal(0)),
        "idle_cost": sum((r["idle_cost"] for r in rest), Decimal(0)),
        "devices": sum(r["devices"] for r in rest),
        "signals": sorted({s for r in rest for s in r["signals"]}),
    }
