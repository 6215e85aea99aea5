"""review_change: the monthly cost of a Kubernetes manifest change, from manifest text."""

from __future__ import annotations

from assistant.capabilities.review import ReviewRequest
from assistant.capabilities.review import review_change as run_review
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "review_change"]

Args = ReviewRequest


@tool("review_change", Args, capability=run_review)
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
    return ToolResult.of(run_review(args, ctx))
