"""Cluster state rebuilt from the Prometheus inventory in the warehouse, at its latest hour.

Most Penny installs ingest kube-state-metrics through Prometheus and may never reach the
Kubernetes API. The warehouse then still knows, for the latest ingested hour, which nodes
ran (capacity), which pods ran where with which requests and limits, their rolled-up
controllers, HPAs and namespace labels. This module turns those rows back into API-shaped
objects so :mod:`assistant.kube.shape` summarises them exactly like live objects.

What it cannot know, it leaves out rather than guesses: allocatable is reported equal to
capacity (kube-state-metrics capacity only), desired replicas are unknown, and a
controller appears only if it had pods running that hour.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from assistant.warehouse.db import Connection

__all__ = ["inventory_clusters", "inventory_objects"]

Obj = dict[str, Any]


def inventory_clusters(con: Connection) -> list[tuple[str, datetime]]:
    """(cluster, latest hour with running containers), most recent first."""
    rows = con.execute(
        "SELECT cluster, max(hour) AS h FROM container_hours GROUP BY cluster "
        "ORDER BY h DESC, cluster"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _ns_sql(namespaces: set[str] | None, column: str) -> tuple[str, list[Any]]:
    if namespaces is None:
        return "TRUE", []
    names = sorted(namespaces) or ["\0"]
    return f"{column} IN ({', '.join('?' for _ in names)})", names


def _labels(raw: Any) -> dict[str, str]:
    data = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _qty(cores: float | None, bytes_: float | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if cores is not None:
        out["cpu"] = f"{cores:.6f}".rstrip("0").rstrip(".") or "0"
    if bytes_ is not None:
        out["memory"] = str(int(bytes_))
    return out


def inventory_objects(
    con: Connection, cluster: str, hour: datetime, kinds: list[str], namespaces: set[str] | None
) -> dict[str, list[Obj]]:
    """API-shaped objects of ``kinds`` for ``cluster`` at ``hour`` (namespaces filtered in SQL)."""
    out: dict[str, list[Obj]] = {k: [] for k in kinds}
    ns_sql, ns_params = _ns_sql(namespaces, "c.namespace")
    if "Node" in kinds and namespaces is None:
        for node, labels, provider_id, cpu, ram, gpu in con.execute(
            "SELECT n.node, n.labels, n.provider_id, h.cpu_cores, h.ram_bytes, h.gpu_count "
            "FROM node_hours h JOIN k8s_nodes n ON n.cluster = h.cluster AND n.node = h.node "
            "WHERE h.cluster = ? AND h.hour = ? AND h.running_hours > 0 ORDER BY n.node",
            [cluster, hour],
        ).fetchall():
            cap = {**_qty(cpu, ram), **({"nvidia.com/gpu": str(int(gpu))} if gpu else {})}
            out["Node"].append(
                {
                    "kind": "Node",
                    "metadata": {"name": node, "labels": _labels(labels)},
                    "spec": {"providerID": provider_id},
                    "status": {"capacity": cap, "allocatable": cap},
                }
            )
    if "Namespace" in kinds:
        sql, params = _ns_sql(namespaces, "namespace")
        for name, labels in con.execute(
            f"SELECT namespace, labels FROM k8s_namespaces WHERE cluster = ? AND {sql} "
            f"ORDER BY namespace",
            [cluster, *params],
        ).fetchall():
            out["Namespace"].append(
                {
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": _labels(labels)},
                    "status": {"phase": "Active"},
                }
            )
    wants_pods = any(
        k in kinds for k in ("Pod", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")
    )
    pods: dict[tuple[str, str], Obj] = {}
    if wants_pods:
        rows = con.execute(
            "SELECT c.namespace, c.pod, c.container, c.node, c.cpu_request_cores, "
            "c.cpu_limit_cores, c.ram_request_bytes, c.ram_limit_bytes, c.gpu_request, "
            "p.controller_kind, p.controller_name, p.labels "
            "FROM container_hours c LEFT JOIN k8s_pods p ON p.cluster = c.cluster "
            "AND p.namespace = c.namespace AND p.pod = c.pod "
            f"WHERE c.cluster = ? AND c.hour = ? AND c.running_hours > 0 AND {ns_sql} "
            "ORDER BY c.namespace, c.pod, c.container",
            [cluster, hour, *ns_params],
        ).fetchall()
        for (
            ns,
            pod,
            container,
            node,
            cpu_req,
            cpu_lim,
            ram_req,
            ram_lim,
            gpu,
            ckind,
            cname,
            labels,
        ) in rows:
            obj = pods.get((ns, pod))
            if obj is None:
                meta: Obj = {"name": pod, "namespace": ns, "labels": _labels(labels)}
                if cname:
                    meta["ownerReferences"] = [{"kind": ckind, "name": cname, "controller": True}]
                obj = {
                    "kind": "Pod",
                    "metadata": meta,
                    "spec": {"nodeName": node, "containers": []},
                    "status": {"phase": "Running"},
                }
                pods[(ns, pod)] = obj
            requests, limits = _qty(cpu_req, ram_req), _qty(cpu_lim, ram_lim)
            if gpu:  # extended resources: the request equals the limit
                requests["nvidia.com/gpu"] = limits["nvidia.com/gpu"] = f"{gpu:g}"
            obj["spec"]["containers"].append(
                {"name": container, "resources": {"requests": requests, "limits": limits}}
            )
    if "Pod" in kinds:
        out["Pod"] = list(pods.values())
    controllers: dict[tuple[str, str, str], list[Obj]] = defaultdict(list)
    for pod in pods.values():
        for ref in pod["metadata"].get("ownerReferences", []):
            controllers[(pod["metadata"]["namespace"], ref["kind"], ref["name"])].append(pod)
    for (ns, kind, name), members in sorted(controllers.items()):
        if kind not in kinds:
            continue
        template = {"spec": {"containers": members[0]["spec"]["containers"]}}
        spec: Obj = (
            {"jobTemplate": {"spec": {"template": template}}}
            if kind == "CronJob"
            else {"template": template}
        )
        out[kind].append(
            {"kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec, "status": {}}
        )
    if "HorizontalPodAutoscaler" in kinds:
        sql, params = _ns_sql(namespaces, "namespace")
        for ns, hpa, tkind, tname, lo, hi, metric, target in con.execute(
            "SELECT namespace, hpa, target_kind, target_name, min_replicas, max_replicas, "
            f"metric_name, target_utilization FROM k8s_hpas WHERE cluster = ? AND {sql} "
            "ORDER BY namespace, hpa",
            [cluster, *params],
        ).fetchall():
            metrics = (
                [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": metric,
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": int(target)
                                if target is not None and float(target).is_integer()
                                else target,
                            },
                        },
                    }
                ]
                if metric in {"cpu", "memory"}
                else [{"type": "External"}]
                if metric
                else []
            )
            out["HorizontalPodAutoscaler"].append(
                {
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": hpa, "namespace": ns},
                    "spec": {
                        "scaleTargetRef": {"kind": tkind, "name": tname},
                        "minReplicas": lo,
                        "maxReplicas": hi,
                        "metrics": metrics,
                    },
                    "status": {},
                }
            )
    return out
