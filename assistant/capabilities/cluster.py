"""Cluster state: ``cluster_state(request, ctx)`` — nodes, pods, workloads, HPAs, namespaces.

Live from the Kubernetes API, else the fresher of the latest snapshot and the latest
ingested hour of Prometheus inventory; provenance says which. Namespaces are limited to
what the asker may see; nodes are cluster-wide and admin-only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.errors import DataGap, Forbidden, NotFound, SourceAuthError, SourceUnavailable
from assistant.knowledge.names import visible_namespaces
from assistant.knowledge.resolve import closest_names
from assistant.kube import shape
from assistant.kube.client import connect, list_objects
from assistant.kube.inventory import inventory_clusters, inventory_objects
from assistant.kube.snapshot import latest_snapshot, snapshot_objects
from assistant.warehouse.db import reader

__all__ = ["ClusterStateReport", "ClusterStateRequest", "cluster_state"]

Kind = Literal["nodes", "pods", "workloads", "hpas", "namespaces", "summary"]

_NEEDS: dict[str, list[str]] = {
    "nodes": ["Node", "Pod"],
    "pods": ["Pod", "ReplicaSet", "Job"],
    "workloads": [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "CronJob",
        "Job",
        "ReplicaSet",
        "Pod",
        "HorizontalPodAutoscaler",
    ],
    "hpas": ["HorizontalPodAutoscaler"],
    "namespaces": ["Namespace", "Pod"],
    "summary": [
        "Namespace",
        "Node",
        "Pod",
        "ReplicaSet",
        "Job",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "CronJob",
        "HorizontalPodAutoscaler",
    ],
}


class ClusterStateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(
        "summary",
        description="What to list: 'nodes' (capacity, allocatable, spot/on-demand, requested %), "
        "'pods' (requests/limits per container, node, owning workload), 'workloads' "
        "(Deployments/StatefulSets/DaemonSets/CronJobs with replicas, requests and HPA), "
        "'hpas', 'namespaces', or 'summary' (cluster totals).",
    )
    namespace: str | None = Field(
        None, description="Only this namespace (exact name). Omit for all you may see."
    )
    name: str | None = Field(
        None, description="Only objects whose name contains this text (e.g. a workload name)."
    )
    source: Literal["auto", "live", "snapshot", "inventory"] = Field(
        "auto",
        description="'live' = Kubernetes API now; 'snapshot' = the latest stored "
        "snapshot (penny snapshot); 'inventory' = the latest ingested hour of Prometheus "
        "kube-state-metrics data; 'auto' = live, else the fresher of snapshot and inventory.",
    )
    cluster: str | None = Field(
        None,
        description="Cluster name, for stored state only (snapshot/inventory); default "
        "the most recently seen cluster.",
    )
    top_n: int = Field(50, ge=1, le=500, description="Maximum rows returned (largest first).")


def _label_keys(ctx: Ctx) -> list[str]:
    keys = [
        s.split(":", 1)[1]
        for s in ctx.settings.allocation.labels.team
        if s.startswith("namespace:")
    ]
    return keys or ["team"]


def _warehouse_visible(ctx: Ctx) -> set[str] | None:
    if ctx.scope.admin:
        return None
    if not ctx.settings.db_path.exists():
        return set(ctx.scope.namespaces)
    with reader(ctx.settings) as con:
        found = visible_namespaces(con, ctx.scope) or set()
        if ctx.scope.teams:
            marks = ", ".join("?" for _ in ctx.scope.teams)
            for key in _label_keys(ctx):
                path = f'$.metadata.labels."{key}"'
                rows = con.execute(
                    f"SELECT DISTINCT name FROM cluster_snapshots WHERE kind = 'Namespace' "
                    f"AND json_extract_string(object, ?) IN ({marks})",
                    [path, *ctx.scope.teams],
                ).fetchall()
                found.update(r[0] for r in rows)
    return found


def _live(
    ctx: Ctx, kinds: list[str], visible: set[str] | None, namespace: str | None
) -> tuple[dict[str, list[dict[str, Any]]], str, set[str] | None]:
    session = connect(ctx.settings)
    all_ns = list_objects(session, "Namespace")
    if visible is not None and ctx.scope.teams:
        keys = _label_keys(ctx)
        visible = visible | {
            n["metadata"]["name"]
            for n in all_ns
            if any((n["metadata"].get("labels") or {}).get(k) in ctx.scope.teams for k in keys)
        }
    targets = [namespace] if namespace else (sorted(visible) if visible is not None else None)
    objects: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        if kind == "Namespace":
            objects[kind] = [
                n for n in all_ns if targets is None or n["metadata"]["name"] in targets
            ]
        elif kind == "Node":
            objects[kind] = list_objects(session, kind) if visible is None else []
        else:
            objects[kind] = list_objects(session, kind, targets) if targets != [] else []
    known = {n["metadata"]["name"] for n in all_ns}
    return objects, session.cluster, known


def _rows(kind: str, objs: dict[str, list[dict[str, Any]]], admin: bool) -> Any:
    controllers = [
        o
        for k in ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job")
        for o in objs.get(k, [])
    ]
    index = shape.owner_index(objs.get("ReplicaSet", []) + objs.get("Job", []))
    pods, hpas = objs.get("Pod", []), objs.get("HorizontalPodAutoscaler", [])
    if kind == "nodes":
        return shape.node_rows(objs.get("Node", []), pods)
    if kind == "pods":
        return sorted(shape.pod_rows(pods, index), key=lambda r: -r["cpu_request_cores"])
    if kind == "workloads":
        rows = shape.workload_rows(controllers, pods, hpas, index)
        return sorted(rows, key=lambda r: -r["total_requests"]["cpu_request_cores"])
    if kind == "hpas":
        return shape.hpa_rows(hpas)
    if kind == "namespaces":
        return sorted(
            shape.namespace_rows(objs.get("Namespace", []), pods),
            key=lambda r: -r["cpu_request_cores"],
        )
    workloads = shape.workload_rows(controllers, pods, hpas, index)
    return shape.summary(
        objs.get("Node", []), pods, workloads, hpas, objs.get("Namespace", []), include_nodes=admin
    )


def _matches(row: dict[str, Any], args: ClusterStateRequest) -> bool:
    if (
        args.namespace
        and args.kind != "nodes"
        and row.get("namespace", row.get("name")) != args.namespace
    ):
        return False
    return not (args.name and args.name.lower() not in str(row.get("name", "")).lower())


def _stored(
    ctx: Ctx,
    args: ClusterStateRequest,
    kinds: list[str],
    visible: set[str] | None,
    prov: Provenance,
    notes: list[str],
) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    """Objects from the latest snapshot or the Prometheus inventory, whichever is fresher."""
    if not ctx.settings.db_path.exists():
        raise DataGap(
            "No stored cluster state: the warehouse does not exist yet.",
            hint="Run `penny snapshot` with a kubeconfig or `penny ingest prometheus`, or fix "
            "the API connection.",
            provenance=Provenance(source="snapshot", notes=notes),
        )
    ns_filter = {args.namespace} if args.namespace else visible
    with reader(ctx.settings) as con:
        info = latest_snapshot(con, args.cluster) if args.source != "inventory" else None
        inv = (
            [c for c in inventory_clusters(con) if args.cluster in (None, c[0])]
            if args.source != "snapshot"
            else []
        )
        use_inventory = bool(inv) and (
            info is None or inv[0][1] + timedelta(hours=1) > info.taken_at
        )
        if use_inventory:
            cluster, hour = inv[0]
            objects = inventory_objects(con, cluster, hour, kinds, ns_filter)
            known = {
                r[0]
                for r in con.execute(
                    "SELECT namespace FROM k8s_namespaces WHERE cluster = ?", [cluster]
                ).fetchall()
            }
            prov.source = "warehouse"
            prov.tables = [
                "container_hours",
                "k8s_pods",
                "node_hours",
                "k8s_nodes",
                "k8s_hpas",
                "k8s_namespaces",
            ]
            prov.freshness = (hour + timedelta(hours=1)).isoformat() + "Z"
            prov.filters["cluster"] = cluster
            notes.append(
                f"cluster {cluster}: Prometheus inventory for the hour starting "
                f"{hour.isoformat()}Z (allocatable = capacity; desired replicas "
                "unknown; controllers listed only with running pods)"
            )
            others = [c for c, _ in inv[1:]]
            if others:
                notes.append(
                    f"other clusters with inventory: {', '.join(others)} (pass cluster=NAME)"
                )
            return objects, known
        if info is None:
            where = f" for cluster {args.cluster!r}" if args.cluster else ""
            raise DataGap(
                f"No stored cluster state{where}: no snapshot and no Prometheus inventory.",
                hint="Run `penny snapshot` (needs a kubeconfig) or `penny ingest prometheus`.",
                provenance=Provenance(source="snapshot", tables=["cluster_snapshots"], notes=notes),
            )
        objects = snapshot_objects(con, info.snapshot_id, kinds, ns_filter)
        known = {
            r[0]
            for r in con.execute(
                "SELECT name FROM cluster_snapshots WHERE snapshot_id = ? AND kind = 'Namespace'",
                [info.snapshot_id],
            ).fetchall()
        }
    prov.source = "snapshot"
    prov.tables = ["cluster_snapshots"]
    prov.freshness = info.taken_at.isoformat() + "Z"
    notes.append(f"cluster {info.cluster}, snapshot {info.snapshot_id} taken {prov.freshness}")
    return objects, known


class ClusterStateReport(BaseModel):
    """``summary``: the cluster totals as extra fields; otherwise ``items`` and counts."""

    model_config = ConfigDict(extra="allow")

    kind: str
    source: str
    provenance: Provenance


def cluster_state(args: ClusterStateRequest, ctx: Ctx) -> ClusterStateReport:
    """Rows of one kind within the asker's scope, from the freshest source that answers."""
    admin = ctx.scope.admin
    if args.kind == "nodes" and not admin:
        raise Forbidden(
            "Nodes are cluster-wide and your scope covers only some namespaces.",
            hint="Ask for kind='pods', 'workloads', 'namespaces' or 'summary' instead.",
        )
    visible = _warehouse_visible(ctx)
    if args.namespace and visible is not None and args.namespace not in visible:
        near = closest_names(args.namespace, visible)
        raise NotFound(
            f"Namespace {args.namespace!r} is not one you may see.",
            hint=(f"Did you mean: {', '.join(near)}? " if near else "")
            + f"Your namespaces: {', '.join(sorted(visible)) or 'none'}.",
            namespace=args.namespace,
        )
    kinds = _NEEDS[args.kind]
    notes: list[str] = []
    prov = Provenance(
        filters={k: v for k, v in (("namespace", args.namespace), ("name", args.name)) if v},
        group_by=args.kind,
    )
    objects: dict[str, list[dict[str, Any]]] | None = None
    known: set[str] | None = None
    if args.source in {"auto", "live"}:
        try:
            objects, cluster, known = _live(ctx, kinds, visible, args.namespace)
            prov.source = "kubernetes-api"
            now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
            prov.freshness = now.isoformat() + "Z"
            notes.append(f"cluster {cluster} (live)")
        except (SourceUnavailable, SourceAuthError) as exc:
            if args.source == "live":
                raise type(exc)(
                    exc.message,
                    hint="Retry with source='snapshot' (latest stored snapshot) or "
                    "source='inventory' (latest hour of Prometheus inventory).",
                ) from exc
            notes.append(f"Kubernetes API unavailable ({exc.message}); used stored state.")
    if objects is None:
        objects, known = _stored(ctx, args, kinds, visible, prov, notes)
    if args.namespace and known and args.namespace not in known:
        pool = known if visible is None else known & visible
        near = closest_names(args.namespace, pool)
        raise NotFound(
            f"No namespace {args.namespace!r} in the cluster.",
            hint=(
                f"Did you mean: {', '.join(near)}?"
                if near
                else f"Known namespaces: {', '.join(sorted(pool)[:20])}."
            ),
            namespace=args.namespace,
        )
    prov.notes = notes
    rows = _rows(args.kind, objects, admin)
    if args.kind == "summary":
        prov.row_count = 1
        return ClusterStateReport(kind="summary", source=prov.source, **rows, provenance=prov)
    rows = [r for r in rows if _matches(r, args)]
    shown = rows[: args.top_n]
    prov.row_count = len(shown)
    prov.truncated = len(rows) > len(shown)
    if not rows:
        what = f" matching {args.name!r}" if args.name else ""
        where = f" in namespace {args.namespace!r}" if args.namespace else ""
        raise DataGap(f"No {args.kind}{what}{where} ({prov.source}).", provenance=prov)
    return ClusterStateReport(
        kind=args.kind,
        source=prov.source,
        items=shown,
        total=len(rows),
        shown=len(shown),
        more=len(rows) - len(shown),
        provenance=prov,
    )
