"""budget_status: each configured budget's spend, forecast and what remains."""

from __future__ import annotations

from assistant.capabilities.forecast import BudgetRequest
from assistant.capabilities.forecast import budget_status as run_budget_status
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "budget_status"]

Args = BudgetRequest


@tool("budget_status", Args, capability=run_budget_status)
def budget_status(args: Args, ctx: ToolContext) -> ToolResult:
    """Are we over budget? For each monthly budget configured in settings (`budgets:` the
    whole bill, a team or a namespace): the amount, what was spent (amortized, month to
    date or the whole month), what remains, the forecast for the month with its method and
    range, what would remain after the forecast, and a verdict (over, forecast over,
    within). A month that is over is judged on its actual. A team-scoped asker sees only
    its own budgets. With no budgets configured, says so and how to add one."""
    return ToolResult.of(run_budget_status(args, ctx))
