"""Residual-free decomposition of a cost change into named effects.

Each cost item (a workload's CPU on one node SKU, a cluster's idle RAM, a bill service)
is walked along a chain of intermediate values, and each effect is the step between two
consecutive values, so the effects of an item sum to ``cost_B - cost_A`` exactly (the sum
telescopes) and the effects of all items sum to the total change, in Decimal:

    V0 = cost_A
    V1 = cost_A × days_B / days_A                    calendar   = V1 - V0
    V2 = Q_B × p̄_A          (A's average price)      usage      = V2 - V1  (idle for idle items)
    V3 = Σ_c q_B,c × p_A,c   (B's SKU mix, A's prices) mix       = V3 - V2
    V4 = V3 - Σ_c (δ_B,c - q_B,c·p_A,c·S_A,c/E_A,c)  commitment = V4 - V3
    V5 = cost_B                                       unit_price = V5 - V4

where c is a node class (capacity type + instance type), q a quantity (core-hours,
GiB-hours, GPU-hours), S/E a class's commitment saving over its node cost in that period
and δ_B,c the part of B's cost a commitment took off (per node-hour when the loader knows
it: Σ cost × saving/node cost of each hour; else cost_B,c × S_B,c/E_B,c). With
u = p + δ (the undiscounted unit price) the last step equals Σ q_B,c (u_B,c - u_A,c): the
list-price change. A workload with no cost in A is all ``new_workload``, one with no cost
in B all ``removed_workload``; credits, tax, adjustments and purchases are their own
effects; other unallocated bill lines are ``calendar`` + ``unallocated_service``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from assistant.billing.models import EFFECT_LABELS, Driver, Effect, GroupChange, Variance
from assistant.core.money import usd_change

__all__ = [
    "MATERIAL_SHARE",
    "ClassStat",
    "ItemKey",
    "PeriodData",
    "Slice",
    "decompose",
    "is_material",
    "q12",
    "shown_drivers",
]

_Q = Decimal("1e-12")
_HALF_CENT = Decimal("0.005")
ZERO = Decimal(0)
#: a driver of at least this share of the change (0.5%) is always listed, past any top-N cut
MATERIAL_SHARE = Decimal("0.005")


def is_material(amount: Decimal, change: Decimal) -> bool:
    """Whether a driver is large enough that hiding it would hide a reason for the change.

    Measured against |change|; with no net change every cent-sized driver is material.
    """
    return abs(amount) >= max(MATERIAL_SHARE * abs(change), _HALF_CENT)


def shown_drivers(v: Variance, at_least: int = 10) -> list[Driver]:
    """The drivers a report lists: the first ``at_least`` and every material one after them
    (a replica scale-up of 1% of the change is a named reason, not "n more drivers")."""
    return [d for i, d in enumerate(v.drivers) if i < at_least or is_material(d.amount, v.change)]


def q12(value: Decimal) -> Decimal:
    """Quantize to the warehouse's DECIMAL(38,12) so every intermediate value is exact."""
    return value.quantize(_Q)


class ItemKey(NamedTuple):
    """One cost item: a tuple, so hashing and comparing it (tens of thousands of times a
    comparison at 5k pods) run in C, not in a dataclass's generated Python."""

    category: str  # workload | idle | unallocated
    cluster: str
    namespace: str
    workload: str  # 'Deployment/web'; '' for idle and unallocated
    team: str
    service: str  # bill ServiceName (unallocated) or node SKU label
    charge_category: str  # unallocated rows: Usage | Credit | Tax | Adjustment | Purchase
    resource: str  # cpu | ram | gpu | pv | lb | network | other

    @property
    def workload_id(self) -> tuple[str, str, str]:
        return (self.cluster, self.namespace, self.workload)


@dataclass(slots=True)
class Slice:
    """An item's quantity and cost on one node class in one period."""

    q: Decimal | None
    cost: Decimal
    node_hours: int = 0
    #: Σ over the item's node-hours of cost × (commitment saving / node cost) of that hour;
    #: None = not known per hour, use the class's average ratio for the period.
    discount: Decimal | None = None


@dataclass
class ClassStat:
    """A node class (cluster, 'spot m5.xlarge') in one period."""

    node_cost: Decimal = ZERO  # E: Σ amortized node cost
    commitment_saving: Decimal = ZERO  # S: Σ (ListCost - EffectiveCost) on covered lines
    node_hours: int = 0
    prices: dict[str, Decimal] = field(default_factory=dict)  # resource -> $ per unit

    @property
    def discount_ratio(self) -> Decimal:
        return self.commitment_saving / self.node_cost if self.node_cost else ZERO


@dataclass
class PeriodData:
    label: dict[str, str]
    days: Decimal
    items: dict[ItemKey, dict[str, Slice]]
    classes: dict[tuple[str, str], ClassStat] = field(default_factory=dict)

    def total(self) -> Decimal:
        return sum((s.cost for sl in self.items.values() for s in sl.values()), ZERO)


_FLAT_EFFECTS = {
    "Credit": "credit",
    "Tax": "tax",
    "Adjustment": "adjustment",
    "Purchase": "purchase",
}


_NO_SLICE = Slice(q=ZERO, cost=ZERO)  # read-only: an item absent on one side of a class
_NO_SLICES: dict[str, Slice] = {}  # read-only: an item absent from one period


def _item_effects(
    key: ItemKey,
    a: dict[str, Slice],
    b: dict[str, Slice],
    pa: PeriodData,
    pb: PeriodData,
    workload_in_a: bool,
    workload_in_b: bool,
    ratios_a: dict[tuple[str, str], Decimal],
    ratios_b: dict[tuple[str, str], Decimal],
) -> list[tuple[str, dict[str, Decimal]]]:
    """Effects of one item per node class; every class's chain telescopes on its own.

    Written for the common item (one node class on both sides) without per-item dicts or
    closures: a comparison at 5k pods walks 10,000 items.
    """
    if a.keys() == b.keys():
        classes: list[str] = list(a) if len(a) == 1 else sorted(a)
    else:
        classes = sorted(a.keys() | b.keys())
    category = key.category
    flat = None
    if category == "unallocated" and key.charge_category in _FLAT_EFFECTS:
        flat = _FLAT_EFFECTS[key.charge_category]
    elif category == "workload" and not workload_in_a:
        flat = "new_workload"
    elif category == "workload" and not workload_in_b:
        flat = "removed_workload"
    if flat is not None:
        return [(c, {flat: b.get(c, _NO_SLICE).cost - a.get(c, _NO_SLICE).cost}) for c in classes]
    usage_kind = (
        "idle"
        if category == "idle"
        else ("unallocated_service" if category == "unallocated" else "usage")
    )
    days_a, days_b = pa.days, pb.days
    unknown = category == "unallocated"  # (a loop: a helper call per item cost a fifth here)
    for side in (a, b):
        for sl in side.values():
            if sl.q is None:
                unknown = True
                break
    if unknown:
        out = []
        for c in classes:
            v0 = a.get(c, _NO_SLICE).cost
            v1 = q12(v0 * days_b / days_a)
            out.append((c, {"calendar": v1 - v0, usage_kind: b.get(c, _NO_SLICE).cost - v1}))
        return out
    own_class = None  # A's one priced class: its unit price is A's average price
    if len(a) == 1:
        ((only_class, only_a),) = a.items()
        cost_a, qa_total = only_a.cost, only_a.q or ZERO
        if qa_total:
            own_class = only_class
    else:
        cost_a = sum((s.cost for s in a.values()), ZERO)
        qa_total = sum((s.q or ZERO for s in a.values()), ZERO)
    if qa_total:
        avg_a = cost_a / qa_total
    else:
        qb_total = sum((s.q or ZERO for s in b.values()), ZERO)
        avg_a = (
            sum(((s.q or ZERO) * _price_a(key, c, a, b, pa) for c, s in b.items()), ZERO) / qb_total
            if qb_total
            else ZERO
        )
    out = []
    for c in classes:
        sa, s = a.get(c, _NO_SLICE), b.get(c, _NO_SLICE)
        v0 = sa.cost
        v1 = (v0 * days_b / days_a).quantize(_Q)  # q12, inline: 40,000 calls at 5k pods
        qb = s.q or ZERO
        # (_price_a of A's one priced class is cost_a / qa_total: avg_a, the same division)
        price = avg_a if c == own_class else _price_a(key, c, a, b, pa)
        v2 = (qb * avg_a).quantize(_Q)
        v3 = (qb * price).quantize(_Q)
        cluster_class = (key.cluster, c)
        if s.discount is not None:
            off_b = s.discount
        else:
            off_b = s.cost * ratios_b[cluster_class] if cluster_class in ratios_b else ZERO
        off_a = qb * price * ratios_a[cluster_class] if cluster_class in ratios_a else off_b
        v4 = (v3 - (off_b - off_a)).quantize(_Q)
        out.append(
            (
                c,
                {
                    "calendar": v1 - v0,
                    usage_kind: v2 - v1,
                    "mix": v3 - v2,
                    "commitment": v4 - v3,
                    "unit_price": s.cost - v4,
                },
            )
        )
    return out


def _price_a(
    key: ItemKey, cls: str, a: dict[str, Slice], b: dict[str, Slice], pa: PeriodData
) -> Decimal:
    """A's unit price of the item on ``cls``: its own, else the class's, else B's own."""
    own = a.get(cls)
    if own is not None and own.q:
        return own.cost / own.q
    stat = pa.classes.get((key.cluster, cls))
    if stat is not None and key.resource in stat.prices:
        return stat.prices[key.resource]
    mine = b.get(cls)
    return mine.cost / mine.q if mine is not None and mine.q else ZERO


def _driver_subject(key: ItemKey, effect: str, cls: str) -> tuple[str, ...]:
    """Drivers are grouped at the grain a person acts on: workload, SKU or service."""
    if effect in {"new_workload", "removed_workload", "usage"}:
        return ("workload", key.cluster, key.namespace, key.workload, key.team)
    if effect in {"mix", "idle"}:  # across capacity types: 'm5.xlarge nodes'
        return ("sku", key.cluster, cls.split(" ", 1)[1] if " " in cls else cls)
    if effect in {"commitment", "unit_price"}:
        return ("sku", key.cluster, cls)
    if effect == "calendar":
        return ("calendar",)
    return ("service", key.cluster, key.service, key.charge_category)


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole * 100).quantize(Decimal("0.01")) if whole else None


def decompose(
    pa: PeriodData,
    pb: PeriodData,
    *,
    by: str = "team",
    top: int = 15,
    group_dims: Iterable[str] = ("team", "namespace", "service", "cluster"),
) -> Variance:
    """Decompose total(B) - total(A); the effects sum to the change exactly."""
    wl_a = {k.workload_id for k, v in pa.items.items() if k.category == "workload" and v}
    wl_b = {k.workload_id for k, v in pb.items.items() if k.category == "workload" and v}
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    drivers: dict[tuple[str, ...], dict[str, Any]] = {}
    groups: dict[str, dict[str, dict[str, Any]]] = {d: {} for d in group_dims}
    dims = tuple(groups.items())
    # each class's S/E once, not a division per item
    ratios_a = {k: stat.discount_ratio for k, stat in pa.classes.items()}
    ratios_b = {k: stat.discount_ratio for k, stat in pb.classes.items()}
    for key in sorted(pa.items.keys() | pb.items.keys()):
        a, b = pa.items.get(key, _NO_SLICES), pb.items.get(key, _NO_SLICES)
        wid = key.workload_id
        per_class = _item_effects(key, a, b, pa, pb, wid in wl_a, wid in wl_b, ratios_a, ratios_b)
        named = f"{key.namespace}/{key.workload}" if key.workload else ""
        name = named or key.namespace
        with_evidence: set[tuple[str, ...]] = set()
        for cls, effects in per_class:
            # zero amounts change no total, group or driver (every reader drops zeros)
            moved = [(e, x) for e, x in effects.items() if x]
            for effect, amount in moved:
                totals[effect] += amount
                subject = _driver_subject(key, effect, cls)
                dkey = (effect, *subject)
                d = drivers.get(dkey)
                if d is None:
                    d = drivers[dkey] = _new_driver(effect, subject, key)
                d["amount"] += amount
                whole_item = subject[0] == "workload"
                if subject[0] != "calendar" and (not whole_item or dkey not in with_evidence):
                    if whole_item:
                        _add_evidence(d["evidence"], key, a, b)
                    else:
                        a_c = {cls: a[cls]} if cls in a else {}
                        b_c = {cls: b[cls]} if cls in b else {}
                        _add_evidence(d["evidence"], key, a_c, b_c)
                    with_evidence.add(dkey)
                d["evidence"]["workloads"][name] += amount
            before = a[cls].cost if cls in a else ZERO
            after = b[cls].cost if cls in b else ZERO
            for dim, rows in dims:
                gname = _group_name(key, dim, cls)
                g = rows.get(gname)
                if g is None:  # (a dict literal per item and dimension cost a third here)
                    g = rows[gname] = {
                        "before": ZERO,
                        "after": ZERO,
                        "effects": defaultdict(lambda: ZERO),
                        "workloads": defaultdict(lambda: ZERO),
                    }
                g["before"] += before
                g["after"] += after
                if moved:
                    g_effects = g["effects"]
                    for effect, amount in moved:
                        g_effects[effect] += amount
                if named:
                    g["workloads"][named] += after - before
    total_a, total_b = pa.total(), pb.total()
    change = total_b - total_a
    effect_list = [
        Effect(kind=k, label=EFFECT_LABELS[k], amount=totals[k])  # type: ignore[arg-type]
        for k in EFFECT_LABELS
        if totals.get(k)
    ]
    driver_rows = sorted(drivers.values(), key=lambda d: (-abs(d["amount"]), d["subject"]))
    # Sub-cent drivers (quantization dust, rounding in the source) are not worth a line.
    driver_rows = [d for d in driver_rows if abs(d["amount"]) >= _HALF_CENT]
    out_drivers = [
        Driver(
            effect=d["effect"],
            subject=d["subject"],
            cluster=d["cluster"],
            team=d["team"],
            namespace=d["namespace"],
            service=d["service"],
            amount=d["amount"],
            pct_of_change=_pct(d["amount"], change),
            evidence=_finish_evidence(d["evidence"]),
        )
        for i, d in enumerate(driver_rows)
        if i < top or is_material(d["amount"], total_b - total_a)
    ]
    rest = change - sum((d.amount for d in out_drivers), ZERO)
    notes = []
    if pa.days != pb.days and totals.get("calendar"):
        notes.append(
            f"{pb.label['label']} covers {_fmt_days(pb.days)} days and {pa.label['label']} "
            f"{_fmt_days(pa.days)}: {usd_change(totals['calendar'])} of the change is the "
            "number of days (continuing costs scaled by days), not growth."
        )
    return Variance(
        a=pa.label,
        b=pb.label,
        total_a=total_a,
        total_b=total_b,
        change=change,
        pct=_pct(change, total_a),
        days_a=pa.days,
        days_b=pb.days,
        effects=effect_list,
        drivers=out_drivers,
        drivers_total=len(driver_rows),
        other_drivers_amount=rest,
        by=by,
        groups={dim: _finish_groups(rows, change) for dim, rows in groups.items()},
        notes=notes,
    )


def _fmt_days(days: Decimal) -> str:
    return f"{days.normalize():f}" if days == days.to_integral_value() else f"{days:.2f}"


def _group_name(key: ItemKey, dim: str, cls: str) -> str:
    if dim == "team":
        return key.team
    if dim == "namespace":
        return key.namespace
    if dim == "cluster":
        return key.cluster
    if dim == "workload":
        return f"{key.namespace}/{key.workload}" if key.workload else key.namespace
    if key.service.startswith(("cluster nodes", "nodes: ")) and cls:  # cost per node SKU
        return f"nodes: {cls}"
    return key.service


def _new_driver(effect: str, subject: tuple[str, ...], key: ItemKey) -> dict[str, Any]:
    kind = subject[0]
    if kind == "workload":
        label = f"{key.namespace}/{key.workload} ({key.cluster})"
        team, ns, service = key.team, key.namespace, None
    elif kind == "sku":
        label = f"{subject[2] or 'unpriced'} nodes ({key.cluster})"
        team, ns, service = None, None, subject[2]
    elif kind == "calendar":
        label = "days in month"
        team = ns = service = None
    else:
        label = f"{key.service} ({key.charge_category or 'Usage'}, {key.cluster})"
        team, ns, service = None, key.namespace, key.service
    return {
        "effect": effect,
        "subject": label,
        "cluster": key.cluster if kind != "calendar" else None,
        "team": team,
        "namespace": ns,
        "service": service,
        "amount": ZERO,
        "evidence": {
            "quantity_a": defaultdict(lambda: ZERO),
            "quantity_b": defaultdict(lambda: ZERO),
            "cost_a": ZERO,
            "cost_b": ZERO,
            "node_hours_a": {},
            "node_hours_b": {},
            "skus": set(),
            "workloads": defaultdict(lambda: ZERO),
        },
    }


_UNITS = {"cpu": "core_hours", "ram": "gib_hours", "gpu": "gpu_hours", "pv": "pv_gib_hours"}


def _add_evidence(
    ev: dict[str, Any], key: ItemKey, a: dict[str, Slice], b: dict[str, Slice]
) -> None:
    unit = _UNITS.get(key.resource)
    for side, slices in (("a", a), ("b", b)):
        for cls, s in slices.items():
            ev[f"cost_{side}"] += s.cost
            if unit and s.q is not None:
                ev[f"quantity_{side}"][unit] += s.q
            if cls and side == "b":
                ev["skus"].add(cls)
        # A workload's cpu/ram/gpu items span the same node-hours: count them once.
        owner = (key.category, key.cluster, key.namespace, key.workload)
        hours = ev[f"node_hours_{side}"]
        hours[owner] = max(hours.get(owner, 0), sum(s.node_hours for s in slices.values()))


def _finish_evidence(ev: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cost_a": ev["cost_a"],
        "cost_b": ev["cost_b"],
        "quantity_a": {k: q12(v) for k, v in ev["quantity_a"].items()},
        "quantity_b": {k: q12(v) for k, v in ev["quantity_b"].items()},
        "node_hours_a": sum(ev["node_hours_a"].values()),
        "node_hours_b": sum(ev["node_hours_b"].values()),
        "skus": sorted(ev["skus"]),
    }
    top = sorted(ev["workloads"].items(), key=lambda kv: -abs(kv[1]))
    out["workloads"] = [{"workload": w, "amount": c} for w, c in top[:5]]
    if len(top) > 5:
        out["more_workloads"] = len(top) - 5
    return out


def _finish_groups(rows: dict[str, dict[str, Any]], change: Decimal) -> list[GroupChange]:
    out = []
    for name, g in rows.items():
        delta = g["after"] - g["before"]
        top = sorted(g["workloads"].items(), key=lambda kv: -abs(kv[1]))[:3]
        out.append(
            GroupChange(
                group=name,
                before=g["before"],
                after=g["after"],
                change=delta,
                pct=_pct(delta, g["before"]),
                effects={k: v for k, v in g["effects"].items() if v},
                top_workloads=[f"{w} ({c:+.2f})" for w, c in top if c],
            )
        )
    return sorted(out, key=lambda g: (-abs(g.change), g.group))
