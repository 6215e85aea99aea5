"""unit_cost: a workload's cost per request, per token, per GPU-hour, per transaction."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.costs.units import unit_cost as run_unit_cost
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "unit_cost"]


class Args(BaseModel):
    unit: str = Field(
        description="What to divide by: 'gpu-hour' (always available), or a unit configured in "
        "settings.units for the workload: 'request', 'token', 'transaction', …",
    )
    workload: str | None = Field(None, description="Controller name, e.g. 'checkout-api'.")
    namespace: str | None = Field(None, description="The workload's namespace.")
    team: str | None = Field(None, description="GPU-hours only: a whole team.")
    scale: int = Field(
        1, ge=1, le=1_000_000_000, description="Cost of this many units: 1000 = per 1k requests."
    )
    window: str = Field(
        "last-month",
        description="Period: 'YYYY-MM', 'last-month', 'this-month', '7d', 'START..END'.",
    )


@tool("unit_cost", Args)
def unit_cost(args: Args, ctx: ToolContext) -> ToolResult:
    """Unit economics: a workload's amortized cost divided by what it served over the same
    hours: cost per GPU-hour (from the allocation, for a workload, namespace or team), or
    per request / token / transaction / any unit whose Prometheus counter is configured for
    the workload in settings (`units:`) and ingested with the metrics. Returns the cost,
    the quantity, the cost per unit and per `scale` units (per 1k requests, per million
    tokens). When no counter is configured, says so and gives the settings to add."""
    window = parse_window(args.window, now=ctx.now)
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(f"No warehouse at {ctx.settings.db_path}: run `penny demo`.")
    try:
        with reader(ctx.settings) as con:
            report = run_unit_cost(
                con,
                window=window,
                unit=args.unit.strip().lower(),
                scale=args.scale,
                namespace=args.namespace,
                workload=args.workload,
                team=args.team,
                scope=ctx.scope,
                settings=ctx.settings,
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc))
    return ToolResult.success(
        report.model_dump(mode="python", exclude={"provenance"}), report.provenance
    )
