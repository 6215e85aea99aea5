"""Containers and nodes per hour, from grid samples (pure: series in, rows out).

Per container and hour (grid points ``k`` of the hour, ``step`` seconds apart):

* ``running_hours`` = points where ``kube_pod_container_status_running`` is 1 × step /
  3600. A container with no status series at all counts as running where cAdvisor
  reports usage for it.
* requests and limits = mean over the points where the series has a value (a request
  changed mid-hour averages the two values by time).
* ``cpu_usage_cores`` = mean over the hour's intervals of Δcounter / step, summed over
  cAdvisor's series of the container (a restarted container gets a new series), resets
  counted as restarts from zero; ``cpu_usage_max_cores`` is the largest interval rate.
* memory = mean / max of ``container_memory_working_set_bytes`` (max across series).
* ``restarts`` = increase of ``kube_pod_container_status_restarts_total``; ``oom_kills``
  = restarts in intervals that end with ``last_terminated_reason="OOMKilled"`` set (at
  least one when the flag rises without a visible restart).
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.ingest.metrics.container_columns import (
    column_rows,
    container_columns,
    gpu_units,
)
from assistant.ingest.metrics.gpu_share import node_gpus
from assistant.ingest.metrics.rows import Row, avg, hour_points, merge_points
from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = ["container_rows", "gpu_units", "is_container", "node_hour_rows"]

Series = Mapping[str, list[GridSeries]]


def is_container(labels: dict[str, str]) -> bool:
    """cAdvisor's pod-level cgroup series (no/empty container, or "POD") are not containers."""
    return (
        bool(labels.get("namespace"))
        and bool(labels.get("pod"))
        and labels.get("container", "") not in ("", "POD")
    )


def container_rows(
    series: Series, grid: Grid, pod_nodes: Mapping[tuple[str, str], str]
) -> list[Row]:
    """``container_hours`` rows; ``pod_nodes`` maps (namespace, pod) → node as a fallback.

    The rules run set-based in :func:`container_columns`; this is its row form.
    """
    return column_rows(container_columns(series, grid, pod_nodes))


def node_hour_rows(series: Series, grid: Grid) -> list[Row]:
    """``node_hours``: presence of ``kube_node_info`` and mean capacity per resource.

    GPU capacity is in physical GPUs (``gpu_share.node_gpus``): whole GPUs plus MIG
    instances by their slices, per grid point, then averaged over the hour like CPU and
    memory. A node without any GPU resource has ``gpu_count`` NULL.
    """

    def nkey(labels: dict[str, str]) -> str | None:
        return labels.get("node") or None

    info = merge_points(series.get("kube_node_info", []), nkey, "max")
    capacity = series.get("kube_node_status_capacity", [])
    cap = {
        res: merge_points((s for s in capacity if s.labels.get("resource") == res), nkey)
        for res in ("cpu", "memory")
    }
    gpu_resources = {
        s.labels.get("resource", "")
        for s in capacity
        if gpu_units(s.labels.get("resource", "")) is not None
    }
    by_gpu_res = {
        res: merge_points((s for s in capacity if s.labels.get("resource") == res), nkey)
        for res in sorted(gpu_resources)
    }
    per_hour, rows = grid.per_hour, []
    for node in sorted(info):
        present = hour_points(info[node], grid)
        by_res = {res: hour_points(pts.get(node, {}), grid) for res, pts in cap.items()}
        gpu_points: dict[int, float] = {}
        for k in sorted({k for pts in by_gpu_res.values() for k in pts.get(node, {})}):
            here = {res: pts[node][k] for res, pts in by_gpu_res.items() if k in pts.get(node, {})}
            value = node_gpus(here)
            if value is not None:
                gpu_points[k] = value
        gpus = hour_points(gpu_points, grid)
        for h in sorted(present):
            rows.append(
                {
                    "node": node,
                    "hour": grid.hour_of(h * per_hour),
                    "running_hours": len(present[h]) / per_hour,
                    "cpu_cores": avg(by_res["cpu"].get(h, [])),
                    "ram_bytes": avg(by_res["memory"].get(h, [])),
                    "gpu_count": avg(gpus.get(h, [])),
                }
            )
    return rows
