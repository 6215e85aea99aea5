"""``asset_costs()``: what each node or cluster cost on the bill — the asset view.

"Which cluster costs the most?" and "most expensive nodes" mean the whole thing, as
OpenCost's Assets API reports it, not the part workloads requested. A node's row is

    its pods' CPU, RAM and GPU  +  its own idle (cpu, ram, gpu)
    +  the PV and load-balancer cost of the pods on it  +  its bill lines for hours no
    metrics saw it (``other``: the node was billed but not observed)

so a node's compute (everything but PV/LB) equals its own bill lines in the window, and a
cluster's row is every bill line attributable to it (nodes, volumes, load balancers and
the unallocated lines tagged with it: control plane, NAT, egress). Rows no node can own
stay apart: ``__unmounted__`` (volume time no pod mounted, LBs with no pod behind),
``__no_node__`` (a container with no node), ``__unallocated__`` (lines of no node or
cluster). The rows add up to the bill exactly; cost priced from the price list (a node
the bill never mentions) is listed apart as an estimate and never in the total.

Where it differs from OpenCost: OpenCost's Assets API lists disks and load balancers as
assets of their own; here a pod's PV/LB follows the pod to its node (its allocation, as
OpenCost's allocation view has it), so "what did this node cost" includes the storage its
pods used. Unmounted volumes stay their own row either way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from assistant.allocation.freshness import require_fresh
from assistant.config import Settings
from assistant.core.placeholders import NO_NODE, UNALLOCATED, UNMOUNTED
from assistant.core.provenance import Provenance
from assistant.costs.dimensions import dimension_expr
from assistant.costs.unit_sql import ESTIMATE_SQL, used_cost_sql
from assistant.errors import InputError
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = ["ASSET_BY", "ASSET_FILTERS", "SPECIAL", "AssetRow", "AssetTable", "asset_costs"]

ASSET_BY = ("node", "cluster")
ASSET_FILTERS = ("cluster", "node")
#: rows that are not a node or cluster, listed after them
SPECIAL = (UNMOUNTED, NO_NODE, UNALLOCATED)
PARTS = ("cpu", "ram", "gpu", "idle_cpu", "idle_ram", "idle_gpu", "pv", "lb", "network", "other")
_ZERO = Decimal(0)
_COSTS = ("cpu", "ram", "gpu", "pv", "lb", "network", "other")

_NODE_NAME = (
    f"CASE WHEN a.node IS NOT NULL THEN a.node WHEN a.kind = 'unallocated' THEN "
    f"{lit(UNALLOCATED)} WHEN a.pod = {lit(UNMOUNTED)} THEN {lit(UNMOUNTED)} "
    f"ELSE {lit(NO_NODE)} END"
)


@dataclass
class AssetRow:
    name: str  # node or cluster (or one of SPECIAL)
    cluster: str | None
    parts: dict[str, Decimal] = field(default_factory=dict)  # PARTS
    used: float = 0.0  # cost of CPU+RAM actually used (efficiency numerator)
    count: int = 1  # rows folded into this one ('and N more')

    @property
    def allocated(self) -> Decimal:
        return sum((self.parts.get(k, _ZERO) for k in ("cpu", "ram", "gpu")), _ZERO)

    @property
    def idle(self) -> Decimal:
        return sum((self.parts.get(k, _ZERO) for k in ("idle_cpu", "idle_ram", "idle_gpu")), _ZERO)

    @property
    def compute(self) -> Decimal:
        """What the node (or the cluster's nodes and unallocated lines) cost on the bill,
        without the PV/LB of its pods."""
        return self.total - self.parts.get("pv", _ZERO) - self.parts.get("lb", _ZERO)

    @property
    def total(self) -> Decimal:
        return sum((self.parts.get(k, _ZERO) for k in PARTS), _ZERO)

    @property
    def efficiency(self) -> float | None:
        cpu_ram = float(self.parts.get("cpu", _ZERO) + self.parts.get("ram", _ZERO))
        return self.used / cpu_ram if cpu_ram > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cluster": self.cluster,
            **{k: self.parts.get(k, _ZERO) for k in PARTS},
            "allocated": self.allocated,
            "idle": self.idle,
            "compute": self.compute,
            "total": self.total,
            "efficiency": self.efficiency,
        }


@dataclass
class AssetTable:
    window: Window
    by: str
    basis: str
    currency: str
    rows: list[AssetRow]
    total: Decimal
    more: int
    estimates: list[AssetRow]  # priced from the price list: not on the bill, not in total
    estimated_total: Decimal
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "by": self.by,
            "basis": self.basis,
            "currency": self.currency,
            "rows": [r.to_dict() for r in self.rows],
            "total": self.total,
            "more": self.more,
            "estimates": [r.to_dict() for r in self.estimates],
            "estimated_total": self.estimated_total,
            "provenance": self.provenance.model_dump(mode="json"),
        }


def _sql(by: str, filters: dict[str, str], basis: str) -> tuple[str, list[Any]]:
    prefix = "billed_" if basis == "invoice" else ""
    name = _NODE_NAME if by == "node" else "a.cluster"
    where = " AND ".join(f"{dimension_expr(k)} = ?" for k in filters) or "TRUE"
    used = used_cost_sql(prefix)
    costs = ", ".join(f"sum(a.{prefix}{r}_cost)" for r in _COSTS)
    sql = (
        f"SELECT {name} AS name, a.cluster, a.kind, {ESTIMATE_SQL} AS estimate, {costs}, "
        f"{used} AS used FROM allocations a "
        f"WHERE a.hour >= ? AND a.hour < ? AND {where} GROUP BY ALL ORDER BY ALL"
    )
    return sql, list(filters.values())


def _add(row: AssetRow, kind: str, costs: dict[str, Decimal], used: float) -> None:
    def put(part: str, value: Decimal) -> None:
        row.parts[part] = row.parts.get(part, _ZERO) + value

    if kind == "idle":
        for r in ("cpu", "ram", "gpu"):
            put(f"idle_{r}", costs[r])
        return
    for r in _COSTS:
        put(r, costs[r])
    row.used += used


def asset_costs(
    con: Connection,
    *,
    window: Window,
    by: Literal["node", "cluster"] = "node",
    filters: dict[str, str] | None = None,
    basis: Literal["amortized", "invoice"] = "amortized",
    top_n: int | None = None,
    settings: Settings,
) -> AssetTable:
    """Each node's (or cluster's) cost on the bill over ``window``, largest first.

    ``filters`` may name ``cluster`` and ``node``; the asset view is the whole
    organisation's (workload filters and team scopes ask a different question: use
    ``query_costs``, which gives their share of each node).
    """
    if by not in ASSET_BY:
        raise InputError(f"The asset view groups by node or cluster, not {by!r}.", value=by)
    if basis not in ("amortized", "invoice"):
        raise InputError(f"Unknown basis {basis!r}.", hint="Use amortized or invoice.")
    if top_n is not None and top_n < 1:
        raise InputError(f"top_n must be at least 1, got {top_n}.")
    filters = dict(filters or {})
    bad = [k for k in filters if k not in ASSET_FILTERS]
    if bad:
        raise InputError(
            f"The asset view filters by cluster or node only, not {', '.join(bad)}.",
            hint="For a team's or namespace's share of each node use query_costs.",
        )
    require_fresh(con, window, settings)
    sql, params = _sql(by, filters, basis)
    keyed: dict[tuple[bool, str, str | None], AssetRow] = {}
    for name, cluster, kind, estimate, *rest in con.execute(
        sql, [*params, window.start, window.end]
    ).fetchall():
        costs = {
            r: Decimal(v) if v is not None else _ZERO for r, v in zip(_COSTS, rest[:7], strict=True)
        }
        owner = None if name in SPECIAL else cluster
        row = keyed.setdefault((bool(estimate), name, owner), AssetRow(name, owner))
        _add(row, kind, costs, float(rest[7] or 0.0))
    billed = [r for (est, _, _), r in keyed.items() if not est]
    estimates = [r for (est, _, _), r in keyed.items() if est]
    _qualify(billed)
    _qualify(estimates)
    billed.sort(key=_order)
    estimates.sort(key=_order)
    total = sum((r.total for r in billed), _ZERO)
    more = 0
    if top_n is not None:
        ranked = [r for r in billed if r.name not in SPECIAL]
        if len(ranked) > top_n:
            rest_rows = ranked[top_n:]
            more = len(rest_rows)
            folded = AssetRow(f"and {more} more", None, count=more)
            for r in rest_rows:
                for k, v in r.parts.items():
                    folded.parts[k] = folded.parts.get(k, _ZERO) + v
                folded.used += r.used
            billed = ranked[:top_n] + [folded] + [r for r in billed if r.name in SPECIAL]
    estimated_total = sum((r.total for r in estimates), _ZERO)
    prov = Provenance(
        tables=["allocations"],
        sql=sql,
        params=[str(p) for p in [*params, window.start, window.end]],
        window=window.to_dict(),
        filters=filters,
        group_by=by,
        currency=settings.currency,
        cost_basis="amortized (EffectiveCost)" if basis == "amortized" else "invoice (BilledCost)",
        sharing={"description": _DESCRIPTION[by]},
        row_count=len(billed),
        truncated=more > 0,
        notes=[_DESCRIPTION[by]]
        + ([f"and {more} more {by}s folded into one row"] if more else [])
        + (
            [
                f"{estimated_total} estimated from the price list for {by}s the bill never "
                "mentions (or hours it does not cover yet): not on the bill, not in the total"
            ]
            if estimates
            else []
        ),
    )
    return AssetTable(
        window=window,
        by=by,
        basis=basis,
        currency=settings.currency,
        rows=billed,
        total=total,
        more=more,
        estimates=estimates,
        estimated_total=estimated_total,
        provenance=prov,
    )


_DESCRIPTION = {
    "node": "asset view: each node's row is what it cost on the bill — its pods' CPU, RAM "
    "and GPU, its own idle, the PV and load-balancer cost of pods on it, and its bill "
    "lines for hours no metrics saw it (other)",
    "cluster": "asset view: each cluster's row is every bill line attributable to it — "
    "nodes with their idle, volumes, load balancers and its unallocated lines",
}


def _order(row: AssetRow) -> tuple[bool, Decimal, str]:
    return (row.name in SPECIAL, -row.total, row.name)


def _qualify(rows: list[AssetRow]) -> None:
    """A node name found in two clusters is shown as cluster/node."""
    clusters: dict[str, set[str | None]] = defaultdict(set)
    for r in rows:
        clusters[r.name].add(r.cluster)
    for r in rows:
        if len(clusters[r.name]) > 1 and r.cluster and r.name not in SPECIAL:
            r.name = f"{r.cluster}/{r.name}"
