"""The cost of a manifest change: match workloads between sides, price each side, diff.

Pure: manifests, unit prices and what the warehouse observed in, a :class:`Review` out.
Each side of a workload is priced on requests, as the scheduler reserves them:

    monthly = pods × (pod CPU cores × $/core-h + pod memory GiB × $/GiB-h
                      + pod GPUs × $/GPU-h) × 730 h

with rightsizing's money helpers (``savings.monthly_cost``, ``HOURS_PER_MONTH``,
``core.money.cents``), so the same requests at the same unit prices cost the same dollars in both.
``pods`` is the replica count; an HPA's minReplicas (low) and maxReplicas (high); a
DaemonSet's matching node count; for an existing Job/CronJob its observed average running
pods (Σ pod running hours ÷ window hours, rightsizing's duty cycle). A Job the warehouse
has not seen has no monthly figure: it is priced per run-hour and kept out of the total.
Amounts are rounded to the cent per side, and Δ = after − before of the rounded amounts,
so every table adds up as printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assistant.core.money import cents
from assistant.review.observed import ClusterFacts
from assistant.review.prices import UnitPrices
from assistant.review.workloads import ContainerSpec, ManifestSet, Resources, WorkloadSpec
from assistant.rightsizing.manifests import format_cpu, format_memory
from assistant.rightsizing.savings import HOURS_PER_MONTH, monthly_cost

__all__ = ["FieldChange", "Review", "SideCost", "WorkloadChange", "estimate", "pod_monthly"]

ZERO = Decimal(0)
RATE = Decimal("0.0001")
JOB_KINDS = ("Job", "CronJob")


def pod_monthly(pod: Resources, pods: float, prices: UnitPrices) -> Decimal:
    """$ per month for ``pods`` copies of a pod requesting ``pod`` (unrounded)."""
    cpu_ram = monthly_cost(
        float(pod.cpu),
        float(pod.memory),
        cpu_price=prices.cpu_core_hour,
        ram_price=prices.ram_gib_hour,
        replicas=pods,
    )
    gpu = pod.gpu * prices.gpu_hour * Decimal(repr(float(pods))) * HOURS_PER_MONTH
    return cpu_ram + gpu


@dataclass(frozen=True)
class SideCost:
    spec: WorkloadSpec
    pod: Resources  # effective pod request
    pods_low: float
    pods_high: float
    basis: str  # how many pods, and why
    monthly_low: Decimal | None  # cents; None when only a run-hour price is known
    monthly_high: Decimal | None
    run_hour: Decimal | None = None  # $ per run-hour (all parallel pods), 4 decimals

    def to_dict(self) -> dict[str, object]:
        return {
            "pod_request": {
                "cpu_cores": str(self.pod.cpu),
                "memory_bytes": str(self.pod.memory),
                "gpus": str(self.pod.gpu),
            },
            "pods_low": round(self.pods_low, 4),
            "pods_high": round(self.pods_high, 4),
            "basis": self.basis,
            "monthly_low": _s(self.monthly_low),
            "monthly_high": _s(self.monthly_high),
            "run_hour": _s(self.run_hour),
        }


@dataclass(frozen=True)
class FieldChange:
    container: str | None  # None for workload-level fields
    field: str  # replicas, hpa, parallelism, nodeSelector, cpu, memory, gpu, container
    before: str
    after: str

    def to_dict(self) -> dict[str, object]:
        return {
            "container": self.container,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


@dataclass
class WorkloadChange:
    kind: str
    namespace: str
    name: str
    status: str  # changed | new | removed
    before: SideCost | None
    after: SideCost | None
    changes: list[FieldChange] = field(default_factory=list)
    allocated: Decimal | None = None  # cents, over the window
    allocated_monthly: Decimal | None = None  # cents, × 730 / window hours
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    def _delta(self, attr: str) -> Decimal | None:
        sides = [getattr(s, attr) if s is not None else ZERO for s in (self.before, self.after)]
        if any(v is None for v in sides):
            return None
        return sides[1] - sides[0]

    @property
    def delta_low(self) -> Decimal | None:
        return self._delta("monthly_low")

    @property
    def delta_high(self) -> Decimal | None:
        return self._delta("monthly_high")

    @property
    def run_hour_delta(self) -> Decimal | None:
        if self.delta_low is not None:
            return None
        rates = [(s.run_hour or ZERO) if s is not None else ZERO for s in (self.before, self.after)]
        return rates[1] - rates[0]

    def gpus(self, side: SideCost | None) -> tuple[Decimal, Decimal]:
        """GPUs a side holds in total (per pod × pods), at the low and high pod counts."""
        if side is None:
            return ZERO, ZERO
        return (
            side.pod.gpu * Decimal(repr(float(side.pods_low))),
            side.pod.gpu * Decimal(repr(float(side.pods_high))),
        )

    @property
    def gpu(self) -> bool:
        """Does the change move GPUs: per pod, or in total through replicas, HPA range,
        nodes or a GPU workload coming or going."""
        before = self.before.pod.gpu if self.before else ZERO
        after = self.after.pod.gpu if self.after else ZERO
        return before != after or self.gpus(self.before) != self.gpus(self.after)

    def to_dict(self) -> dict[str, object]:
        return {
            "workload": self.label,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "gpu": self.gpu,
            "gpus_total": {
                "before": [str(v) for v in self.gpus(self.before)],
                "after": [str(v) for v in self.gpus(self.after)],
            },
            "changes": [c.to_dict() for c in self.changes],
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict() if self.after else None,
            "monthly_delta_low": _s(self.delta_low),
            "monthly_delta_high": _s(self.delta_high),
            "run_hour_delta": _s(self.run_hour_delta),
            "allocated": _s(self.allocated),
            "allocated_monthly": _s(self.allocated_monthly),
            "notes": self.notes,
        }


@dataclass
class Review:
    prices: UnitPrices
    changes: list[WorkloadChange]
    unchanged: int
    assumptions: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def total_low(self) -> Decimal:
        return sum((c.delta_low for c in self.changes if c.delta_low is not None), ZERO)

    @property
    def total_high(self) -> Decimal:
        return sum((c.delta_high for c in self.changes if c.delta_high is not None), ZERO)

    @property
    def per_run_hour(self) -> list[WorkloadChange]:
        return [c for c in self.changes if c.delta_low is None]

    def to_dict(self) -> dict[str, object]:
        return {
            "cluster": self.prices.cluster,
            "monthly_delta_low": str(self.total_low),
            "monthly_delta_high": str(self.total_high),
            "hours_per_month": str(HOURS_PER_MONTH),
            "unit_prices": self.prices.to_dict(),
            "changed": [c.to_dict() for c in self.changes],
            "unchanged": self.unchanged,
            "gpu_changes": [c.label for c in self.changes if c.gpu],
            "assumptions": self.assumptions,
            "notes": self.notes,
        }


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _pods(spec: WorkloadSpec, facts: ClusterFacts) -> tuple[float, float, str, bool]:
    """(low, high, basis, monthly?) — how many pods a side runs."""
    if spec.hpa is not None:
        name, low, high = spec.hpa
        return low, high, f"HPA {name}: {low}..{high} replicas", True
    if spec.kind == "DaemonSet":
        count, basis = facts.daemon_nodes(spec.node_selector)
        return count, count, basis, True
    if spec.kind in JOB_KINDS:
        seen = facts.observed.get(spec.key)
        if seen is not None and seen.pod_hours > 0 and facts.hours > 0:
            avg = seen.pod_hours / facts.hours
            monthly_hours = Decimal(repr(avg)) * HOURS_PER_MONTH
            return (
                avg,
                avg,
                (
                    f"observed {seen.pod_hours:.1f} pod-hours in {facts.hours} h "
                    f"≈ {monthly_hours:.1f} pod-hours a month"
                ),
                True,
            )
        n = spec.parallelism or 1
        return n, n, f"not seen in the window: priced per run-hour at {n} parallel pod(s)", False
    n = spec.replicas if spec.replicas is not None else 1
    return n, n, f"{n} replica{'s' if n != 1 else ''}", True


def _side(spec: WorkloadSpec, facts: ClusterFacts, prices: UnitPrices) -> SideCost:
    pod = spec.pod_request()
    low, high, basis, monthly = _pods(spec, facts)
    if not monthly:
        rate = (pod_monthly(pod, low, prices) / HOURS_PER_MONTH).quantize(RATE)
        return SideCost(spec, pod, low, high, basis, None, None, rate)
    return SideCost(
        spec,
        pod,
        low,
        high,
        basis,
        cents(pod_monthly(pod, low, prices)),
        cents(pod_monthly(pod, high, prices)),
    )


def _qty(field_name: str, value: Decimal) -> str:
    if field_name == "cpu":
        return format_cpu(float(value)) if value else "0"
    if field_name == "memory":
        return format_memory(float(value)) if value else "0"
    return str(value)


def _container_label(c: ContainerSpec) -> str:
    return c.name if c.role == "app" else f"{c.name} ({c.role})"


def _field_changes(before: WorkloadSpec, after: WorkloadSpec) -> list[FieldChange]:
    out: list[FieldChange] = []
    if before.hpa or after.hpa:
        if (before.hpa or (0, 0, 0))[1:] != (after.hpa or (0, 0, 0))[1:]:

            def span(s: WorkloadSpec) -> str:
                return f"{s.hpa[1]}..{s.hpa[2]}" if s.hpa else f"{s.replicas} (no HPA)"

            out.append(FieldChange(None, "hpa", span(before), span(after)))
    elif before.replicas != after.replicas:
        out.append(FieldChange(None, "replicas", str(before.replicas), str(after.replicas)))
    if before.parallelism != after.parallelism:
        out.append(
            FieldChange(None, "parallelism", str(before.parallelism), str(after.parallelism))
        )
    if before.node_selector != after.node_selector:

        def sel(s: WorkloadSpec) -> str:
            return ", ".join(f"{k}={v}" for k, v in s.node_selector) or "none"

        out.append(FieldChange(None, "nodeSelector", sel(before), sel(after)))
    old = {c.name: c for c in before.containers}
    new = {c.name: c for c in after.containers}
    for name in [*old, *(n for n in new if n not in old)]:
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            present = b if a is None else a
            assert present is not None
            out.append(
                FieldChange(
                    _container_label(present),
                    "container",
                    "absent" if a is None else "present",
                    "absent" if b is None else "present",
                )
            )
        for fname in ("cpu", "memory", "gpu"):
            va = getattr(a.requests, fname) if a else ZERO
            vb = getattr(b.requests, fname) if b else ZERO
            if va != vb:
                label = _container_label(b or a)  # type: ignore[arg-type]
                out.append(FieldChange(label, fname, _qty(fname, va), _qty(fname, vb)))
    return out


def _notes(change: WorkloadChange) -> None:
    before, after = change.before, change.after
    if (
        before
        and after
        and before.spec.parallelism != after.spec.parallelism
        and before.monthly_low is not None
    ):
        change.notes.append(
            "Parallelism changed: priced at the observed pod-hours on both "
            "sides (more parallel pods usually finish sooner)."
        )
    for side in (before, after):
        if (
            side
            and side.spec.hpa
            and side.spec.replicas not in (None, 1)
            and side.spec.kind != "DaemonSet"
        ):
            change.notes.append(
                f"spec.replicas {side.spec.replicas} is ignored: HPA "
                f"{side.spec.hpa[0]} sets the replicas."
            )
            break


def estimate(
    base: ManifestSet, head: ManifestSet, prices: UnitPrices, facts: ClusterFacts
) -> Review:
    """Price every workload on both sides and keep those whose cost shape changed."""
    changes: list[WorkloadChange] = []
    unchanged = 0
    for key in sorted(
        base.workloads.keys() | head.workloads.keys(), key=lambda k: (k[1], k[0], k[2])
    ):
        old, new = base.workloads.get(key), head.workloads.get(key)
        if old and new and old.cost_shape() == new.cost_shape():
            unchanged += 1
            continue
        status = "changed" if old and new else ("new" if new else "removed")
        change = WorkloadChange(
            key[0],
            key[1],
            key[2],
            status,
            _side(old, facts, prices) if old else None,
            _side(new, facts, prices) if new else None,
        )
        if old and new:
            change.changes = _field_changes(old, new)
        seen = facts.observed.get(key)
        if seen is not None and seen.allocated and facts.hours > 0:
            change.allocated = cents(seen.allocated)
            change.allocated_monthly = cents(
                seen.allocated * HOURS_PER_MONTH / Decimal(facts.hours)
            )
        if status == "new" and seen is not None:
            change.notes.append(
                "Only in HEAD, but the warehouse already sees it running in "
                "this cluster: its cost today is not new spend."
            )
        _notes(change)
        changes.append(change)
    return Review(
        prices, changes, unchanged, assumptions(prices, changes), [*base.notes, *head.notes]
    )


def assumptions(prices: UnitPrices, changes: list[WorkloadChange]) -> list[str]:
    """The price basis and every assumption the figures rest on, in words."""

    def unit(value: Decimal, resource: str, per: str) -> str:
        shown = value.normalize()
        if shown.as_tuple().exponent > -2:  # type: ignore[operator]
            shown = shown.quantize(Decimal("0.01"))
        return f"${shown:f}/{per} ({prices.sources.get(resource, 'allocation')})"

    out = [
        f"Unit prices: cluster {prices.cluster}, {prices.window.label()} ({prices.hours} h with "
        f"node prices), capacity-weighted over its nodes: CPU "
        f"{unit(prices.cpu_core_hour, 'cpu', 'core-h')}, RAM "
        f"{unit(prices.ram_gib_hour, 'ram', 'GiB-h')}, GPU "
        f"{unit(prices.gpu_hour, 'gpu', 'GPU-h')}.",
        "Monthly = hourly × 730 h (8760 h / 12).",
        "Estimates price requests (what the scheduler reserves). The allocation bills "
        "max(request, usage), so a workload using more than it requests costs more than "
        "its estimate; storage, load balancers and network are not priced here.",
        "Pod request per resource = max(largest init container plus the sidecars started "
        "before it, sum of app containers plus sidecars); a resource with only a limit "
        "requests its limit.",
    ]
    if any(s and s.spec.hpa for c in changes for s in (c.before, c.after)):
        out.append("HPA targets are priced at minReplicas (low) and maxReplicas (high).")
    if any(s and s.spec.kind == "DaemonSet" for c in changes for s in (c.before, c.after)):
        out.append(
            "DaemonSets run one pod per matching node at the window's latest hour "
            "(tolerations and affinity are not evaluated)."
        )
    if any(s and s.spec.kind in JOB_KINDS for c in changes for s in (c.before, c.after)):
        out.append(
            "Jobs and CronJobs cost their observed pod-hours (this workload's running "
            "pods in the window, scaled to 730 h); one the warehouse has not seen needs "
            "a run-time assumption, so it is priced per run-hour and left out of the "
            "monthly total."
        )
    if "price_list" in prices.sources.values():
        out.append(
            "A resource without capacity in the window is priced from the configured "
            "price list (allocation.prices), an estimate not on the bill."
        )
    return out
