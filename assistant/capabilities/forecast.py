"""What a month will cost, and budgets against it: ``cost_forecast`` and ``budget_status``.

The forecast is :func:`assistant.billing.forecast.cost_forecast` (the number `penny bill
this-month` shows) and budgets are :func:`assistant.budgets.budget_status`; this parses the
month as every door takes it ('next-month' too), checks a team or namespace against the
names the asker may see, and says plainly when no budget is configured.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from assistant.billing.explain import parse_month
from assistant.billing.forecast import ForecastReport
from assistant.billing.forecast import cost_forecast as run_forecast
from assistant.budgets import BudgetReport
from assistant.budgets import budget_status as run_budgets
from assistant.capabilities.common import check_filters, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.errors import DataGap
from assistant.windows import Window, month_window

__all__ = [
    "BudgetReport",
    "BudgetRequest",
    "ForecastReport",
    "ForecastRequest",
    "budget_status",
    "cost_forecast",
    "month_arg",
]

NO_BUDGETS = (
    "No budgets are configured. Add them to the settings file, e.g. `budgets: [{scope: "
    "total, monthly: 30000}, {scope: 'team:payments', monthly: 500}]` (docs/settings.md)."
)


def month_arg(text: str, now: datetime, name: str = "month") -> Window:
    """'YYYY-MM', 'last-month', 'this-month' or 'next-month' as a calendar month."""
    if text.strip().lower() == "next-month":
        this = month_window(now.year, now.month)
        return month_window(this.end.year, this.end.month)
    return parse_month(text, now, name)


class ForecastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(
        "this-month",
        description="'this-month' (default), 'next-month', 'last-month' or 'YYYY-MM'.",
    )
    team: str | None = Field(None, description="Only this team's workloads (exact name).")
    namespace: str | None = Field(None, description="Only this namespace (exact name).")


def cost_forecast(request: ForecastRequest, ctx: Ctx) -> ForecastReport:
    month = month_arg(request.month, ctx.now)
    filters = {k: v for k, v in (("team", request.team), ("namespace", request.namespace)) if v}
    with warehouse(ctx) as con:
        check_filters(con, ctx, filters)
        report = run_forecast(con, month, settings=ctx.settings, scope=ctx.scope, filters=filters)
        freshness(con).apply(report.provenance)
    return report


class BudgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(
        "this-month", description="'this-month' (default), 'last-month' or 'YYYY-MM'."
    )
    budgets: list[str] = Field(
        default_factory=list,
        description="Only these budgets, by name or scope ('total', 'team:payments', "
        "'namespace:search'); empty = every budget the asker may see.",
    )


def budget_status(request: BudgetRequest, ctx: Ctx) -> BudgetReport:
    """Every visible budget for the month; DataGap when none is configured or visible."""
    month = month_arg(request.month, ctx.now)
    if not ctx.settings.budgets:
        raise DataGap(NO_BUDGETS)
    with warehouse(ctx) as con:
        report = run_budgets(
            con, month=month, settings=ctx.settings, scope=ctx.scope, names=request.budgets
        )
        freshness(con).apply(report.provenance)
    if not report.budgets:
        what = ", ".join(request.budgets) if request.budgets else "any budget"
        raise DataGap(
            f"No budget matching {what} that you may see ({report.configured} configured).",
            hint="Ask without naming one to see every budget you may see.",
        )
    return report
