"""cost_trend: allocated cost per day, ISO week or month, optionally split or compared."""

from __future__ import annotations

from assistant.capabilities.trend import TrendRequest, trend
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "cost_trend"]

Args = TrendRequest


@tool("cost_trend", Args, capability=trend)
def cost_trend(args: Args, ctx: ToolContext) -> ToolResult:
    """Allocated Kubernetes cost over time: one value per day, ISO week (Monday start) or
    month in UTC for a window, optionally filtered (e.g. one team or namespace), optionally
    split by one dimension (largest groups plus 'others', idle and unallocated separate), or
    compared with a second entity (`versus`: both series and their difference per bucket).
    Every bucket of the window is listed (no cost = 0); buckets the window only partly covers
    are flagged `partial`. Also returns the window total (equal to query_costs' total for the
    same window and filters when nothing is shared) and trend facts to quote: first and last
    bucket, cheapest and most expensive bucket, average, change first to last (amount and
    percent, over complete buckets), and for daily series the weekday with the highest
    average cost. Money is exact decimal strings. A team-scoped asker sees only its own
    workloads. Use it for 'daily/weekly cost', 'trend', 'over time' questions."""
    return ToolResult.of(trend(args, ctx))
