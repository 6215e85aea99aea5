"""gpu_utilization: GPU-hours, activity and idle GPU cost per group, or the idle GPUs."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.rightsizing import GpuRequest, gpu
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "gpu_utilization"]


class Args(GpuRequest):
    top_n: int | None = Field(10, ge=1, le=100, description="Rows to return, costliest idle first.")


@tool("gpu_utilization", Args, capability=gpu)
def gpu_utilization(args: Args, ctx: ToolContext) -> ToolResult:
    """GPU use and waste from DCGM metrics: per workload/pod/namespace/team/model/node the
    GPU-hours (MIG slices and time-sliced GPUs count by their share of the physical GPU),
    average activity (DCGM_FI_PROF_GR_ENGINE_ACTIVE, or DCGM_FI_DEV_GPU_UTIL where profiling
    metrics are absent), the GPU-hours spent idle in sustained runs (below the configured
    threshold for at least the configured hours) and their cost as exact decimal strings.
    With idle_only=true: each idle GPU with its pod, owning workload, team, idle hours, cost,
    and whether low power draw confirms it."""
    return ToolResult.of(gpu(args, ctx))
