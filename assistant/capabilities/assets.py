"""What each node cost on the bill over a window, and how much of it sat idle: ``assets``.

The OpenCost-compatible ``GET /assets`` reads this. The money comes from the asset view
(:func:`assistant.costs.assets.asset_costs`, also ``penny assets`` and ``penny costs
--view asset``), so a node's total here is what ``penny assets`` shows as its compute:
its pods' CPU, RAM and GPU, its idle, and its bill lines for hours no metrics saw it —
the node's own bill lines in the window, to the cent. The PV and load-balancer cost of
its pods, which the asset view adds to the node, is not a node's cost in OpenCost's
Assets API and is left out here. Cost priced from the price list (a node the bill never
mentions) is not on the bill: it is reported apart (``estimated``), never in a total.
The node's shape (cores, RAM, GPUs, hours, instance type) is read from
``node_cost_hours``.

Node assets are cluster-wide facts (other teams' workloads run on them), so only admins
may read them, as with commitment coverage.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.common import freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.costs.assets import SPECIAL, AssetRow, asset_costs
from assistant.errors import DataGap, Forbidden
from assistant.windows import Window, parse_window

__all__ = ["AssetsReport", "AssetsRequest", "NodeAsset", "assets"]

_ZERO = Decimal(0)
_GIB = 1024.0**3

#: the node's shape over the window (the asset view has its money, not its hardware)
_FACTS_SQL = """
SELECT cluster, node, min(hour) AS first_hour, max(hour) AS last_hour, count(*) AS hours,
       any_value(instance_type) AS instance_type,
       any_value(capacity_type) AS capacity_type,
       string_agg(DISTINCT price_source, ',' ORDER BY price_source) AS price_sources,
       avg(cpu_cores) AS cpu_cores, avg(ram_gib) AS ram_gib, avg(gpu_count) AS gpu_count,
       sum(cpu_cores) AS cpu_core_hours, sum(ram_gib) AS ram_gib_hours,
       sum(gpu_count) AS gpu_hours
FROM node_cost_hours
WHERE hour >= ? AND hour < ?
GROUP BY ALL
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
    ram_cost: Decimal
    other_cost: Decimal  # network, and bill lines for hours no metrics saw the node
    total_cost: Decimal  # cpu + gpu + ram + other: the node's bill lines in the window
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
    #: node (cluster/node) -> cost priced from the price list: not on the bill, not in totals
    estimated: dict[str, Decimal] = Field(default_factory=dict)
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
    params = [window.start, window.end]
    with warehouse(ctx, Provenance(tables=["allocations"])) as con:
        table = asset_costs(
            con, window=window, by="node", basis=request.basis, settings=ctx.settings
        )
        cur = con.execute(_FACTS_SQL, params)
        names = [d[0] for d in cur.description]
        facts = {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}
        prov = table.provenance
        prov.tables = ["allocations", "node_cost_hours"]
        prov.notes = [
            *prov.notes,
            "nodes only: a node's total is its compute (pods, idle, unobserved hours); "
            "volumes, load balancers and unallocated bill lines are not node assets",
        ]
        freshness(con).apply(prov)
    nodes = [_node(r, facts.get((r.cluster, _node_name(r))), window) for r in _nodes(table.rows)]
    if not nodes:
        raise DataGap(
            f"No node costs in {window.label()}.",
            hint="Ingest bills and metrics for that period, then run `penny allocate`.",
            provenance=prov,
        )
    prov.row_count = len(nodes)
    return AssetsReport(
        window=window.label(),
        start=window.start,
        end=window.end,
        basis=request.basis,
        currency=ctx.settings.currency,
        nodes=nodes,
        total_cost=sum((n.total_cost for n in nodes), _ZERO),
        estimated={f"{r.cluster}/{_node_name(r)}": r.compute for r in _nodes(table.estimates)},
        provenance=prov,
    )


def _nodes(rows: list[AssetRow]) -> list[AssetRow]:
    return [r for r in rows if r.name not in SPECIAL and r.cluster is not None]


def _node_name(row: AssetRow) -> str:
    """The node's own name (the asset view writes cluster/node when two clusters share it)."""
    return row.name.removeprefix(f"{row.cluster}/")


def _node(row: AssetRow, facts: dict[str, Any] | None, window: Window) -> NodeAsset:
    f = facts or {}
    part = row.parts.get
    cpu = part("cpu", _ZERO) + part("idle_cpu", _ZERO)
    gpu = part("gpu", _ZERO) + part("idle_gpu", _ZERO)
    ram = part("ram", _ZERO) + part("idle_ram", _ZERO)
    total = row.compute
    first: datetime = f.get("first_hour") or window.start
    last: datetime | None = f.get("last_hour")
    ram_gib, ram_gib_hours = f.get("ram_gib"), f.get("ram_gib_hours")
    return NodeAsset(
        cluster=str(row.cluster),
        node=_node_name(row),
        start=first,
        end=last + timedelta(hours=1) if last else window.end,
        hours=int(f.get("hours") or 0),
        instance_type=f.get("instance_type"),
        capacity_type=f.get("capacity_type"),
        price_source=str(f.get("price_sources") or "bill"),
        cpu_cores=f.get("cpu_cores"),
        ram_bytes=None if ram_gib is None else float(ram_gib) * _GIB,
        gpu_count=f.get("gpu_count"),
        cpu_core_hours=f.get("cpu_core_hours"),
        ram_byte_hours=None if ram_gib_hours is None else float(ram_gib_hours) * _GIB,
        gpu_hours=f.get("gpu_hours"),
        cpu_cost=cpu,
        gpu_cost=gpu,
        ram_cost=ram,
        other_cost=total - cpu - gpu - ram,
        total_cost=total,
        idle_cost=row.idle,
        allocated_cost=total - row.idle,
    )
