"""budget_status: each configured budget's spend, forecast and what remains."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.budgets import budget_status as run_budget_status
from assistant.warehouse.db import reader
from tools.cost_forecast import month_or_next
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "budget_status"]


class Args(BaseModel):
    month: str = Field(
        "this-month", description="'this-month' (default), 'last-month' or 'YYYY-MM'."
    )
    budgets: list[str] = Field(
        default_factory=list,
        description="Only these budgets, by name or scope ('total', 'team:payments', "
        "'namespace:search'); empty = every budget the asker may see.",
    )


@tool("budget_status", Args)
def budget_status(args: Args, ctx: ToolContext) -> ToolResult:
    """Are we over budget? For each monthly budget configured in settings (`budgets:` the
    whole bill, a team or a namespace): the amount, what was spent (amortized, month to
    date or the whole month), what remains, the forecast for the month with its method and
    range, what would remain after the forecast, and a verdict (over, forecast over,
    within). A month that is over is judged on its actual. A team-scoped asker sees only
    its own budgets. With no budgets configured, says so and how to add one."""
    month = month_or_next(args.month, ctx)
    if not ctx.settings.budgets:
        return ToolResult.no_data(
            "No budgets are configured. Add them to the settings file, e.g. "
            "`budgets: [{scope: total, monthly: 30000}, {scope: 'team:payments', monthly: "
            "500}]` (docs/settings.md)."
        )
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(f"No warehouse at {ctx.settings.db_path}: run `penny demo`.")
    with reader(ctx.settings) as con:
        report = run_budget_status(
            con, month=month, settings=ctx.settings, scope=ctx.scope, names=args.budgets
        )
    if not report.budgets:
        what = ", ".join(args.budgets) if args.budgets else "any budget"
        return ToolResult.no_data(
            f"No budget matching {what} that you may see ({report.configured} configured)."
        )
    return ToolResult.success(
        report.model_dump(mode="python", exclude={"provenance"}), report.provenance
    )
