"""The rows a metrics ingest produces, table by table, and small helpers to build them.

Rows are plain dicts keyed by m003's column names (without ``cluster`` and
``ingest_id``, which the store adds), so tests read like the schema.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = [
    "COLUMNS",
    "HOURLY_TABLES",
    "MetricsRows",
    "avg",
    "counter_increases",
    "hour_points",
    "merge_points",
]

Row = dict[str, Any]

COLUMNS: dict[str, tuple[str, ...]] = {
    "k8s_nodes": (
        "node",
        "provider_id",
        "instance_id",
        "instance_type",
        "region",
        "zone",
        "capacity_type",
        "labels",
        "first_seen",
        "last_seen",
    ),
    "node_hours": ("node", "hour", "running_hours", "cpu_cores", "ram_bytes", "gpu_count"),
    "k8s_namespaces": ("namespace", "labels", "first_seen", "last_seen"),
    "k8s_owners": ("namespace", "kind", "name", "owner_kind", "owner_name"),
    "k8s_pods": (
        "namespace",
        "pod",
        "uid",
        "node",
        "owner_kind",
        "owner_name",
        "controller_kind",
        "controller_name",
        "labels",
        "first_seen",
        "last_seen",
    ),
    "container_hours": (
        "namespace",
        "pod",
        "container",
        "node",
        "hour",
        "running_hours",
        "cpu_request_cores",
        "cpu_limit_cores",
        "cpu_usage_cores",
        "cpu_usage_max_cores",
        "ram_request_bytes",
        "ram_limit_bytes",
        "ram_usage_bytes",
        "ram_usage_max_bytes",
        "gpu_request",
        "restarts",
        "oom_kills",
    ),
    "k8s_pvs": ("pv", "volume_id", "storage_class", "capacity_bytes"),
    "pvc_hours": (
        "namespace",
        "pvc",
        "pv",
        "storage_class",
        "hour",
        "running_hours",
        "requested_bytes",
    ),
    "pod_pvc_hours": ("namespace", "pod", "pvc", "hour", "running_hours"),
    "service_hours": (
        "namespace",
        "service",
        "service_type",
        "lb_ingress",
        "hour",
        "running_hours",
    ),
    "service_pod_hours": ("namespace", "service", "pod", "hour", "running_hours"),
    "gpu_hours": (
        "node",
        "gpu",
        "model",
        "mig_profile",
        "gpu_share",
        "namespace",
        "pod",
        "container",
        "hour",
        "samples",
        "util_pct",
        "util_max_pct",
        "engine_active",
        "fb_used_bytes",
        "power_watts",
    ),
    "k8s_hpas": (
        "namespace",
        "hpa",
        "target_kind",
        "target_name",
        "min_replicas",
        "max_replicas",
        "metric_name",
        "target_utilization",
        "last_seen",
    ),
}

#: Tables keyed by hour: re-ingesting a window deletes these hours first.
HOURLY_TABLES = (
    "node_hours",
    "container_hours",
    "pvc_hours",
    "pod_pvc_hours",
    "service_hours",
    "service_pod_hours",
    "gpu_hours",
)


@dataclass
class MetricsRows:
    """Rows per table: row dicts, or for the big tables numpy columns (NaN = NULL)."""

    tables: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in COLUMNS})
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, table: str, rows: Iterable[Row]) -> None:
        self.tables[table].extend(rows)

    def add_columns(self, table: str, columns: dict[str, Any]) -> None:
        if table in self.columns or self.tables[table]:
            raise ValueError(f"{table} already has rows in this chunk")
        self.columns[table] = columns

    def counts(self) -> dict[str, int]:
        counts = {t: len(rows) for t, rows in self.tables.items()}
        for table, cols in self.columns.items():
            counts[table] = len(cols[COLUMNS[table][0]])
        return counts


def avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def merge_points(
    series: Iterable[GridSeries], key: Any, how: str = "last"
) -> dict[Any, dict[int, float]]:
    """Merge series sharing ``key(labels)`` into one ``{k: value}``: last, sum or max.

    Several series can describe one object (a pod's request series re-labelled when it
    moves node, cAdvisor's series per container instance); ``key`` returning None drops
    the series.
    """
    out: dict[Any, dict[int, float]] = defaultdict(dict)
    for s in series:
        k = key(s.labels)
        if k is None:
            continue
        target = out[k]
        for i, v in s.points.items():
            if how == "sum":
                target[i] = target.get(i, 0.0) + v
            elif how == "max":
                target[i] = max(target.get(i, v), v)
            else:
                target[i] = v
    return out


def counter_increases(points: dict[int, float]) -> dict[int, float]:
    """Increase over each interval ``[k, k+1)`` where both ends have a value.

    A drop means the counter restarted from zero, so the increase is the new value
    (Prometheus's ``increase()`` rule, without its extrapolation to window edges).
    """
    out: dict[int, float] = {}
    for k, v in points.items():
        nxt = points.get(k + 1)
        if nxt is None:
            continue
        out[k] = nxt - v if nxt >= v else nxt
    return out


def hour_points(points: dict[int, float], grid: Grid) -> dict[int, list[float]]:
    """Values grouped by hour index (``k // per_hour``), gauge points ``k < n`` only."""
    out: dict[int, list[float]] = defaultdict(list)
    per_hour, n = grid.per_hour, grid.n
    for k in sorted(points):
        if k < n:
            out[k // per_hour].append(points[k])
    return out
