"""cluster_state: nodes, pods, workloads, HPAs and namespaces, live or from the latest snapshot."""

from __future__ import annotations

from assistant.capabilities.cluster import ClusterStateRequest
from assistant.capabilities.cluster import cluster_state as run_cluster_state
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "cluster_state"]

Args = ClusterStateRequest


@tool("cluster_state", Args, capability=run_cluster_state)
def cluster_state(args: Args, ctx: ToolContext) -> ToolResult:
    """Current Kubernetes state: nodes (capacity, allocatable, spot or on-demand, how much is
    requested), pods (CPU/memory/GPU requests and limits per container, node, owning
    Deployment/StatefulSet/CronJob), workloads (replicas, per-pod and total requests, HPA),
    HPAs, namespaces, or a cluster summary. Reads the live Kubernetes API and falls back to
    stored state: the latest snapshot or the latest ingested hour of Prometheus inventory,
    whichever is fresher; provenance.source says which ('kubernetes-api', 'snapshot' or
    'warehouse' for the inventory) and provenance.freshness how current it is. Quantities:
    CPU in cores, memory in bytes or GiB as named. No costs here: use query_costs for money.
    Results are limited to the namespaces you may see; nodes are cluster-wide, admin-only."""
    return ToolResult.of(run_cluster_state(args, ctx))
