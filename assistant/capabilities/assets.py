"""What each node cost on the bill over a window, and how much of it sat idle: ``assets``.

The OpenCost-compatible ``GET /assets`` reads this. It is the smallest correct reading of
the allocation's stored facts: a node's cost per hour is ``node_cost_hours.node_cost``
(the bill line matched to the node, or the configured/default prices, with the source
named), split into CPU, GPU and RAM at the hour's unit prices with RAM taking the exact
remainder, and its idle is the allocation's ``__idle__`` rows for that node. So
allocated + idle = the node's cost, to the cent, for every node.

Node assets are cluster-wide facts (other teams' workloads run on them), so only admins
may read them, as with commitment coverage.

Note: issue 10 adds an asset view (what each node and cluster cost, allocated + idle) to
``assistant.costs``; when it lands this capability should read it instead of the SQL here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.common import freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.errors import DataGap, Forbidden
from assistant.windows import Window, parse_window

__all__ = ["AssetsReport", "AssetsRequest", "NodeAsset", "assets"]

_SQL = """
WITH n AS (
    SELECT cluster, node,
           min(hour) AS first_hour, max(hour) AS last_hour, count(*) AS hours,
           any_value(instance_type) AS instance_type,
           any_value(capacity_type) AS capacity_type,
           string_agg(DISTINCT price_source, ',' ORDER BY price_source) AS price_sources,
           avg(cpu_cores) AS cpu_cores, avg(ram_gib) AS ram_gib, avg(gpu_count) AS gpu_count,
           sum(cpu_cores) AS cpu_core_hours, sum(ram_gib) AS ram_gib_hours,
           sum(gpu_count) AS gpu_hours,
           sum({cost}) AS total,
           sum(CAST(coalesce(cpu_price * cpu_cores, 0) * {ratio} AS DECIMAL(38,12))) AS cpu,
           sum(CAST(coalesce(gpu_price * gpu_count, 0) * {ratio} AS DECIMAL(38,12))) AS gpu
    FROM node_cost_hours
    WHERE hour >= ? AND hour < ?
    GROUP BY ALL
), i AS (
    SELECT cluster, node, sum({idle}) AS idle
    FROM allocations
    WHERE kind = 'idle' AND hour >= ? AND hour < ?
    GROUP BY ALL
)
SELECT n.*, coalesce(i.idle, 0) AS idle
FROM n LEFT JOIN i USING (cluster, node)
ORDER BY total DESC, cluster, node
"""


class AssetsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field("7d", description="Period: 7d, 2026-10, last-month or START..END.")
    basis: Literal["amortized", "invoice"] = Field(
        "amortized", description="'amortized' = EffectiveCost; 'invoice' = BilledCost."
    )


class NodeAsset(BaseModel):
    cluster: str
    node: str
    start: datetime
    end: datetime  # exclusive: the hour after the last one seen
    hours: int
    instance_type: str | None
    capacity_type: str | None
    price_source: str
    cpu_cores: float | None
    ram_bytes: float | None
    gpu_count: float | None
    cpu_core_hours: float | None
    ram_byte_hours: float | None
    gpu_hours: float | None
    cpu_cost: Decimal
    gpu_cost: Decimal
    ram_cost: Decimal  # the remainder: cpu + gpu + ram = total exactly
    total_cost: Decimal
    idle_cost: Decimal
    allocated_cost: Decimal  # total − idle


class AssetsReport(BaseModel):
    window: str
    start: datetime
    end: datetime
    basis: str
    currency: str
    nodes: list[NodeAsset]
    total_cost: Decimal
    provenance: Provenance


def assets(request: AssetsRequest, ctx: Ctx) -> AssetsReport:
    """Each node's cost over the window with its allocated/idle split; admins only."""
    if not ctx.scope.admin:
        raise Forbidden(
            "Node assets are cluster-wide (every team's workloads run on them); only "
            "administrators may read them.",
            hint="Ask for your team's allocation instead (/allocation or /v1/costs).",
        )
    window: Window = parse_window(request.window, now=ctx.now)
    invoice = request.basis == "invoice"
    sql = _SQL.format(
        cost="node_billed_cost" if invoice else "node_cost",
        # unit prices are amortized; the invoice view scales them by the hour's ratio
        ratio="(node_billed_cost / nullif(node_cost, 0))" if invoice else "1",
        idle="billed_total_cost" if invoice else "total_cost",
    )
    params = [window.start, window.end, window.start, window.end]
    prov = Provenance(
        tables=["node_cost_hours", "allocations"],
        sql=sql.strip(),
        params=[str(p) for p in params],
        window=window.to_dict(),
        currency=ctx.settings.currency,
        cost_basis="invoice (BilledCost)" if invoice else "amortized (EffectiveCost)",
        notes=["nodes only: volumes, load balancers and unallocated bill lines are not assets"],
    )
    with warehouse(ctx, prov) as con:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        freshness(con).apply(prov)
    if not rows:
        raise DataGap(
            f"No node costs in {window.label()}.",
            hint="Ingest bills and metrics for that period, then run `penny allocate`.",
            provenance=prov,
        )
    nodes = [_node(r) for r in rows]
    prov.row_count = len(nodes)
    return AssetsReport(
        window=window.label(),
        start=window.start,
        end=window.end,
        basis=request.basis,
        currency=ctx.settings.currency,
        nodes=nodes,
        total_cost=sum((n.total_cost for n in nodes), Decimal(0)),
        provenance=prov,
    )


def _node(r: dict[str, object]) -> NodeAsset:
    from datetime import timedelta

    gib = 1024.0**3
    total, cpu, gpu, idle = (Decimal(str(r[k] or 0)) for k in ("total", "cpu", "gpu", "idle"))
    ram_gib, ram_gib_hours = r["ram_gib"], r["ram_gib_hours"]
    return NodeAsset(
        cluster=str(r["cluster"]),
        node=str(r["node"]),
        start=r["first_hour"],  # type: ignore[arg-type]
        end=r["last_hour"] + timedelta(hours=1),  # type: ignore[operator]
        hours=int(r["hours"]),  # type: ignore[call-overload]
        instance_type=r["instance_type"],  # type: ignore[arg-type]
        capacity_type=r["capacity_type"],  # type: ignore[arg-type]
        price_source=str(r["price_sources"]),
        cpu_cores=r["cpu_cores"],  # type: ignore[arg-type]
        ram_bytes=None if ram_gib is None else float(ram_gib) * gib,  # type: ignore[arg-type]
        gpu_count=r["gpu_count"],  # type: ignore[arg-type]
        cpu_core_hours=r["cpu_core_hours"],  # type: ignore[arg-type]
        ram_byte_hours=None if ram_gib_hours is None else float(ram_gib_hours) * gib,  # type: ignore[arg-type]
        gpu_hours=r["gpu_hours"],  # type: ignore[arg-type]
        cpu_cost=cpu,
        gpu_cost=gpu,
        ram_cost=total - cpu - gpu,
        total_cost=total,
        idle_cost=idle,
        allocated_cost=total - idle,
    )
