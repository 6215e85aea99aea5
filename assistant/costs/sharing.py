"""Query-time sharing over aggregated groups: idle, shared namespaces, fixed overhead.

Pure functions on :class:`Unit` lists (one per group × cluster × kind). The order and
weights follow OpenCost's AggregateBy: idle is shared per cluster and resource in
proportion to each group's cost of that resource; shared namespaces (with the idle they
received) and overhead are then spread over the remaining groups by their own cost
before idle (``weighted``) or evenly (``even``). Every split is exact (see
``costmath.split_exact``), so sharing moves cost between rows and never changes the total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from assistant.allocation.strategies import WeightedShare, get_strategy

__all__ = ["RESOURCES", "Unit", "share_idle", "share_pools"]

RESOURCES = ("cpu", "ram", "gpu", "pv", "lb", "network", "other")
_ZERO = Decimal(0)


@dataclass
class Unit:
    name: str
    cluster: str
    kind: str  # workload | idle | unallocated
    pool: str = ""  # where idle is shared within, besides the cluster (the node, by node)
    estimate: bool = False  # priced from the price list, not the bill: never in bill totals
    passes: bool = True  # matches the filters
    visible: bool = True  # inside the asker's scope
    shared: bool = False  # belongs to a shared namespace
    costs: dict[str, Decimal] = field(default_factory=dict)
    used: float = 0.0  # cost of CPU+RAM actually used (efficiency numerator)
    idle: Decimal = _ZERO  # idle received
    shared_in: Decimal = _ZERO  # shared namespaces + overhead received

    def cost(self, resource: str) -> Decimal:
        return self.costs.get(resource, _ZERO)

    @property
    def own(self) -> Decimal:
        return sum((self.cost(r) for r in RESOURCES), _ZERO)

    @property
    def total(self) -> Decimal:
        return self.own + self.idle + self.shared_in


def share_idle(units: list[Unit]) -> list[Unit]:
    """Move idle cost onto workloads of the same cluster (and pool), by their cost of each
    resource.

    The pool is empty except when grouping by node, where it is the node: a node's idle
    then goes only to the pods on that node (OpenCost's idle by node), never to another
    node's. Idle that no workload can take (no workload cost of that resource in the
    pool) stays on the idle units. Returns the units with idle units reduced accordingly.
    """
    weighted = WeightedShare()
    for cluster, where in sorted({(u.cluster, u.pool) for u in units}):
        idle_units = [
            u for u in units if u.kind == "idle" and u.cluster == cluster and u.pool == where
        ]
        takers = [
            u for u in units if u.kind == "workload" and u.cluster == cluster and u.pool == where
        ]
        for resource in ("cpu", "ram", "gpu"):
            pool = sum((u.cost(resource) for u in idle_units), _ZERO)
            weights = {str(i): max(u.cost(resource), _ZERO) for i, u in enumerate(takers)}
            if pool == 0 or sum(weights.values(), _ZERO) <= 0:
                continue
            for key, part in weighted.split(pool, weights).items():
                takers[int(key)].idle += part
            for u in idle_units:
                u.costs[resource] = _ZERO
    return [u for u in units if not (u.kind == "idle" and u.own == 0)]


def share_pools(
    units: list[Unit], *, split: str, overhead: Decimal
) -> tuple[list[Unit], Decimal, Decimal]:
    """Spread shared-namespace units and a fixed overhead over the other workload groups.

    Weights are each receiving group's own cost before idle (OpenCost shares with
    coefficients computed before idle is added). Returns (units without the shared
    ones, shared amount spread, overhead spread).
    """
    strategy = get_strategy(split)
    shared = [u for u in units if u.kind == "workload" and u.shared]
    keep = [u for u in units if not (u.kind == "workload" and u.shared)]
    pool = sum((u.total for u in shared), _ZERO)
    groups: dict[str, list[Unit]] = defaultdict(list)
    for u in keep:
        if u.kind == "workload":
            groups[u.name].append(u)
    if not groups:
        return units, _ZERO, _ZERO
    weights = {name: sum((u.own for u in us), _ZERO) for name, us in groups.items()}
    for amount in (pool, overhead):
        if amount == 0:
            continue
        for name, part in strategy.split(amount, weights).items():
            _spread_within(groups[name], part)
    return keep, pool, overhead


def _spread_within(units: list[Unit], amount: Decimal) -> None:
    """A group's share goes onto its units in proportion to their own cost (exact)."""
    parts = WeightedShare().split(amount, {str(i): u.own for i, u in enumerate(units)})
    for key, part in parts.items():
        units[int(key)].shared_in += part
