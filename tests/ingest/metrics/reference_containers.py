"""The dict-based container_hours rules as first written: the reference the numpy
version (assistant/ingest/metrics/container_columns.py) is checked against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.ingest.metrics.containers import gpu_units, is_container
from assistant.ingest.metrics.rows import (
    Row,
    avg,
    counter_increases,
    hour_points,
    merge_points,
)
from assistant.ingest.metrics.series import Grid, GridSeries

Series = Mapping[str, list[GridSeries]]


def _ckey(labels: dict[str, str]) -> tuple[str, str, str] | None:
    if not is_container(labels):
        return None
    return labels["namespace"], labels["pod"], labels["container"]


def _resource_points(series: list[GridSeries], resource: str) -> dict[Any, dict[int, float]]:
    return merge_points(
        (s for s in series if s.labels.get("resource") == resource), _ckey, how="last"
    )


def _gpu_points(series: list[GridSeries]) -> dict[Any, dict[int, float]]:
    out: dict[Any, dict[int, float]] = {}
    for s in series:
        units = gpu_units(s.labels.get("resource", ""))
        key = _ckey(s.labels)
        if units is None or key is None:
            continue
        target = out.setdefault(key, {})
        for k, v in s.points.items():
            target[k] = target.get(k, 0.0) + v * units
    return out


def reference_container_rows(
    series: Series, grid: Grid, pod_nodes: Mapping[tuple[str, str], str]
) -> list[Row]:
    """``container_hours`` rows; ``pod_nodes`` maps (namespace, pod) → node as a fallback."""
    requests = series.get("kube_pod_container_resource_requests", [])
    limits = series.get("kube_pod_container_resource_limits", [])
    running = merge_points(series.get("kube_pod_container_status_running", []), _ckey, "max")
    req_cpu = _resource_points(requests, "cpu")
    req_mem = _resource_points(requests, "memory")
    req_gpu = _gpu_points(requests)
    lim_cpu = _resource_points(limits, "cpu")
    lim_mem = _resource_points(limits, "memory")
    mem = merge_points(series.get("container_memory_working_set_bytes", []), _ckey, "max")
    cpu_rate: dict[Any, dict[int, float]] = {}
    for s in series.get("container_cpu_usage_seconds_total", []):
        key = _ckey(s.labels)
        if key is None:
            continue
        target = cpu_rate.setdefault(key, {})
        for k, inc in counter_increases(s.points).items():
            target[k] = target.get(k, 0.0) + inc / grid.step_s
    restarts: dict[Any, dict[int, float]] = {}
    for s in series.get("kube_pod_container_status_restarts_total", []):
        key = _ckey(s.labels)
        if key is not None:
            target = restarts.setdefault(key, {})
            for k, inc in counter_increases(s.points).items():
                target[k] = target.get(k, 0.0) + inc
    oom = merge_points(
        (
            s
            for s in series.get("kube_pod_container_status_last_terminated_reason", [])
            if s.labels.get("reason") == "OOMKilled"
        ),
        _ckey,
        "max",
    )
    nodes: dict[Any, str] = {}
    for group in (series.get("container_cpu_usage_seconds_total", []), requests):
        for s in group:
            key = _ckey(s.labels)
            node = s.labels.get("node") or s.labels.get("instance")
            if key is not None and node:
                nodes[key] = node

    keys = set(running) | set(cpu_rate) | set(mem)
    per_hour, n, rows = grid.per_hour, grid.n, []
    for key in sorted(keys):
        run_pts = running.get(key)
        usage_keys = set(cpu_rate.get(key, {})) | set(mem.get(key, {}))
        if run_pts is not None:
            run_by_hour = hour_points({k: v for k, v in run_pts.items() if v >= 1}, grid)
        else:
            run_by_hour = hour_points({k: 1.0 for k in usage_keys}, grid)
        rate_by_hour = hour_points(cpu_rate.get(key, {}), grid)
        mem_by_hour = hour_points(mem.get(key, {}), grid)
        hours = set(run_by_hour) | set(rate_by_hour) | set(mem_by_hour)
        req = {
            name: hour_points(pts.get(key, {}), grid)
            for name, pts in (
                ("cpu", req_cpu),
                ("mem", req_mem),
                ("gpu", req_gpu),
                ("lcpu", lim_cpu),
                ("lmem", lim_mem),
            )
        }
        restart_inc = restarts.get(key, {})
        oom_pts = oom.get(key, {})
        for h in sorted(hours):
            ks = range(h * per_hour, min((h + 1) * per_hour, n))
            n_restarts = sum(restart_inc.get(k, 0.0) for k in ks)
            n_oom = 0.0
            for k in ks:
                if oom_pts.get(k + 1, 0.0) >= 1:
                    rising = oom_pts.get(k, 0.0) < 1
                    n_oom += max(restart_inc.get(k, 0.0), 1.0 if rising else 0.0)
            rates = rate_by_hour.get(h, [])
            mems = mem_by_hour.get(h, [])
            namespace, pod, container = key
            rows.append(
                {
                    "namespace": namespace,
                    "pod": pod,
                    "container": container,
                    "node": nodes.get(key) or pod_nodes.get((namespace, pod)),
                    "hour": grid.hour_of(h * per_hour),
                    "running_hours": len(run_by_hour.get(h, [])) / per_hour,
                    "cpu_request_cores": avg(req["cpu"].get(h, [])),
                    "cpu_limit_cores": avg(req["lcpu"].get(h, [])),
                    "cpu_usage_cores": avg(rates),
                    "cpu_usage_max_cores": max(rates) if rates else None,
                    "ram_request_bytes": avg(req["mem"].get(h, [])),
                    "ram_limit_bytes": avg(req["lmem"].get(h, [])),
                    "ram_usage_bytes": avg(mems),
                    "ram_usage_max_bytes": max(mems) if mems else None,
                    "gpu_request": avg(req["gpu"].get(h, [])),
                    "restarts": round(n_restarts) if key in restarts else None,
                    "oom_kills": round(n_oom) if key in restarts or oom_pts else None,
                }
            )
    return rows
