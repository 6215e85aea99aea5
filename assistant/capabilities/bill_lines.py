"""The cloud bill by its own FOCUS dimensions: ``bill_costs(request, ctx)``.

The arithmetic is :func:`assistant.billing.lines.bill_costs`; this adds what every door
needs the same way: 'all' as a window, a filter value the bill does not have refused with
the nearest real values, freshness, and the scope refusal (the bill is organisation-wide).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.billing.bill_dimensions import BILL_DIMENSIONS, validate_bill_dimension
from assistant.billing.lines import BillCostsReport, bill_values
from assistant.billing.lines import bill_costs as run_bill_costs
from assistant.capabilities.common import freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.errors import NotFound
from assistant.knowledge.resolve import closest_names
from assistant.warehouse.db import Connection
from assistant.windows import Window, parse_window

__all__ = ["BillCostsReport", "BillCostsRequest", "bill_costs"]


class BillCostsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(
        "last-month",
        description="Period: 'YYYY-MM', 'last-month', 'this-month', '7d', 'START..END' (end "
        "exclusive), or 'all' for every billing line in the warehouse.",
    )
    group_by: str = Field(
        "service",
        description="Break the bill down by: " + ", ".join(BILL_DIMENSIONS) + ". "
        "service_category counts volume/disk lines as Storage; pricing_category is Standard "
        "(on-demand), Dynamic (spot) or Committed; charge_category is Usage, Purchase, Tax, "
        "Credit or Adjustment.",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description='Exact-match filters on the same dimensions, e.g. {"service": "AWS Data '
        'Transfer"}, {"charge_category": "Credit"}, {"service_category": "Storage"}. An unknown '
        "value is refused with the nearest real values.",
    )
    basis: Literal["amortized", "invoice", "list"] = Field(
        "amortized",
        description="amortized = EffectiveCost (default), invoice = BilledCost, list = ListCost "
        "(the undiscounted price).",
    )
    top_n: int = Field(50, ge=1, le=1000, description="Groups to list, largest first.")

    @field_validator("group_by")
    @classmethod
    def _dimension(cls, value: str) -> str:
        return validate_bill_dimension(value)

    @field_validator("filters")
    @classmethod
    def _filter_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {validate_bill_dimension(k, what="filter key"): v for k, v in value.items()}


def _check(con: Connection, filters: dict[str, str]) -> None:
    for key, value in filters.items():
        known = bill_values(con, key)
        if value in known:
            continue
        near = closest_names(value, known)
        raise NotFound(
            f"No {key} {value!r} in the billing data.",
            hint=f"Did you mean: {', '.join(near)}?"
            if near
            else f"Known values: {', '.join(known[:15]) or 'none'}.",
            dimension=key,
            value=value,
            suggestions=near,
        )


def bill_costs(request: BillCostsRequest, ctx: Ctx) -> BillCostsReport:
    """Bill lines grouped and filtered; NotFound for a value the bill does not have."""
    window: Window | None = (
        None
        if request.window.strip().lower() == "all"
        else parse_window(request.window, now=ctx.now)
    )
    with warehouse(ctx) as con:
        if ctx.scope.admin:
            _check(con, request.filters)
        report = run_bill_costs(
            con,
            window=window,
            group_by=request.group_by,
            filters=request.filters,
            basis=request.basis,
            top_n=request.top_n,
            scope=ctx.scope,
            settings=ctx.settings,
        )
        freshness(con).apply(report.provenance)
    return report
