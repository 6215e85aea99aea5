"""detect_anomalies: days whose cost per group is far from a weekday-aware robust baseline."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.bill import AnomaliesRequest, anomalies
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "detect_anomalies"]


class Args(AnomaliesRequest):
    top_n: int | None = Field(10, ge=1, le=50, description="Anomalies to list, largest $ first.")


@tool("detect_anomalies", Args, capability=anomalies)
def detect_anomalies(args: Args, ctx: ToolContext) -> ToolResult:
    """Find unusual days ("anything unusual this week?"): daily amortized cost per team,
    namespace, service or cluster against a robust weekday-aware baseline (median of the same
    weekday over the previous 28 days; scale = 1.4826 × MAD). Each anomaly has the day, the
    group, spike or drop, actual vs expected cost, the excess in $, a score in scale units and
    the workloads that caused it. Small deviations below the configured minimum $ impact are
    not reported. An empty list means nothing unusual was found."""
    return ToolResult.of(anomalies(args, ctx))
