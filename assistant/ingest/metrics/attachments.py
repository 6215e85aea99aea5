"""Who holds what per hour: PVCs and their pods, LoadBalancer services and their pods.

Pure functions over grid samples. ``running_hours`` counts the grid points of the hour
where the relationship held, × step / 3600:

* ``pvc_hours``: ``kube_persistentvolumeclaim_info`` present; requested bytes averaged.
* ``pod_pvc_hours``: ``kube_pod_spec_volumes_persistentvolumeclaims_info`` present *and*
  the pod running (any container with ``status_running`` = 1; a pod without status
  series counts as running while its spec series exists), so a completed pod that
  lingers does not hold a share of the volume.
* ``service_hours``: services of type LoadBalancer (``kube_service_spec_type``), present
  while ``kube_service_info`` (or the type series) is; ``lb_ingress`` is the newest
  hostname or IP of ``kube_service_status_load_balancer_ingress``.
* ``service_pod_hours``: ready endpoint addresses (``kube_endpoint_address``, endpoint
  name = service name) whose ``ip`` is a pod's ``pod_ip`` in ``kube_pod_info`` at the
  same point.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from assistant.ingest.metrics.rows import Row, avg, hour_points, merge_points
from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = ["pod_pvc_rows", "pvc_rows", "running_pods", "service_pod_rows", "service_rows"]

Series = Mapping[str, list[GridSeries]]


def running_pods(series: Series) -> dict[tuple[str, str], set[int] | None]:
    """(namespace, pod) → points where any container runs; None = pod has no status series."""
    out: dict[tuple[str, str], set[int] | None] = {}
    for s in series.get("kube_pod_container_status_running", []):
        ns, pod = s.labels.get("namespace"), s.labels.get("pod")
        if not ns or not pod:
            continue
        pts = out.setdefault((ns, pod), set())
        assert pts is not None
        pts.update(k for k, v in s.points.items() if v >= 1)
    return out


def _hourly(points: set[int] | dict[int, float], grid: Grid) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for k in points:
        if k < grid.n:
            counts[k // grid.per_hour] += 1
    return counts


def pvc_rows(series: Series, grid: Grid) -> list[Row]:
    def key(labels: dict[str, str]) -> Any:
        if not labels.get("namespace") or not labels.get("persistentvolumeclaim"):
            return None
        return labels["namespace"], labels["persistentvolumeclaim"]

    attrs: dict[Any, dict[str, str]] = {}
    for s in series.get("kube_persistentvolumeclaim_info", []):
        k = key(s.labels)
        if k is not None and s.points:
            attrs[k] = s.labels
    info = merge_points(series.get("kube_persistentvolumeclaim_info", []), key, "max")
    req = merge_points(
        series.get("kube_persistentvolumeclaim_resource_requests_storage_bytes", []), key
    )
    rows = []
    for k in sorted(info):
        present = _hourly(info[k], grid)
        req_by_hour = hour_points(req.get(k, {}), grid)
        for h in sorted(present):
            rows.append(
                {
                    "namespace": k[0],
                    "pvc": k[1],
                    "pv": attrs[k].get("volumename") or None,
                    "storage_class": attrs[k].get("storageclass") or None,
                    "hour": grid.hour_of(h * grid.per_hour),
                    "running_hours": present[h] / grid.per_hour,
                    "requested_bytes": avg(req_by_hour.get(h, [])),
                }
            )
    return rows


def pod_pvc_rows(series: Series, grid: Grid) -> list[Row]:
    def key(labels: dict[str, str]) -> Any:
        if not all(labels.get(x) for x in ("namespace", "pod", "persistentvolumeclaim")):
            return None
        return labels["namespace"], labels["pod"], labels["persistentvolumeclaim"]

    mounts = merge_points(
        series.get("kube_pod_spec_volumes_persistentvolumeclaims_info", []), key, "max"
    )
    if not mounts:
        return []
    running = running_pods(series)
    rows = []
    for (ns, pod, pvc), pts in sorted(mounts.items()):
        run = running.get((ns, pod))
        held = set(pts) if run is None else set(pts) & run
        for h, count in sorted(_hourly(held, grid).items()):
            rows.append(
                {
                    "namespace": ns,
                    "pod": pod,
                    "pvc": pvc,
                    "hour": grid.hour_of(h * grid.per_hour),
                    "running_hours": count / grid.per_hour,
                }
            )
    return rows


def _svc_key(labels: dict[str, str]) -> Any:
    if not labels.get("namespace") or not labels.get("service"):
        return None
    return labels["namespace"], labels["service"]


def _lb_services(series: Series) -> dict[Any, dict[int, float]]:
    return merge_points(
        (
            s
            for s in series.get("kube_service_spec_type", [])
            if s.labels.get("type") == "LoadBalancer"
        ),
        _svc_key,
        "max",
    )


def service_rows(series: Series, grid: Grid) -> list[Row]:
    lb = _lb_services(series)
    info = merge_points(series.get("kube_service_info", []), _svc_key, "max")
    ingress: dict[Any, tuple[int, str]] = {}
    for s in series.get("kube_service_status_load_balancer_ingress", []):
        k = _svc_key(s.labels)
        addr = s.labels.get("hostname") or s.labels.get("ip")
        if k is not None and addr and s.points:
            last = max(s.points)
            if k not in ingress or last >= ingress[k][0]:
                ingress[k] = (last, addr)
    rows = []
    for k in sorted(lb):
        present = _hourly(info.get(k) or lb[k], grid)
        for h, count in sorted(present.items()):
            rows.append(
                {
                    "namespace": k[0],
                    "service": k[1],
                    "service_type": "LoadBalancer",
                    "lb_ingress": ingress[k][1] if k in ingress else None,
                    "hour": grid.hour_of(h * grid.per_hour),
                    "running_hours": count / grid.per_hour,
                }
            )
    return rows


def service_pod_rows(series: Series, grid: Grid) -> list[Row]:
    lb = _lb_services(series)
    if not lb:
        return []
    # (namespace, ip, k) → pod: a pod IP is only meaningful at the moment it was held.
    ip_at: dict[tuple[str, str, int], str] = {}
    for s in series.get("kube_pod_info", []):
        ns, pod, ip = s.labels.get("namespace"), s.labels.get("pod"), s.labels.get("pod_ip")
        if ns and pod and ip:
            for k in s.points:
                ip_at[(ns, ip, k)] = pod
    held: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for s in series.get("kube_endpoint_address", []):
        ns, svc, ip = s.labels.get("namespace"), s.labels.get("endpoint"), s.labels.get("ip")
        if not ns or not svc or not ip or (ns, svc) not in lb:
            continue
        if s.labels.get("ready", "true") != "true":
            continue
        for k, v in s.points.items():
            pod = ip_at.get((ns, ip, k))
            if v >= 1 and pod is not None:
                held[(ns, svc, pod)].add(k)
    rows = []
    for (ns, svc, pod), pts in sorted(held.items()):
        for h, count in sorted(_hourly(pts, grid).items()):
            rows.append(
                {
                    "namespace": ns,
                    "service": svc,
                    "pod": pod,
                    "hour": grid.hour_of(h * grid.per_hour),
                    "running_hours": count / grid.per_hour,
                }
            )
    return rows
