"""Monthly budgets (total, per team, per namespace) against actuals and the forecast.

``budget_status`` is the one core function: the CLI, HTTP, Slack alerts, the agent's
``budget_status`` tool and the offline engine all read its :class:`BudgetReport`.
"""

from assistant.budgets.status import BudgetReport, BudgetStatus, budget_status, visible_budgets

__all__ = ["BudgetReport", "BudgetStatus", "budget_status", "visible_budgets"]
