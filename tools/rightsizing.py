"""rightsizing: per-workload request recommendations with monthly dollar savings."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.rightsizing import RightsizingRequest
from assistant.capabilities.rightsizing import rightsizing as run_rightsizing
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "rightsizing"]


class Args(RightsizingRequest):
    history_days: int = Field(14, ge=1, le=90, description="Days of usage history to use.")
    top_n: int | None = Field(
        10, ge=1, le=50, description="Workloads to return, largest savings first."
    )


@tool("rightsizing", Args, capability=run_rightsizing)
def rightsizing(args: Args, ctx: ToolContext) -> ToolResult:
    """Rightsizing recommendations from the warehouse's usage history: for each workload
    (Deployment, StatefulSet, DaemonSet, CronJob, Job, bare Pod) and container, current vs
    proposed CPU/memory requests and limits, the evidence (percentiles, peak, OOM kills,
    history hours), the monthly cost now and after at the allocation's unit prices
    (× replicas × 730 h), the monthly savings as exact decimal strings, a severity, how many
    nodes the change frees at today's packing, and the HPA target rewrite that keeps the
    scale point when an HPA scales on CPU or memory. Workloads with too little history are
    listed as not_enough_data. Optional extras: spot candidates, commitment coverage,
    orphaned resources. Nothing is applied; use draft_rightsizing_change for a patch."""
    return ToolResult.of(run_rightsizing(args, ctx))
