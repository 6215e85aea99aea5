"""Which budgets a cost question is about: the slice it totals must be a budget's slice.

`penny costs` shows budgets beside its table only when they measure the same thing: a
calendar month, and the whole bill (no filter: the ``total`` budget, and with ``--by
team`` or ``--by namespace`` each shown group's own budget) or exactly one team or one
namespace (``--filter team=payments``: ``team:payments``). A slice a budget does not
cover (``env=prod``, two filters) gets none rather than a misleading comparison.
"""

from __future__ import annotations

from assistant.config import Budget
from assistant.windows import Window

__all__ = ["applicable_budgets", "is_calendar_month"]

_SLICES = ("team", "namespace")


def is_calendar_month(window: Window) -> bool:
    """True for one whole calendar month (its label is 'YYYY-MM')."""
    return len(window.label()) == 7


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
