"""review_change: the monthly cost of a Kubernetes manifest change, from manifest text."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.review.run import DEFAULT_WINDOW, review_sets
from assistant.review.workloads import parse_manifests
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "review_change"]

MAX_TEXT = 200_000


class Args(BaseModel):
    base: str = Field(
        "",
        max_length=MAX_TEXT,
        description="Rendered Kubernetes YAML before the change (multi-document allowed; "
        "'' when every workload is new). Helm/Kustomize sources must be rendered first.",
    )
    head: str = Field(
        ...,
        max_length=MAX_TEXT,
        description="Rendered Kubernetes YAML after the change ('' when every workload is "
        "removed).",
    )
    cluster: str | None = Field(
        None,
        description="Cluster the change goes to; default: the only cluster, or the one "
        "holding the manifests' namespaces.",
    )
    namespace: str = Field(
        "default", description="Namespace for documents without metadata.namespace."
    )
    window: str = Field(
        DEFAULT_WINDOW,
        description="Price window: '30d' = the 30 days before "
        "the latest allocated hour; also YYYY-MM or START..END.",
    )


@tool("review_change", Args)
def review_change(args: Args, ctx: ToolContext) -> ToolResult:
    """Price a change to Kubernetes workloads (what `penny review` does for a pull request):
    give the rendered YAML before (`base`) and after (`head`). Workloads (Deployment,
    StatefulSet, ReplicaSet, DaemonSet, Job, CronJob, Pod) are matched by kind, namespace and
    name; HPA documents give min/max replicas. Returns per changed workload the requests
    before/after (init containers by Kubernetes' effective-request rule), monthly cost per
    side at the cluster's capacity-weighted unit prices from the allocation (× 730 h), the
    monthly delta (low = HPA minimums, high = maximums), GPU changes flagged, today's
    allocated cost for workloads already running, and the assumptions. Jobs the warehouse
    has not seen are priced per run-hour. Money is strings in dollars."""
    settings = ctx.settings
    if not settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo`, or ingest and `penny allocate` first."
        )
    base = parse_manifests([("base", args.base)], namespace=args.namespace)
    head = parse_manifests([("head", args.head)], namespace=args.namespace)
    review = review_sets(
        base, head, settings=settings, cluster=args.cluster, window=args.window, scope=ctx.scope
    )
    prov = Provenance(
        tables=[
            "node_cost_hours",
            "node_hours",
            "k8s_nodes",
            "allocations",
            "container_hours",
            "k8s_pods",
        ],
        window=review.prices.window.to_dict(),
        currency=settings.currency,
        filters={"cluster": review.prices.cluster},
        row_count=len(review.changes),
        notes=["requests-based estimate; monthly = hourly × 730 h"],
    )
    if not ctx.scope.admin:
        prov.notes.append("allocated cost shown only for workloads in the asker's scope")
    return ToolResult.success(review.to_dict(), prov)
