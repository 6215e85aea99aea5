"""Unit economics: ``unit_cost(request, ctx)``, a workload's cost per unit it served.

The arithmetic is :func:`assistant.costs.units.unit_cost`; this checks the names against
what the asker may see and keeps the one "not configured" answer for every door.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.common import check_filters, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.costs.units import UnitCostReport
from assistant.costs.units import unit_cost as run_unit_cost
from assistant.windows import parse_window

__all__ = ["UnitCostReport", "UnitCostRequest", "unit_cost"]


class UnitCostRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


def unit_cost(request: UnitCostRequest, ctx: Ctx) -> UnitCostReport:
    window = parse_window(request.window, now=ctx.now)
    names = {k: v for k, v in (("namespace", request.namespace), ("team", request.team)) if v}
    with warehouse(ctx) as con:
        check_filters(con, ctx, names)
        report = run_unit_cost(
            con,
            window=window,
            unit=request.unit.strip().lower(),
            scale=request.scale,
            namespace=request.namespace,
            workload=request.workload,
            team=request.team,
            scope=ctx.scope,
            settings=ctx.settings,
        )
        freshness(con).apply(report.provenance)
    return report
