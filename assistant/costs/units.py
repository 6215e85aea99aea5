"""``unit_cost()``: a workload's cost divided by what it served in the same hours.

Quantities: GPU-hours from the allocation itself (GPUs requested × hours, what the GPU
cost is billed on), every other unit from the usage counters configured in
``settings.units`` and ingested into ``unit_usage_hours``. Cost and quantity cover the
same hours (those with a counter sample), so the ratio never divides a month's cost by a
week's requests. A unit with no counter configured is a :class:`DataGap` whose hint is
the settings that would configure it.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["UnitCostReport", "unit_cost"]

GPU_HOUR = "gpu-hour"
_Q = Decimal("1e-12")


class UnitCostReport(BaseModel):
    window: str
    namespace: str | None
    workload: str | None
    team: str | None = None
    unit: str
    scale: int  # per_scale is the cost of this many units
    quantity: Decimal
    cost: Decimal  # amortized, the hours with usage data
    per_unit: Decimal
    per_scale: Decimal
    hours: int  # hours with both cost and usage
    source: str  # where the quantity came from
    currency: str
    provenance: Provenance = Field(default_factory=Provenance)


def _configure_hint(unit: str, namespace: str | None, workload: str | None) -> str:
    return (
        "Add a usage counter for it to the settings and ingest metrics again, e.g. "
        f"`units: [{{unit: {unit}, metric: http_requests_total, namespace: "
        f"{namespace or 'NAMESPACE'}, workload: {workload or 'WORKLOAD'}, labels: "
        f"{{service: {workload or 'WORKLOAD'}}}}}]`, then `penny ingest prometheus …` "
        "(docs/settings.md, units)."
    )


def unit_cost(
    con: Connection,
    *,
    window: Window,
    unit: str,
    scale: int = 1,
    namespace: str | None = None,
    workload: str | None = None,
    team: str | None = None,
    scope: Scope,
    settings: Settings,
) -> UnitCostReport:
    """Cost per ``unit`` (× ``scale``) of one workload (GPU-hours: also a team/namespace)."""
    if scale < 1:
        raise InputError(f"scale must be at least 1, got {scale}.")
    if unit != GPU_HOUR and not workload:
        raise InputError("A unit cost other than per GPU-hour needs a workload.")
    scope_sql, scope_params = scope.sql_filter("a.team", "a.namespace")
    where = ["a.kind = 'workload'", "a.hour >= ?", "a.hour < ?", scope_sql]
    params: list[object] = [window.start, window.end, *scope_params]
    for col, value in (("namespace", namespace), ("controller_name", workload), ("team", team)):
        if value:
            where.append(f"a.{col} = ?")
            params.append(value)
    cond = " AND ".join(where)
    if unit == GPU_HOUR:
        sql = (
            "SELECT sum(a.total_cost), sum(coalesce(a.gpu_hours, 0)), count(DISTINCT a.hour) "
            f"FROM allocations a WHERE {cond}"
        )
        row = con.execute(sql, params).fetchone()
        source, tables = "GPU-hours requested, from the allocation", ["allocations"]
    else:
        configured = [
            u
            for u in settings.units
            if u.unit == unit
            and u.workload == workload
            and (not namespace or u.namespace == namespace)
        ]
        if not configured:
            raise DataGap(
                f"No usage counter of {unit}s is configured for {workload}.",
                hint=_configure_hint(unit, namespace, workload),
            )
        sql = (
            "WITH u AS (SELECT cluster, namespace, workload, hour, sum(quantity) AS q "
            "FROM unit_usage_hours WHERE unit = ? GROUP BY ALL), "
            "c AS (SELECT a.cluster, a.namespace, a.controller_name AS workload, a.hour, "
            f"sum(a.total_cost) AS cost FROM allocations a WHERE {cond} GROUP BY ALL) "
            "SELECT sum(c.cost), sum(u.q), count(DISTINCT c.hour) FROM c JOIN u USING "
            "(cluster, namespace, workload, hour)"
        )
        row = con.execute(sql, [unit, *params]).fetchone()
        metric = configured[0].metric
        source, tables = f"counter {metric}", ["allocations", "unit_usage_hours"]
        if not row or row[1] is None:
            raise DataGap(
                f"No {metric} samples for {workload} in {window.label()}.",
                hint="Run `penny ingest prometheus …` (or openmetrics) for that period; the "
                "counter is read with the other metrics.",
            )
    if not row or row[0] is None:
        raise DataGap(
            f"No cost for {workload or team or namespace} in {window.label()} that you may see.",
            hint="Check the name and period, or run `penny allocate`.",
        )
    cost, quantity, hours = Decimal(row[0]), Decimal(repr(float(row[1] or 0))), int(row[2])
    if quantity == 0:
        raise DataGap(f"{workload or team or namespace} served no {unit}s in {window.label()}.")
    per_unit = (cost / quantity).quantize(_Q)
    return UnitCostReport(
        window=window.label(),
        namespace=namespace,
        workload=workload,
        team=team,
        unit=unit,
        scale=scale,
        quantity=quantity,
        cost=cost,
        per_unit=per_unit,
        per_scale=(cost * scale / quantity).quantize(_Q),
        hours=hours,
        source=source,
        currency=settings.currency,
        provenance=Provenance(
            tables=tables,
            sql=sql,
            window=window.to_dict(),
            filters={
                k: v
                for k, v in (("namespace", namespace), ("workload", workload), ("team", team))
                if v
            },
            currency=settings.currency,
            cost_basis="amortized (EffectiveCost)",
            notes=[
                f"cost and {unit}s over the same {hours} hours; "
                f"per {scale} = cost × {scale} ÷ quantity"
            ],
        ),
    )
