"""cost_forecast: a month's cost so far plus the forecast, for everything, a team or a ns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.billing.explain import parse_month
from assistant.billing.forecast import cost_forecast as run_cost_forecast
from assistant.errors import DataGap
from assistant.warehouse.db import reader
from assistant.windows import Window, month_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "cost_forecast", "month_or_next"]


def month_or_next(text: str, ctx: ToolContext, name: str = "month") -> Window:
    """'YYYY-MM', 'last-month', 'this-month' or 'next-month' as a calendar month."""
    if text.strip().lower() == "next-month":
        this = month_window(ctx.now.year, ctx.now.month)
        return month_window(this.end.year, this.end.month)
    return parse_month(text, ctx.now, name)


class Args(BaseModel):
    month: str = Field(
        "this-month",
        description="'this-month' (default), 'next-month', 'last-month' or 'YYYY-MM'.",
    )
    team: str | None = Field(None, description="Only this team's workloads (exact name).")
    namespace: str | None = Field(None, description="Only this namespace (exact name).")


@tool("cost_forecast", Args)
def cost_forecast(args: Args, ctx: ToolContext) -> ToolResult:
    """How much a month will cost: month-to-date actual (amortized) plus a forecast for the
    whole month, with its method (month to date + the mean daily cost of the last 7
    complete days × days left) and a range (the cheapest and dearest of those days as the
    rate), for everything the asker may see, one team or one namespace. The same forecast
    `penny bill this-month` shows. A month that is over returns its actual and no forecast;
    a month that has not started is projected from the run rate. Says where the data ends,
    so month-to-date is never mistaken for a whole month."""
    month = month_or_next(args.month, ctx)
    filters = {k: v for k, v in (("team", args.team), ("namespace", args.namespace)) if v}
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(f"No warehouse at {ctx.settings.db_path}: run `penny demo`.")
    try:
        with reader(ctx.settings) as con:
            from tools.query_costs import check_filters

            problem = check_filters(con, filters, ctx.scope, ctx.settings)
            if problem:
                return ToolResult.failure(problem)
            report = run_cost_forecast(
                con, month, settings=ctx.settings, scope=ctx.scope, filters=filters
            )
    except DataGap as exc:
        return ToolResult.no_data(str(exc))
    return ToolResult.success(
        report.model_dump(mode="python", exclude={"provenance"}), report.provenance
    )
