"""detect_anomalies: days whose cost per group is far from a weekday-aware robust baseline."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.billing.anomalies import detect_anomalies as run_detect
from assistant.billing.anomalies import method_text
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools._billing_common import bounded, provenance
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "detect_anomalies"]


class Args(BaseModel):
    window: str = Field(
        "30d",
        description="Days to check: '7d', '30d', '2w', 'this-month', 'YYYY-MM', or "
        "'START..END' with dates (end exclusive). 'this week' ≈ '7d'.",
    )
    by: Literal["team", "namespace", "service", "cluster"] = Field(
        "team", description="Group whose daily cost is checked."
    )
    top_n: int = Field(10, ge=1, le=50, description="Anomalies to list, largest $ first.")


@tool("detect_anomalies", Args)
def detect_anomalies(args: Args, ctx: ToolContext) -> ToolResult:
    """Find unusual days ("anything unusual this week?"): daily amortized cost per team,
    namespace, service or cluster against a robust weekday-aware baseline (median of the same
    weekday over the previous 28 days; scale = 1.4826 × MAD). Each anomaly has the day, the
    group, spike or drop, actual vs expected cost, the excess in $, a score in scale units and
    the workloads that caused it. Small deviations below the configured minimum $ impact are
    not reported. An empty list means nothing unusual was found."""
    window = parse_window(args.window, now=ctx.now)
    cfg = ctx.settings.anomalies
    prov = provenance(
        window,
        ctx.scope,
        group_by=args.by,
        tables=["allocations"],
        notes=[method_text(cfg.threshold_mads, cfg.min_impact_usd)],
    )
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo` or `penny ingest …` and `penny allocate` first.",
            prov,
        )
    try:
        with reader(ctx.settings) as con:
            found = run_detect(
                con, window=window, by=args.by, scope=ctx.scope, settings=ctx.settings
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc), prov)
    shown, more = bounded(found, args.top_n)
    prov.truncated = more > 0
    return ToolResult.success(
        {
            "window": window.label(),
            "by": args.by,
            "anomalies": [a.model_dump(mode="python") for a in shown],
            "more": more,
            "checked_days_from": window.to_dict()["start"],
        },
        prov,
    )
