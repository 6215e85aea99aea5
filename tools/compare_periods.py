"""compare_periods: the cost change between two periods, decomposed by driver."""

from __future__ import annotations

from assistant.capabilities.bill import CompareRequest, compare
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "compare_periods"]

Args = CompareRequest


@tool("compare_periods", Args, capability=compare)
def compare_periods(args: Args, ctx: ToolContext) -> ToolResult:
    """Compare allocated cost between period `a` (baseline) and period `b` and explain the
    change: effects that add up exactly to it (days in period, usage growth, new and removed
    workloads, idle capacity, spot/on-demand/instance mix, commitment coverage, unit price
    changes, unallocated services such as control plane or NAT, credits, tax), the top
    drivers (workload, node SKU or bill service, with evidence: quantities, node-hours,
    SKUs), and the change per `by` group with before/after/percent. Amortized cost
    (EffectiveCost). A period with no data is reported as no_data, never as zero. A
    team-scoped asker sees only its own workloads."""
    return ToolResult.of(compare(args, ctx))
