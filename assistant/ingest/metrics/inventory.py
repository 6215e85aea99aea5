"""Cluster inventory from kube-state-metrics info series (pure: series in, rows out).

Info series carry their facts in labels and the value 1; an object's attributes are
taken from its most recent series in the chunk (a pod re-scheduled to another node
keeps the newest node). ``first_seen``/``last_seen`` are the first and last grid
points where the object's info series had a value; the store widens them across chunks
and re-ingests.

Controllers are rolled up as DESIGN.md says: a Pod owned by a ReplicaSet owned by a
Deployment has controller Deployment/<name>; Job → CronJob likewise. A ReplicaSet or
Job with no owner (``owner_kind="<none>"``) is its own controller; a bare pod has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np

from assistant.ingest.metrics.chunk import ChunkSeries
from assistant.ingest.metrics.labels import labels_json, object_labels, object_labels_json
from assistant.ingest.metrics.rows import Row
from assistant.ingest.metrics.series import Grid, GridSeries
from assistant.ingest.provider_id import parse_provider_id, volume_id

__all__ = [
    "capacity_type",
    "hpa_rows",
    "namespace_rows",
    "node_rows",
    "owner_rows",
    "pod_rows",
    "pv_rows",
]

Series = Mapping[str, list[GridSeries]]
_NONE = ("", "<none>")


Span = tuple[dict[str, str], int, int]


def _spans(series: Series, metric: str) -> list[Span]:
    """(labels, first point, last point) of each of ``metric``'s series with points, in
    series order; read from a chunk's arrays when it has them (no series objects)."""
    if isinstance(series, ChunkSeries):
        sid, ks, _ = series.points(metric)
        if not len(sid):
            return []
        cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
        firsts, lasts = ks[np.r_[0, cut]].tolist(), ks[np.r_[cut - 1, len(ks) - 1]].tolist()
        labels = series.table.labels
        return [
            (labels[i], a, b)
            for i, a, b in zip(sid[np.r_[0, cut]].tolist(), firsts, lasts, strict=True)
        ]
    out = []
    for s in series.get(metric, []):
        span = s.span()
        if span is not None:
            out.append((s.labels, span[0], span[1]))
    return out


def _latest(
    spans: list[Span], key: Callable[[dict[str, str]], Any]
) -> dict[Any, tuple[dict[str, str], int, int]]:
    """Per object: (labels of its newest series, first point, last point)."""
    out: dict[Any, tuple[dict[str, str], int, int]] = {}
    for labels, first, last in spans:
        k = key(labels)
        if k is None:
            continue
        prev = out.get(k)
        if prev is None:
            out[k] = (labels, first, last)
        else:
            newest = labels if last >= prev[2] else prev[0]
            out[k] = (newest, min(first, prev[1]), max(last, prev[2]))
    return out


def _seen(grid: Grid, k: int) -> datetime:
    k = min(k, grid.n)
    return grid.times[k] if k >= 0 else grid.time_of(k)


def capacity_type(labels: dict[str, str]) -> str | None:
    """'spot' or 'on-demand' from Karpenter, EKS, GKE or AKS node labels."""
    raw = labels.get("karpenter.sh/capacity-type") or labels.get("eks.amazonaws.com/capacity-type")
    if raw:
        return "spot" if raw.lower() == "spot" else "on-demand"
    if labels.get("cloud.google.com/gke-spot") == "true" or labels.get(
        "cloud.google.com/gke-provisioning"
    ) in ("spot", "preemptible"):
        return "spot"
    if labels.get("kubernetes.azure.com/scalesetpriority") == "spot":
        return "spot"
    return None


def node_rows(series: Series, grid: Grid) -> list[Row]:
    def nkey(labels: dict[str, str]) -> str | None:
        return labels.get("node") or None

    info = _latest(_spans(series, "kube_node_info"), nkey)
    node_labels = _latest(_spans(series, "kube_node_labels"), nkey)
    rows = []
    for node in sorted(info):
        labels, first, last = info[node]
        obj = object_labels(node_labels[node][0]) if node in node_labels else {}
        parsed = parse_provider_id(labels.get("provider_id"))
        rows.append(
            {
                "node": node,
                "provider_id": labels.get("provider_id") or None,
                "instance_id": parsed.instance_id if parsed else None,
                "instance_type": obj.get("node.kubernetes.io/instance-type")
                or obj.get("beta.kubernetes.io/instance-type"),
                "region": obj.get("topology.kubernetes.io/region")
                or obj.get("failure-domain.beta.kubernetes.io/region"),
                "zone": obj.get("topology.kubernetes.io/zone")
                or obj.get("failure-domain.beta.kubernetes.io/zone")
                or (parsed.zone if parsed else None),
                "capacity_type": capacity_type(obj),
                "labels": labels_json(obj),
                "first_seen": _seen(grid, first),
                "last_seen": _seen(grid, last),
            }
        )
    return rows


def namespace_rows(series: Series, grid: Grid) -> list[Row]:
    """Namespaces with labels, plus any namespace a pod was seen in."""

    def key(labels: dict[str, str]) -> str | None:
        return labels.get("namespace") or None

    ns_labels = _latest(_spans(series, "kube_namespace_labels"), key)
    pods = _latest(_spans(series, "kube_pod_info"), key)
    rows = []
    for ns in sorted(set(ns_labels) | set(pods)):
        spans = [v for v in (ns_labels.get(ns), pods.get(ns)) if v is not None]
        rows.append(
            {
                "namespace": ns,
                "labels": object_labels_json(ns_labels[ns][0]) if ns in ns_labels else None,
                "first_seen": _seen(grid, min(s[1] for s in spans)),
                "last_seen": _seen(grid, max(s[2] for s in spans)),
            }
        )
    return rows


_OWNER_SOURCES = (
    ("kube_replicaset_owner", "ReplicaSet", "replicaset"),
    ("kube_job_owner", "Job", "job_name"),
    ("kube_pod_owner", "Pod", "pod"),
)


def owner_rows(series: Series) -> list[Row]:
    """Ownership edges (ReplicaSet→Deployment, Job→CronJob, Pod→owner), newest per object."""
    rows = []
    for metric, kind, name_label in _OWNER_SOURCES:
        group = _spans(series, metric)
        if kind == "Pod":  # prefer the controlling owner when a pod has several
            group = sorted(group, key=lambda s: s[0].get("owner_is_controller") == "true")

        def key(labels: dict[str, str], name_label: str = name_label) -> Any:
            if labels.get("owner_kind", "") in _NONE or not labels.get(name_label):
                return None
            return labels.get("namespace", ""), labels[name_label]

        for (ns, name), (labels, _, _) in sorted(_latest(group, key).items()):
            rows.append(
                {
                    "namespace": ns,
                    "kind": kind,
                    "name": name,
                    "owner_kind": labels["owner_kind"],
                    "owner_name": labels["owner_name"],
                }
            )
    return rows


def _rollup(
    kind: str | None,
    name: str | None,
    namespace: str,
    parents: Mapping[tuple[str, str, str], tuple[str, str]],
) -> tuple[Any, Any]:
    if kind is None or name is None:
        return None, None
    if kind in ("ReplicaSet", "Job"):
        parent = parents.get((namespace, kind, name))
        if parent is not None:
            return parent
    return kind, name


def pod_rows(series: Series, grid: Grid, owners: list[Row]) -> list[Row]:
    def key(labels: dict[str, str]) -> Any:
        if not labels.get("namespace") or not labels.get("pod"):
            return None
        return labels["namespace"], labels["pod"]

    info = _latest(_spans(series, "kube_pod_info"), key)
    pod_labels = _latest(_spans(series, "kube_pod_labels"), key)
    parents = {
        (o["namespace"], o["kind"], o["name"]): (o["owner_kind"], o["owner_name"])
        for o in owners
        if o["kind"] != "Pod"
    }
    direct = {
        (o["namespace"], o["name"]): (o["owner_kind"], o["owner_name"])
        for o in owners
        if o["kind"] == "Pod"
    }
    rows = []
    for (ns, pod), (labels, first, last) in sorted(info.items()):
        owner: tuple[Any, Any] = direct.get((ns, pod), (None, None))
        if owner[0] is None and labels.get("created_by_kind", "") not in _NONE:
            owner = (labels["created_by_kind"], labels.get("created_by_name") or None)
        controller = _rollup(owner[0], owner[1], ns, parents)
        rows.append(
            {
                "namespace": ns,
                "pod": pod,
                "uid": labels.get("uid") or None,
                "node": labels.get("node") or None,
                "owner_kind": owner[0],
                "owner_name": owner[1],
                "controller_kind": controller[0],
                "controller_name": controller[1],
                "labels": object_labels_json(pod_labels[(ns, pod)][0])
                if (ns, pod) in pod_labels
                else None,
                "first_seen": _seen(grid, first),
                "last_seen": _seen(grid, last),
            }
        )
    return rows


def pv_rows(series: Series) -> list[Row]:
    def key(labels: dict[str, str]) -> str | None:
        return labels.get("persistentvolume") or None

    info = _latest(_spans(series, "kube_persistentvolume_info"), key)
    capacity: dict[str, float] = {}
    for s in series.get("kube_persistentvolume_capacity_bytes", []):
        pv = s.labels.get("persistentvolume")
        if pv and s.points:
            capacity[pv] = s.points[max(s.points)]
    rows = []
    for pv in sorted(set(info) | set(capacity)):
        labels = info[pv][0] if pv in info else {}
        rows.append(
            {
                "pv": pv,
                "volume_id": volume_id(
                    labels.get("csi_volume_handle"),
                    labels.get("ebs_volume_id"),
                    labels.get("gce_persistent_disk_name"),
                    labels.get("azure_disk_name"),
                ),
                "storage_class": labels.get("storageclass") or None,
                "capacity_bytes": capacity.get(pv),
            }
        )
    return rows


def hpa_rows(series: Series, grid: Grid) -> list[Row]:
    def key(labels: dict[str, str]) -> Any:
        if not labels.get("namespace") or not labels.get("horizontalpodautoscaler"):
            return None
        return labels["namespace"], labels["horizontalpodautoscaler"]

    def last_value(metric: str) -> dict[Any, float]:
        out: dict[Any, tuple[int, float]] = {}
        for s in series.get(metric, []):
            k = key(s.labels)
            if k is not None and s.points:
                last = max(s.points)
                if k not in out or last >= out[k][0]:
                    out[k] = (last, s.points[last])
        return {k: v for k, (_, v) in out.items()}

    info = _latest(_spans(series, "kube_horizontalpodautoscaler_info"), key)
    mins = last_value("kube_horizontalpodautoscaler_spec_min_replicas")
    maxs = last_value("kube_horizontalpodautoscaler_spec_max_replicas")
    # One target per HPA: CPU first, then memory, then whatever else it scales on.
    rank = {"cpu": 2, "memory": 1}
    targets: dict[Any, tuple[dict[str, str], float]] = {}
    for s in sorted(
        series.get("kube_horizontalpodautoscaler_spec_target_metric", []),
        key=lambda s: rank.get(s.labels.get("metric_name", ""), 0),
    ):
        k = key(s.labels)
        if k is not None and s.points:
            targets[k] = (s.labels, s.points[max(s.points)])
    rows = []
    for k in sorted(info):
        labels, _, last = info[k]
        metric, target_value = targets.get(k, ({}, None))
        utilization = metric.get("metric_target_type") == "utilization"
        rows.append(
            {
                "namespace": k[0],
                "hpa": k[1],
                "target_kind": labels.get("scaletargetref_kind") or None,
                "target_name": labels.get("scaletargetref_name") or None,
                "min_replicas": round(mins[k]) if k in mins else None,
                "max_replicas": round(maxs[k]) if k in maxs else None,
                "metric_name": metric.get("metric_name") or None,
                "target_utilization": target_value if utilization else None,
                "last_seen": _seen(grid, last),
            }
        )
    return rows
