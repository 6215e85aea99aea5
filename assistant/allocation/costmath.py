"""The cost math, as pure Decimal functions: the specification the SQL pipeline must match.

Every rule of allocation is written here once, on plain values, so it can be tested
against OpenCost's published vectors and hand-worked cases. ``allocate.py`` runs the same
rules set-based in DuckDB; ``tests/allocation`` checks that both give the same numbers.

Money is ``Decimal`` quantized to 12 places (the warehouse's DECIMAL(38,12)); any split of
an amount into parts keeps the exact remainder so the parts add back to the whole.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from assistant.core.placeholders import UNMOUNTED

__all__ = [
    "GIB",
    "QUANTUM",
    "UnitPrices",
    "container_quantities",
    "hourly_mount_shares",
    "money",
    "node_resource_costs",
    "prorate",
    "pvc_cost_coefficients",
    "ratio_split",
    "split_exact",
]

QUANTUM = Decimal("0.000000000001")  # DECIMAL(38,12)
GIB = 1024**3


def money(value: Decimal | float | int) -> Decimal:
    """Round to the warehouse's 12 decimal places (banker's rounding, as DuckDB casts)."""
    return Decimal(str(value)).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class UnitPrices:
    """$ per core-hour, GiB-hour and GPU-hour for one node and hour."""

    cpu: Decimal
    ram: Decimal
    gpu: Decimal


def ratio_split(
    node_cost: Decimal,
    *,
    cpu_cores: float,
    ram_gib: float,
    gpu_count: float,
    default_cpu: Decimal,
    default_ram: Decimal,
    default_gpu: Decimal,
) -> UnitPrices:
    """OpenCost's ratio method: split a node's price into unit prices.

    r_c = d_cpu/d_ram, r_g = d_gpu/d_ram, M = n_gpu·r_g + n_cpu·r_c + RAM_GiB,
    p_ram = P/M, p_cpu = p_ram·r_c, p_gpu = p_ram·r_g. A node with no capacity
    (M = 0) has no unit prices: its whole cost is idle.
    """
    if default_ram <= 0:
        raise ValueError("default RAM price must be positive for the ratio split")
    r_c = default_cpu / default_ram
    r_g = default_gpu / default_ram
    m = Decimal(str(gpu_count)) * r_g + Decimal(str(cpu_cores)) * r_c + Decimal(str(ram_gib))
    if m <= 0:
        return UnitPrices(Decimal(0), Decimal(0), Decimal(0))
    p_ram = node_cost / m
    return UnitPrices(cpu=p_ram * r_c, ram=p_ram, gpu=p_ram * r_g)


def node_resource_costs(
    node_cost: Decimal, prices: UnitPrices, *, cpu_cores: float, gpu_count: float
) -> dict[str, Decimal]:
    """A node-hour's cost per resource: CPU and GPU at their unit price, RAM the residual.

    Making RAM the exact residual keeps cpu + ram + gpu = node cost to the last decimal.
    """
    cpu = money(prices.cpu * Decimal(str(cpu_cores)))
    gpu = money(prices.gpu * Decimal(str(gpu_count)))
    return {"cpu": cpu, "ram": node_cost - cpu - gpu, "gpu": gpu}


def prorate(amount: Decimal, hours: int) -> list[Decimal]:
    """Spread a bill line over its charge-period hours; the last hour takes the remainder.

    Σ of the result = ``amount`` exactly (the reconciliation rests on this).
    """
    if hours < 1:
        raise ValueError("a charge period covers at least one hour")
    each = money(amount / hours)
    return [each] * (hours - 1) + [amount - each * (hours - 1)]


def container_quantities(
    *,
    cpu_request: float | None,
    cpu_usage: float | None,
    ram_request_bytes: float | None,
    ram_usage_bytes: float | None,
    gpu_request: float | None,
    running_hours: float,
) -> dict[str, float]:
    """Billable quantities of one container-hour (OpenCost: max(request, usage)).

    A missing request counts as 0, so a container without requests costs its usage;
    GPUs are billed by request (utilization is recorded, never billed).
    """
    cpu = max(cpu_request or 0.0, cpu_usage or 0.0)
    ram = max(ram_request_bytes or 0.0, ram_usage_bytes or 0.0)
    return {
        "cpu_core_hours": cpu * running_hours,
        "ram_gib_hours": ram / GIB * running_hours,
        "gpu_hours": (gpu_request or 0.0) * running_hours,
    }


def hourly_mount_shares(running: Mapping[str, float]) -> dict[str, float]:
    """Split one hour of a volume (or load balancer) among the pods using it.

    With only the fraction of the hour each pod mounted it, pods are assumed not to
    overlap while those fractions fit in the hour (Σ ≤ 1; the rest is ``__unmounted__``)
    and to share evenly when they cannot (Σ > 1: proportional to their fractions). For
    whole-hour mounts this is exactly OpenCost's even split among concurrent pods.
    """
    total = sum(running.values())
    if total <= 0:
        return {UNMOUNTED: 1.0}
    if total <= 1.0:
        shares = dict(running)
        if total < 1.0:
            shares[UNMOUNTED] = 1.0 - total
        return shares
    return {pod: value / total for pod, value in running.items()}


def pvc_cost_coefficients(
    intervals: Sequence[tuple[str, datetime, datetime]], start: datetime, end: datetime
) -> dict[str, Fraction]:
    """OpenCost's PVC coefficients: each pod's share of a volume's cost over [start, end).

    Between consecutive change points the volume's cost is split evenly among the pods
    mounting it; time with no pod goes to ``__unmounted__``. Exact fractions summing to 1.
    (getPVCCostCoefficients in opencost pkg/costmodel.)
    """
    total = int((end - start).total_seconds())
    if total <= 0:
        raise ValueError("volume window has zero duration")
    points = sorted({start, end, *(t for _, s, e in intervals for t in (s, e))})
    coeff: dict[str, Fraction] = {}
    for left, right in itertools.pairwise(points):
        if left < start or right > end:
            continue
        weight = Fraction(int((right - left).total_seconds()), total)
        active = [pod for pod, s, e in intervals if s <= left and e >= right]
        for pod in active or [UNMOUNTED]:
            coeff[pod] = coeff.get(pod, Fraction(0)) + weight / max(len(active), 1)
    return coeff


def split_exact(amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Split ``amount`` by weights into 12-decimal parts that sum to ``amount`` exactly.

    The rounding remainder goes to the largest weight (ties: first key in sorted order).
    Weights summing to zero split evenly.
    """
    keys = sorted(weights)
    if not keys:
        return {}
    total = sum((weights[k] for k in keys), Decimal(0))
    if total == 0:
        weights = {k: Decimal(1) for k in keys}
        total = Decimal(len(keys))
    parts = {k: money(amount * weights[k] / total) for k in keys}
    biggest = max(keys, key=lambda k: (abs(weights[k]), -keys.index(k)))
    parts[biggest] += amount - sum(parts.values(), Decimal(0))
    return parts


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
