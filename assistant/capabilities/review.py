"""The monthly cost of a Kubernetes manifest change: ``review_change(request, ctx)``.

`penny review` (files) and the `review_change` tool (YAML text) both price the change
here, at the cluster's allocation unit prices; observed cost is shown only for workloads
in the asker's scope.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.common import NO_WAREHOUSE_HINT
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.errors import DataGap
from assistant.review.run import DEFAULT_WINDOW, review_sets
from assistant.review.workloads import parse_manifests

__all__ = ["ReviewReport", "ReviewRequest", "review_change"]

MAX_TEXT = 200_000


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class ReviewReport(BaseModel):
    """The review's fields (changes, totals, prices, assumptions), flat."""

    model_config = ConfigDict(extra="allow")

    provenance: Provenance


def review_change(args: ReviewRequest, ctx: Ctx) -> ReviewReport:
    """Per changed workload: requests before/after, monthly cost per side and the delta."""
    settings = ctx.settings
    if not settings.db_path.exists():
        raise DataGap("There is no cost data yet (no warehouse).", hint=NO_WAREHOUSE_HINT)
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
    data: dict[str, Any] = review.to_dict()
    return ReviewReport(**data, provenance=prov)
