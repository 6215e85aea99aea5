"""Series on a step grid: the one shape both metrics sources hand to the hourly mapping.

A Prometheus range query evaluates each series at ``start + k·step`` and returns, for
each point, the newest raw sample within the lookback (5 minutes by default). The
OpenMetrics reader resamples raw file samples onto the same grid with the same rule
(:func:`resample`), so both sources feed identical :class:`GridSeries` into
``metrics_hours`` and a file and the Prometheus that backfilled it give the same rows.

The grid of a chunk ``[start, end)`` has points ``k = 0 … n`` with ``n = (end-start)/step``:
point ``n`` (= ``end``) is included because counters need the value at the end of the
last interval; gauges use only ``k < n``.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from assistant.errors import InputError

__all__ = [
    "COUNTERS",
    "LOOKBACK_S",
    "METRICS",
    "OPTIONAL",
    "REQUIRED",
    "ArrayGridSeries",
    "Grid",
    "GridSeries",
    "ceil_hour",
    "floor_hour",
    "naive_utc",
    "parse_step",
    "resample",
    "time_chunks",
]

#: Prometheus's default query lookback (``--query.lookback-delta``), in seconds.
LOOKBACK_S = 300

#: Metrics an ingest cannot do without: nodes, pods, requests, running state and usage.
REQUIRED = (
    "kube_node_info",
    "kube_node_status_capacity",
    "kube_pod_info",
    "kube_pod_container_resource_requests",
    "kube_pod_container_status_running",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
)

#: Everything else: absent means no rows of that kind (e.g. no DCGM → no GPU rows).
OPTIONAL = (
    "kube_node_labels",
    "kube_namespace_labels",
    "kube_pod_labels",
    "kube_pod_owner",
    "kube_replicaset_owner",
    "kube_job_owner",
    "kube_pod_container_resource_limits",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason",
    "kube_persistentvolumeclaim_info",
    "kube_persistentvolume_info",
    "kube_persistentvolume_capacity_bytes",
    "kube_persistentvolumeclaim_resource_requests_storage_bytes",
    "kube_pod_spec_volumes_persistentvolumeclaims_info",
    "kube_service_info",
    "kube_service_spec_type",
    "kube_service_status_load_balancer_ingress",
    "kube_endpoint_address",
    "kube_horizontalpodautoscaler_info",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_spec_target_metric",
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_POWER_USAGE",
)

METRICS = REQUIRED + OPTIONAL

#: Monotonic counters: turned into per-interval increases with resets handled.
COUNTERS = frozenset(
    {
        "container_cpu_usage_seconds_total",
        "kube_pod_container_status_restarts_total",
    }
)

#: Server-side narrowing for the Prometheus path. The mapping applies the same filters
#: itself, so a file (which has no selectors) gives the same rows.
SELECTORS: dict[str, str] = {
    "container_cpu_usage_seconds_total": '{container!="",container!="POD"}',
    "container_memory_working_set_bytes": '{container!="",container!="POD"}',
    "kube_pod_container_status_last_terminated_reason": '{reason="OOMKilled"}',
    "kube_service_spec_type": '{type="LoadBalancer"}',
}

_STEP_RE = re.compile(r"^(\d+)(s|m|h)$")


def parse_step(step: str) -> int:
    """'5m' → 300. The step must divide an hour, so every hour holds the same points."""
    m = _STEP_RE.match(step.strip())
    if not m:
        raise InputError(f"Step {step!r} is not like 30s, 5m or 1h.", hint="Use e.g. --step 5m.")
    seconds = int(m[1]) * {"s": 1, "m": 60, "h": 3600}[m[2]]
    if seconds <= 0 or 3600 % seconds:
        raise InputError(
            f"Step {step!r} does not divide an hour evenly.",
            hint="Use 15s, 30s, 1m, 5m, 10m, 15m, 30m or 1h.",
        )
    return seconds


@dataclass(frozen=True)
class Grid:
    """Evaluation points ``start + k·step`` for ``k = 0 … n`` of a chunk ``[start, end)``."""

    start: datetime  # naive UTC, hour-aligned
    end: datetime  # naive UTC, hour-aligned, > start
    step_s: int

    # cached: the hourly rules ask for these once per object and point
    @cached_property
    def n(self) -> int:
        return int((self.end - self.start).total_seconds()) // self.step_s

    @cached_property
    def per_hour(self) -> int:
        return 3600 // self.step_s

    @cached_property
    def start_ts(self) -> float:
        return _epoch(self.start)

    def hour_of(self, k: int) -> datetime:
        return self.start + timedelta(hours=k // self.per_hour)

    def time_of(self, k: int) -> datetime:
        return self.start + timedelta(seconds=k * self.step_s)

    @cached_property
    def times(self) -> tuple[datetime, ...]:
        """``time_of(k)`` for ``k = 0 … n``, made once: inventory rows ask per object."""
        return tuple(self.time_of(k) for k in range(self.n + 1))

    def index_of(self, ts: float) -> int | None:
        """Grid index of an evaluation timestamp (seconds), None when off the grid."""
        offset = ts - self.start_ts
        k = round(offset / self.step_s)
        if abs(offset - k * self.step_s) > 1e-3 or not 0 <= k <= self.n:
            return None
        return k


@dataclass
class GridSeries:
    """One series evaluated on a grid: its labels and ``{k: value}`` where it had a value."""

    name: str
    labels: dict[str, str]
    points: dict[int, float] = field(default_factory=dict)

    def span(self) -> tuple[int, int] | None:
        """(first k, last k) with a value; None for an empty series."""
        arrays = getattr(self, "arrays", None)
        if arrays is not None:
            ks = arrays[0]
            return (int(ks[0]), int(ks[-1])) if len(ks) else None
        return (min(self.points), max(self.points)) if self.points else None


class ArrayGridSeries(GridSeries):
    """A series whose points came as arrays (k ascending, value): the ``points`` dict is
    built only if a rule asks for it, and set-based rules read ``arrays`` directly."""

    def __init__(self, name: str, labels: dict[str, str], ks: Any, values: Any) -> None:
        self.name = name
        self.labels = labels
        self.arrays = (ks, values)
        self._points: dict[int, float] | None = None

    @property  # type: ignore[override]
    def points(self) -> dict[int, float]:
        if self._points is None:
            self._points = dict(zip(self.arrays[0].tolist(), self.arrays[1].tolist(), strict=True))
        return self._points

    @points.setter
    def points(self, value: dict[int, float]) -> None:
        self._points = value


def _epoch(dt: datetime) -> float:
    return (dt - datetime(1970, 1, 1)).total_seconds()


def resample(
    timestamps: Sequence[float],
    values: Sequence[float],
    grid: Grid,
    lookback_s: int = LOOKBACK_S,
) -> dict[int, float]:
    """Emulate a Prometheus range query over raw samples (sorted by time, seconds).

    Point ``k`` takes the newest sample with ``t_k - lookback ≤ ts ≤ t_k``, which is how
    Prometheus 2.x evaluates an instant vector (3.x excludes ``ts = t_k - lookback``;
    files whose samples never fall exactly ``lookback`` before a grid point agree with
    both). NaN samples are skipped like missing ones.
    """
    out: dict[int, float] = {}
    if not timestamps:
        return out
    t0 = grid.start_ts
    first_k = max(0, math.ceil((timestamps[0] - t0) / grid.step_s - 1e-9))
    for k in range(first_k, grid.n + 1):
        t_k = t0 + k * grid.step_s
        i = bisect.bisect_right(timestamps, t_k + 1e-9) - 1
        if i < 0:
            continue
        if timestamps[i] < t_k - lookback_s - 1e-9:
            if i == len(timestamps) - 1:
                break
            continue
        v = values[i]
        if not math.isnan(v):
            out[k] = v
    return out


def floor_hour(dt: datetime) -> datetime:
    return dt.replace(minute=0, second=0, microsecond=0)


def ceil_hour(dt: datetime) -> datetime:
    floor = floor_hour(dt)
    return floor if floor == dt else floor + timedelta(hours=1)


def naive_utc(value: datetime) -> datetime:
    """Naive UTC (the warehouse's convention) from an aware or naive datetime."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def time_chunks(start: datetime, end: datetime, step_s: int, hours: int = 24) -> list[Grid]:
    """Hour-aligned chunks of at most ``hours`` covering ``[start, end)``, in time order."""
    out: list[Grid] = []
    cursor = start
    while cursor < end:
        nxt = min(cursor + timedelta(hours=hours), end)
        out.append(Grid(cursor, nxt, step_s))
        cursor = nxt
    return out
