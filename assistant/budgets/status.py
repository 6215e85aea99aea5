"""Spent, forecast and remaining for each configured budget in one month.

A budget's spend is the amortized allocation of its slice (the whole bill for ``total``:
workloads, idle and unallocated lines; a team's or a namespace's workloads otherwise),
and its forecast is :func:`assistant.billing.forecast.month_forecast` of the same slice,
the number ``penny bill this-month`` shows for the whole bill. A month that is over is
judged on its actual alone; a month in progress on both the actual and the forecast.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from assistant.billing.forecast import daily_totals, month_forecast
from assistant.billing.models import BudgetStatus, BudgetVerdict
from assistant.config import Budget, Settings
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["BudgetReport", "BudgetStatus", "budget_status", "visible_budgets"]

_ZERO = Decimal(0)


class BudgetReport(BaseModel):
    month: dict[str, str]
    covered: dict[str, str] | None  # the part of the month with data
    complete: bool  # the month is over: actuals only
    currency: str
    budgets: list[BudgetStatus]
    not_visible: int = 0  # configured budgets outside the asker's scope
    configured: int = 0
    provenance: Provenance = Field(default_factory=Provenance)


def visible_budgets(settings: Settings, scope: Scope) -> tuple[list[Budget], int]:
    """The budgets ``scope`` may see (total: admins; a team's or namespace's: theirs)."""
    shown: list[Budget] = []
    for b in settings.budgets:
        kind, _, name = b.scope.partition(":")
        if (
            scope.admin
            or (kind == "team" and name in scope.teams)
            or (kind == "namespace" and name in scope.namespaces)
        ):
            shown.append(b)
    return shown, len(settings.budgets) - len(shown)


def _filters(budget: Budget) -> dict[str, str]:
    kind, _, name = budget.scope.partition(":")
    return {} if budget.scope == "total" else {kind: name}


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole * 100).quantize(Decimal("0.01")) if whole else None


def _status(
    con: Connection, budget: Budget, month: Window, now: datetime, scope: Scope
) -> tuple[BudgetStatus, Window | None]:
    filters = _filters(budget)
    forecast, covered = month_forecast(con, month, now=now, scope=scope, filters=filters)
    spent = (
        sum((c for _, c in daily_totals(con, covered, scope, filters)), _ZERO)
        if covered is not None
        else None
    )
    if forecast is not None and covered is None:  # a month not started: nothing spent yet
        spent = _ZERO
    if spent is None:
        verdict: BudgetVerdict = "no data"
    elif spent > budget.monthly:
        verdict = "over"
    elif forecast is not None and forecast.forecast > budget.monthly:
        verdict = "forecast over"
    else:
        verdict = "within"
    return (
        BudgetStatus(
            name=budget.label,
            scope=budget.scope,
            monthly=budget.monthly,
            note=budget.note,
            spent=spent,
            remaining=None if spent is None else budget.monthly - spent,
            forecast=forecast,
            remaining_after_forecast=(
                None if forecast is None else budget.monthly - forecast.forecast
            ),
            spent_pct=None if spent is None else _pct(spent, budget.monthly),
            verdict=verdict,
        ),
        covered,
    )


def budget_status(
    con: Connection,
    *,
    month: Window,
    settings: Settings,
    scope: Scope,
    names: list[str] | None = None,
) -> BudgetReport:
    """Each visible budget (or those whose name or scope is in ``names``) for ``month``."""
    now = settings.current_time()
    shown, hidden = visible_budgets(settings, scope)
    if names:
        wanted = {n.lower() for n in names}
        shown = [b for b in shown if b.label.lower() in wanted or b.scope.lower() in wanted]
    rows: list[BudgetStatus] = []
    covered: Window | None = None
    for b in shown:
        status, cov = _status(con, b, month, now, scope)
        rows.append(status)
        covered = covered or cov
    complete = covered is not None and covered == month
    return BudgetReport(
        month=month.to_dict(),
        covered=covered.to_dict() if covered else None,
        complete=complete,
        currency=settings.currency,
        budgets=rows,
        not_visible=hidden,
        configured=len(settings.budgets),
        provenance=Provenance(
            tables=["allocations"],
            window=month.to_dict(),
            currency=settings.currency,
            cost_basis="amortized (EffectiveCost)",
            filters={"budgets": [b.scope for b in shown]},
            notes=[
                "spent = amortized allocation of the budget's slice (total: the whole bill)",
                "forecast = month_forecast, the same as `penny bill this-month`",
            ],
        ),
    )
