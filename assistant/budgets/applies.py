"""Which budgets a cost question is about: the slice it totals must be a budget's slice.

`penny costs` shows budgets beside its table only when they measure the same thing: a
calendar month or a month to date (``this-month``), and either the whole bill (no
filter: the ``total`` budget, and with ``--by team`` or ``--by namespace`` each shown
group's own budget) or exactly one team or one namespace (``--filter team=payments``:
``team:payments``). A slice a budget does not cover (``env=prod``, two filters) gets
none rather than a misleading comparison.
"""

from __future__ import annotations

from assistant.config import Budget
from assistant.windows import Window, month_window

__all__ = ["applicable_budgets", "budget_month"]

_SLICES = ("team", "namespace")


def budget_month(window: Window) -> Window | None:
    """The calendar month ``window`` is (or is the start of: a month to date), else None."""
    s = window.start
    if (s.day, s.hour, s.minute, s.second, s.microsecond) != (1, 0, 0, 0, 0):
        return None
    month = month_window(s.year, s.month)
    return month if window.end <= month.end else None


def applicable_budgets(
    budgets: list[Budget], *, group_by: str, filters: dict[str, str], groups: list[str]
) -> list[str]:
    """The scopes of the configured budgets that measure this slice, in settings order."""
    if filters:
        if len(filters) != 1:
            return []
        ((key, value),) = filters.items()
        wanted = {f"{key}:{value}"} if key in _SLICES else set()
    else:
        wanted = {"total"}
        if group_by in _SLICES:
            wanted |= {f"{group_by}:{g}" for g in groups}
    return [b.scope for b in budgets if b.scope in wanted]
