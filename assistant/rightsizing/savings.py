"""Dollar math for recommendations: pure functions over Decimal.

monthly cost of a container's requests = (cpu cores × $/core-h + memory GiB × $/GiB-h)
× average replicas × hours per month (730 = 8760 / 12), where average replicas is
Σ running hours / the hours the workload was observed over (so a nightly CronJob counts
at its duty cycle). Savings = current − proposed,
per container, summed per workload. Allocation charges max(request, usage); a
recommendation is never below observed typical usage, so the request side is the one
that moves.
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = [
    "HOURS_PER_MONTH",
    "SEVERITY_ORDER",
    "monthly_billed_cost",
    "monthly_cost",
    "nodes_freed",
    "severity",
]

HOURS_PER_MONTH = Decimal("730")
GIB = Decimal(1024**3)

#: monthly-dollar thresholds for severity (savings, or extra cost for a raise)
SEVERITY_THRESHOLDS: list[tuple[Decimal, str]] = [
    (Decimal("500"), "critical"),
    (Decimal("100"), "high"),
    (Decimal("20"), "medium"),
    (Decimal("0"), "low"),
]
SEVERITY_ORDER = ["critical", "high", "medium", "low"]


def _d(value: float | int | None) -> Decimal:
    return Decimal(repr(float(value))) if value is not None else Decimal("0")


def monthly_cost(
    cpu_cores: float | None,
    ram_bytes: float | None,
    *,
    cpu_price: Decimal,
    ram_price: Decimal,
    replicas: float,
) -> Decimal:
    """$ per month for requests held by ``replicas`` copies (unset request = 0)."""
    per_hour = _d(cpu_cores) * cpu_price + _d(ram_bytes) / GIB * ram_price
    return per_hour * _d(replicas) * HOURS_PER_MONTH


def monthly_billed_cost(
    cpu_request: float | None,
    ram_request: float | None,
    usage: list[tuple[float, float | None, float | None]],
    *,
    cpu_price: Decimal,
    ram_price: Decimal,
    span_hours: int,
) -> Decimal:
    """$ per month as the allocation would bill these requests against the observed usage.

    The allocation charges max(request, average usage) × running hours per hour, so a
    container using more than it requests (or requesting nothing) costs its usage.
    ``usage`` holds (running hours, avg CPU cores, avg memory bytes) per pod-hour. Scaled
    from the ``span_hours`` observed to 730 h. When usage stays under the request this
    equals :func:`monthly_cost` with replicas = Σ running hours / span.
    """
    if span_hours <= 0:
        return Decimal(0)
    cpu_req, ram_req = float(cpu_request or 0), float(ram_request or 0)
    core_hours = sum(max(cpu_req, cpu or 0.0) * run for run, cpu, _ in usage)
    byte_hours = sum(max(ram_req, ram or 0.0) * run for run, _, ram in usage)
    cost = _d(core_hours) * cpu_price + _d(byte_hours) / GIB * ram_price
    return cost * HOURS_PER_MONTH / Decimal(span_hours)


def severity(monthly_savings: Decimal, *, raises_memory: bool = False, oom_kills: int = 0) -> str:
    """critical/high/medium/low by dollars; OOM history is at least 'high' (a risk, not waste)."""
    amount = abs(monthly_savings)
    level = next(name for bound, name in SEVERITY_THRESHOLDS if amount >= bound)
    if oom_kills and raises_memory and level in {"low", "medium"}:
        return "high"
    return level


def nodes_freed(
    *, nodes: float, cpu_requested: float, ram_requested: float, cpu_freed: float, ram_freed: float
) -> int:
    """Nodes the cluster could drop at today's packing density, roughly.

    ``nodes`` and the request totals are averages over the history window. Holding
    requests-per-node constant, the cluster needs
    ceil(nodes × max(new_cpu / cpu, new_ram / ram)) nodes; the binding resource is the
    one that shrinks least. Never negative: a raise frees nothing.
    """
    if nodes <= 0 or cpu_requested <= 0 or ram_requested <= 0:
        return 0
    cpu_ratio = max(cpu_requested - cpu_freed, 0.0) / cpu_requested
    ram_ratio = max(ram_requested - ram_freed, 0.0) / ram_requested
    needed = math.ceil(round(nodes * max(cpu_ratio, ram_ratio), 9))
    return max(math.floor(round(nodes, 9)) - needed, 0)
