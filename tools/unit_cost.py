"""unit_cost: a workload's cost per request, per token, per GPU-hour, per transaction."""

from __future__ import annotations

from assistant.capabilities.units import UnitCostRequest
from assistant.capabilities.units import unit_cost as run_unit_cost
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "unit_cost"]

Args = UnitCostRequest


@tool("unit_cost", Args, capability=run_unit_cost)
def unit_cost(args: Args, ctx: ToolContext) -> ToolResult:
    """Unit economics: a workload's amortized cost divided by what it served over the same
    hours: cost per GPU-hour (from the allocation, for a workload, namespace or team), or
    per request / token / transaction / any unit whose Prometheus counter is configured for
    the workload in settings (`units:`) and ingested with the metrics. Returns the cost,
    the quantity, the cost per unit and per `scale` units (per 1k requests, per million
    tokens). When no counter is configured, says so and gives the settings to add."""
    return ToolResult.of(run_unit_cost(args, ctx))
