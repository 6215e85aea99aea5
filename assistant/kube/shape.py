"""Pure functions over Kubernetes API JSON: trim for storage, roll up owners, summarise.

The same functions read live objects and snapshot objects, so ``cluster_state`` answers
the same shape from either source. Quantities are parsed with the client's own
``parse_quantity`` (``250m`` → 0.25 cores, ``1Gi`` → 1073741824 bytes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from kubernetes.utils.quantity import parse_quantity

__all__ = [
    "capacity_type",
    "controller_of",
    "hpa_rows",
    "namespace_rows",
    "node_rows",
    "owner_index",
    "pod_rows",
    "resources",
    "summary",
    "trim",
    "workload_rows",
]

Obj = dict[str, Any]
GPU_KEYS = ("nvidia.com/gpu", "amd.com/gpu")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    out: Obj = {"name": meta.get("name"), "labels": meta.get("labels") or {}}
    if meta.get("namespace"):
        out["namespace"] = meta["namespace"]
    owners = [
        {"kind": o.get("kind"), "name": o.get("name"), "controller": o.get("controller")}
        for o in meta.get("ownerReferences") or []
    ]
    if owners:
        out["ownerReferences"] = owners
    if meta.get("creationTimestamp"):
        out["creationTimestamp"] = meta["creationTimestamp"]
    return out


def _containers(spec: Obj | None) -> list[Obj]:
    return [
        {"name": c.get("name"), "resources": c.get("resources") or {}}
        for c in (spec or {}).get("containers") or []
    ]


def trim(obj: Obj) -> Obj:
    """What a snapshot keeps of an object: identity, owners, resources, scaling, status."""
    kind = obj.get("kind", "")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    out: Obj = {"kind": kind, "metadata": _meta(obj)}
    if kind == "Node":
        out["spec"] = {
            "providerID": spec.get("providerID"),
            "unschedulable": bool(spec.get("unschedulable")),
        }
        out["status"] = {
            "capacity": status.get("capacity") or {},
            "allocatable": status.get("allocatable") or {},
            "ready": _ready(status),
        }
    elif kind == "Pod":
        out["spec"] = {"nodeName": spec.get("nodeName"), "containers": _containers(spec)}
        out["status"] = {"phase": status.get("phase")}
    elif kind in {"Deployment", "StatefulSet", "DaemonSet"}:
        template = (spec.get("template") or {}).get("spec")
        out["spec"] = {
            "replicas": spec.get("replicas"),
            "template": {"spec": {"containers": _containers(template)}},
        }
        out["status"] = {
            k: status.get(k)
            for k in ("replicas", "readyReplicas", "desiredNumberScheduled", "numberReady")
            if status.get(k) is not None
        }
    elif kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        out["spec"] = {
            "schedule": spec.get("schedule"),
            "suspend": bool(spec.get("suspend")),
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": _containers(template.get("spec"))}}}
            },
        }
    elif kind == "Job":
        template = (spec.get("template") or {}).get("spec")
        out["spec"] = {"template": {"spec": {"containers": _containers(template)}}}
        out["status"] = {
            k: status.get(k) for k in ("active", "succeeded", "failed") if status.get(k) is not None
        }
    elif kind == "HorizontalPodAutoscaler":
        out["spec"] = {
            k: spec.get(k)
            for k in ("scaleTargetRef", "minReplicas", "maxReplicas", "metrics")
            if k in spec
        }
        out["status"] = {
            k: status.get(k)
            for k in ("currentReplicas", "desiredReplicas")
            if status.get(k) is not None
        }
    elif kind == "Namespace":
        out["status"] = {"phase": status.get("phase")}
    return out


def _q(value: Any) -> Decimal:
    return Decimal(0) if value in (None, "") else Decimal(parse_quantity(str(value)))


def resources(containers: Iterable[Obj]) -> Obj:
    """Summed requests and limits: cores, bytes and GPUs (absent values count as 0)."""
    total: defaultdict[str, Decimal] = defaultdict(Decimal)
    for c in containers:
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            values = res.get(part) or {}
            total[f"cpu_{part}"] += _q(values.get("cpu"))
            total[f"memory_{part}"] += _q(values.get("memory"))
            total[f"gpu_{part}"] += sum((_q(values.get(k)) for k in GPU_KEYS), Decimal(0))
    return {
        "cpu_request_cores": float(total["cpu_requests"]),
        "cpu_limit_cores": float(total["cpu_limits"]),
        "memory_request_bytes": int(total["memory_requests"]),
        "memory_limit_bytes": int(total["memory_limits"]),
        "gpu_request": float(total["gpu_requests"]),
    }


def capacity_type(labels: dict[str, str]) -> str:
    """on-demand | spot, from the labels Karpenter, EKS, GKE and AKS put on nodes."""
    value = (
        labels.get("karpenter.sh/capacity-type")
        or labels.get("eks.amazonaws.com/capacityType")
        or labels.get("node.kubernetes.io/capacity-type")
        or ""
    ).lower()
    if (
        value in {"spot", "preemptible"}
        or labels.get("cloud.google.com/gke-spot") == "true"
        or labels.get("cloud.google.com/gke-preemptible") == "true"
        or labels.get("kubernetes.azure.com/scalesetpriority") == "spot"
    ):
        return "spot"
    return "on-demand"


def owner_index(objects: Iterable[Obj]) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(namespace, kind, name) -> controlling owner (kind, name), for ReplicaSets and Jobs."""
    index: dict[tuple[str, str, str], tuple[str, str]] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller", True):
                key = (meta.get("namespace", ""), obj.get("kind", ""), meta.get("name", ""))
                index[key] = (ref["kind"], ref["name"])
                break
    return index


def controller_of(
    pod: Obj, index: dict[tuple[str, str, str], tuple[str, str]]
) -> tuple[str, str] | None:
    """The pod's workload: ReplicaSet → Deployment and Job → CronJob rolled up; None if bare."""
    meta = pod.get("metadata") or {}
    refs = [r for r in meta.get("ownerReferences") or [] if r.get("controller", True)]
    if not refs:
        return None
    kind, name = refs[0]["kind"], refs[0]["name"]
    ns = meta.get("namespace", "")
    for _ in range(3):
        parent = index.get((ns, kind, name))
        if parent is None or kind not in {"ReplicaSet", "Job"}:
            break
        kind, name = parent
    return kind, name


def _gib(n: int) -> float:
    return round(n / 1024**3, 3)


def node_rows(nodes: list[Obj], pods: list[Obj]) -> list[Obj]:
    by_node: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in {"Running", "Pending"}:
            by_node[(pod.get("spec") or {}).get("nodeName") or ""].append(pod)
    rows = []
    for node in nodes:
        meta, status = node.get("metadata") or {}, node.get("status") or {}
        labels = meta.get("labels") or {}
        cap, alloc = status.get("capacity") or {}, status.get("allocatable") or {}
        placed = by_node.get(meta.get("name", ""), [])
        req = resources(c for p in placed for c in (p.get("spec") or {}).get("containers") or [])
        cpu_alloc = float(_q(alloc.get("cpu")))
        mem_alloc = int(_q(alloc.get("memory")))
        rows.append(
            {
                "name": meta.get("name"),
                "instance_type": labels.get("node.kubernetes.io/instance-type")
                or labels.get("beta.kubernetes.io/instance-type"),
                "zone": labels.get("topology.kubernetes.io/zone"),
                "capacity_type": capacity_type(labels),
                "provider_id": (node.get("spec") or {}).get("providerID"),
                "ready": _ready(status),
                "capacity": {
                    "cpu_cores": float(_q(cap.get("cpu"))),
                    "memory_gib": _gib(int(_q(cap.get("memory")))),
                    "gpus": float(sum((_q(cap.get(k)) for k in GPU_KEYS), Decimal(0))),
                },
                "allocatable": {
                    "cpu_cores": cpu_alloc,
                    "memory_gib": _gib(mem_alloc),
                    "gpus": float(sum((_q(alloc.get(k)) for k in GPU_KEYS), Decimal(0))),
                },
                "pods": len(placed),
                "requested": {
                    "cpu_cores": round(req["cpu_request_cores"], 4),
                    "memory_gib": _gib(req["memory_request_bytes"]),
                    "gpus": req["gpu_request"],
                },
                "cpu_requested_pct": round(100 * req["cpu_request_cores"] / cpu_alloc, 1)
                if cpu_alloc
                else None,
                "memory_requested_pct": round(100 * req["memory_request_bytes"] / mem_alloc, 1)
                if mem_alloc
                else None,
            }
        )
    return sorted(rows, key=lambda r: r["name"] or "")


def _ready(status: Obj) -> bool | None:
    if "ready" in status:
        return status["ready"]  # type: ignore[no-any-return]
    ready = [c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    return (ready[0] == "True") if ready else None


def pod_rows(pods: list[Obj], index: dict[tuple[str, str, str], tuple[str, str]]) -> list[Obj]:
    rows = []
    for pod in pods:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        owner = controller_of(pod, index)
        containers = spec.get("containers") or []
        rows.append(
            {
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "node": spec.get("nodeName"),
                "phase": (pod.get("status") or {}).get("phase"),
                "controller": {"kind": owner[0], "name": owner[1]} if owner else None,
                "containers": [{"name": c.get("name"), **resources([c])} for c in containers],
                **resources(containers),
            }
        )
    return sorted(rows, key=lambda r: (r["namespace"] or "", r["name"] or ""))


def _template_containers(obj: Obj) -> list[Obj]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return list(((spec.get("template") or {}).get("spec") or {}).get("containers") or [])


def workload_rows(
    controllers: list[Obj],
    pods: list[Obj],
    hpas: list[Obj],
    index: dict[tuple[str, str, str], tuple[str, str]],
) -> list[Obj]:
    """Deployments, StatefulSets, DaemonSets, CronJobs and standalone Jobs with their pods."""
    pods_of: dict[tuple[str, str, str], list[Obj]] = defaultdict(list)
    for pod in pods:
        owner = controller_of(pod, index)
        if owner and (pod.get("status") or {}).get("phase") in {"Running", "Pending"}:
            pods_of[((pod.get("metadata") or {}).get("namespace", ""), *owner)].append(pod)
    hpa_of = {(h["namespace"], h["target"]["kind"], h["target"]["name"]): h for h in hpa_rows(hpas)}
    rows = []
    for obj in controllers:
        kind = obj.get("kind", "")
        meta = obj.get("metadata") or {}
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        if kind not in WORKLOAD_KINDS or (kind == "Job" and (ns, "Job", name) in index):
            continue
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        current = pods_of.get((ns, kind, name), [])
        hpa = hpa_of.get((ns, kind, name))
        rows.append(
            {
                "namespace": ns,
                "kind": kind,
                "name": name,
                "desired_replicas": spec.get("replicas", status.get("desiredNumberScheduled")),
                "ready_replicas": status.get("readyReplicas", status.get("numberReady")),
                "pods_running": len(current),
                "per_pod_requests": resources(_template_containers(obj)),
                "total_requests": resources(
                    c for p in current for c in (p.get("spec") or {}).get("containers") or []
                ),
                "hpa": {k: hpa[k] for k in ("name", "min_replicas", "max_replicas", "metrics")}
                if hpa
                else None,
                **({"schedule": spec.get("schedule")} if kind == "CronJob" else {}),
            }
        )
    return sorted(rows, key=lambda r: (r["namespace"], r["kind"], r["name"]))


def hpa_rows(hpas: list[Obj]) -> list[Obj]:
    rows = []
    for h in hpas:
        meta, spec, status = h.get("metadata") or {}, h.get("spec") or {}, h.get("status") or {}
        target = spec.get("scaleTargetRef") or {}
        metrics = []
        for m in spec.get("metrics") or []:
            if m.get("type") == "Resource":
                res = m.get("resource") or {}
                tgt = res.get("target") or {}
                metrics.append(
                    {
                        "resource": res.get("name"),
                        "target_utilization_pct": tgt.get("averageUtilization"),
                        "target_value": tgt.get("averageValue") or tgt.get("value"),
                    }
                )
            else:
                metrics.append({"type": m.get("type")})
        rows.append(
            {
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "target": {"kind": target.get("kind"), "name": target.get("name")},
                "min_replicas": spec.get("minReplicas", 1),
                "max_replicas": spec.get("maxReplicas"),
                "current_replicas": status.get("currentReplicas"),
                "desired_replicas": status.get("desiredReplicas"),
                "metrics": metrics,
            }
        )
    return sorted(rows, key=lambda r: (r["namespace"] or "", r["name"] or ""))


def namespace_rows(namespaces: list[Obj], pods: list[Obj]) -> list[Obj]:
    live = [p for p in pods if (p.get("status") or {}).get("phase") in {"Running", "Pending"}]
    rows = []
    for ns in namespaces:
        meta = ns.get("metadata") or {}
        name = meta.get("name")
        mine = [p for p in live if (p.get("metadata") or {}).get("namespace") == name]
        req = resources(c for p in mine for c in (p.get("spec") or {}).get("containers") or [])
        rows.append(
            {
                "name": name,
                "labels": meta.get("labels") or {},
                "team": (meta.get("labels") or {}).get("team"),
                "pods_running": len(mine),
                **req,
            }
        )
    return sorted(rows, key=lambda r: r["name"] or "")


def summary(
    nodes: list[Obj],
    pods: list[Obj],
    workloads: list[Obj],
    hpas: list[Obj],
    namespaces: list[Obj],
    *,
    include_nodes: bool,
) -> Obj:
    live = [p for p in pods if (p.get("status") or {}).get("phase") in {"Running", "Pending"}]
    req = resources(c for p in live for c in (p.get("spec") or {}).get("containers") or [])
    out: Obj = {
        "namespaces": len(namespaces),
        "pods_running": len(live),
        "workloads": len(workloads),
        "hpas": len(hpas),
        "requested": {
            "cpu_cores": round(req["cpu_request_cores"], 4),
            "memory_gib": _gib(req["memory_request_bytes"]),
            "gpus": req["gpu_request"],
        },
    }
    if include_nodes:
        rows = node_rows(nodes, pods)
        alloc_cpu = sum(r["allocatable"]["cpu_cores"] for r in rows)
        alloc_mem = sum(r["allocatable"]["memory_gib"] for r in rows)
        by_type: dict[str, int] = defaultdict(int)
        for r in rows:
            by_type[r["capacity_type"]] += 1
        out["nodes"] = {
            "count": len(rows),
            "by_capacity_type": dict(sorted(by_type.items())),
            "allocatable": {
                "cpu_cores": round(alloc_cpu, 4),
                "memory_gib": round(alloc_mem, 3),
                "gpus": sum(r["allocatable"]["gpus"] for r in rows),
            },
        }
        out["cpu_requested_pct"] = (
            round(100 * req["cpu_request_cores"] / alloc_cpu, 1) if alloc_cpu else None
        )
        out["memory_requested_pct"] = (
            round(100 * _gib(req["memory_request_bytes"]) / alloc_mem, 1) if alloc_mem else None
        )
    return out
