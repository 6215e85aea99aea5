"""Budgets as rows a person reads: one owner of the columns every door shows.

`penny bill` (Markdown and HTML), `penny costs`, a notice's "Details" and the web page
show the same columns from the same :class:`BudgetStatus`: monthly, spent, % used,
remaining, the month's forecast and what would remain after it. Pure: rows in, text out.
"""

from __future__ import annotations

from decimal import Decimal

from assistant.billing.models import BudgetStatus
from assistant.core.markdown import md_escape
from assistant.core.money import usd

__all__ = ["BUDGET_COLUMNS", "budget_cells", "budget_markdown", "pct_text"]

BUDGET_COLUMNS = [
    "Budget",
    "Monthly",
    "Spent",
    "Used",
    "Remaining",
    "Forecast",
    "After forecast",
    "Status",
]


def pct_text(value: Decimal | None) -> str:
    """'80.00%', or '—' when there is nothing to divide (no data, a zero budget)."""
    return "—" if value is None else f"{value}%"


def budget_cells(b: BudgetStatus) -> list[str]:
    """The row of one budget, in :data:`BUDGET_COLUMNS` order (money to the cent)."""
    return [
        b.name,
        usd(b.monthly),
        usd(b.spent, missing="—"),
        pct_text(b.spent_pct),
        usd(b.remaining, missing="—"),
        "—" if b.forecast is None else usd(b.forecast.forecast),
        usd(b.remaining_after_forecast, missing="—"),
        b.verdict,
    ]


def budget_markdown(budgets: list[BudgetStatus]) -> list[str]:
    """A Markdown table of ``budgets`` with any notes below it ([] for no budgets)."""
    if not budgets:
        return []
    lines = [
        "| " + " | ".join(BUDGET_COLUMNS) + " |",
        "|---|" + "---:|" * (len(BUDGET_COLUMNS) - 2) + "---|",
    ]
    lines += ["| " + " | ".join(md_escape(c) for c in budget_cells(b)) + " |" for b in budgets]
    notes = [f"- {md_escape(b.name)}: {md_escape(b.note)}" for b in budgets if b.note]
    return lines + (["", *notes] if notes else [])
