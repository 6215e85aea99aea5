"""query_costs: allocated cost for a period, grouped and filtered, within the asker's scope."""

from __future__ import annotations

from pydantic import Field

from assistant.capabilities.costs import CostsRequest, costs
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "query_costs"]


class Args(CostsRequest):
    top_n: int | None = Field(
        10,
        ge=1,
        le=200,
        description="Groups to list before folding the rest into one 'and N more' row "
        "(largest first).",
    )


@tool("query_costs", Args, capability=costs)
def query_costs(args: Args, ctx: ToolContext) -> ToolResult:
    """Allocated Kubernetes cost for a period (from the cloud bill, split per container-hour
    with OpenCost's method), grouped by namespace, team, app, env, cost_center, controller,
    pod, container, node, cluster, service or label:KEY, with optional exact-match filters.
    Returns rows largest first (CPU, RAM, GPU, storage, load-balancer, network, other, idle
    and shared cost, total, efficiency), an 'and N more' row when groups were folded, totals,
    which sharing was applied, the cost and share without a team label, and AI API spend
    beside it (not inside the bill). '__idle__' rows are unused node capacity,
    '__unallocated__' bill lines no workload explains. By node or cluster (for the whole
    organisation) each row is what that node or cluster cost on the bill, its own idle
    included (the asset view). Price-list estimates (nodes the bill never mentions) are in
    'estimates', never in the totals. Money is exact decimal strings in the currency given.
    A team-scoped asker sees only its own workloads."""
    return ToolResult.of(costs(args, ctx))
