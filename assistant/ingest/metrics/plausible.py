"""Which samples a metrics import refuses: times outside the years Penny keeps, infinite
values, and quantities no cluster has.

A sample that parses can still poison the warehouse: a CPU request of 1e308 cores makes
every later cost for that window overflow, and a timestamp in milliseconds read as
seconds (or one in 2200, 9999 or before 1970) stretches the ingest window over
centuries. Both readers apply these bounds: the set-based reader hands a file that breaks
one to the line reader, which names the file, line and column ("value" or "timestamp").
NaN stays what Prometheus means by it, a stale marker, and is skipped as before.
"""

from __future__ import annotations

from datetime import datetime

from assistant.windows import EARLIEST, LATEST

__all__ = ["TS_MAX", "TS_MIN", "bounds", "time_problem", "value_problem"]

LabelKey = tuple[tuple[str, str], ...]

TS_MIN = (EARLIEST - datetime(1970, 1, 1)).total_seconds()
TS_MAX = (LATEST - datetime(1970, 1, 1)).total_seconds()

#: magnitudes no sample of Penny's metrics reaches (1e15 bytes is a petabyte)
_ANY = (-1e15, 1e15)
_QUANTITY = {"core": (0.0, 1e5), "byte": (0.0, 1e15)}
_QUANTITY_OTHER = (0.0, 1e6)  # GPUs, pods, ephemeral units
_RESOURCE_METRICS = frozenset(
    {
        "kube_pod_container_resource_requests",
        "kube_pod_container_resource_limits",
        "kube_node_status_capacity",
        "kube_node_status_allocatable",
    }
)
_NON_NEGATIVE = {
    "container_cpu_usage_seconds_total": (0.0, 1e12),
    "container_memory_working_set_bytes": (0.0, 1e15),
    "kube_persistentvolume_capacity_bytes": (0.0, 1e16),
    "kube_persistentvolumeclaim_resource_requests_storage_bytes": (0.0, 1e16),
    "kube_pod_container_status_restarts_total": (0.0, 1e9),
}


def bounds(name: str, labels: LabelKey) -> tuple[float, float]:
    """The closed range a sample of ``name`` with ``labels`` must lie in."""
    if name in _RESOURCE_METRICS:
        unit = dict(labels).get("unit", "")
        return _QUANTITY.get(unit, _QUANTITY_OTHER)
    return _NON_NEGATIVE.get(name, _ANY)


def value_problem(value: float, low: float, high: float) -> str | None:
    """Why ``value`` cannot be stored (infinite, or outside [low, high]); None if it can."""
    if value in (float("inf"), float("-inf")):
        return f"value {value} is not a finite number"
    if not low <= value <= high:
        return f"value {value:g} is outside the plausible range {low:g}..{high:g}"
    return None


def time_problem(seconds: float, milliseconds: bool) -> str | None:
    """Why a sample time (already in seconds) is implausible; None if it is fine."""
    if TS_MIN <= seconds < TS_MAX:
        return None
    unit = "milliseconds (Prometheus text format)" if milliseconds else "seconds (OpenMetrics)"
    hint = ""
    if not milliseconds and TS_MIN * 1000 <= seconds < TS_MAX * 1000:
        hint = "; it looks like milliseconds in a file that ends in # EOF (seconds)"
    return (
        f"timestamp {seconds:.0f} s is outside {EARLIEST:%Y}..{LATEST.year - 1} "
        f"(read as {unit}){hint}"
    )
