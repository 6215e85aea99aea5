"""Budget alerts: which thresholds a budget's spend (actual) and forecast have reached.

Pure functions over the numbers of one budget in one month (``budget_status`` gives them):
the share of the monthly amount spent so far and forecast for the whole month, against
``slack.budget_alerts.thresholds`` and ``forecast_thresholds``. At one look only the
highest threshold newly reached on each basis is *sent*; lower ones reached at the same
look are *settled* without a message (a budget first seen at 85 % gets one alert, "80 %
reached", not three). A forecast threshold at or below the highest threshold the actual
has reached says nothing new and is settled too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from assistant.config import Budget

__all__ = [
    "LATE_DATA",
    "Crossing",
    "alert_key",
    "alert_months",
    "budget_ident",
    "crossings",
    "percent_of",
]

#: how long into a month the month before is still looked at (on its actual only): the
#: last hours of a month are ingested after it ends, and a threshold they push a budget
#: over is still said, once
LATE_DATA = timedelta(days=3)

Basis = Literal["actual", "forecast"]


@dataclass(frozen=True)
class Crossing:
    basis: Basis
    threshold: int  # percent
    value: Decimal  # spent so far, or the month's forecast
    pct: Decimal  # value / monthly × 100 to 0.01 (Decimal('Infinity') for a zero budget)
    send: bool  # False: reached at the same look as a higher one, recorded only


def percent_of(value: Decimal, monthly: Decimal) -> Decimal:
    """value / monthly × 100, to 0.01; any spend of a zero budget is infinitely over."""
    if monthly == 0:
        return Decimal("Infinity") if value > 0 else Decimal(0)
    return (value / monthly * 100).quantize(Decimal("0.01"))


def alert_key(scope: str, month: str, basis: Basis, threshold: int) -> str:
    """'team:payments:2026-11:actual:80': one alert per budget, month, basis, threshold.

    ``scope`` is what names the budget (:func:`budget_ident`)."""
    return f"{scope}:{month}:{basis}:{threshold}"


def budget_ident(name: str, scope: str, configured: Sequence[Budget]) -> str:
    """What an alert key names a budget by: its scope, or its name when another budget
    has the same scope (a hard limit and a stretch target for one team). Keys of a budget
    alone in its scope stay what they were; ``budget_status`` finds a budget by either."""
    shared = sum(1 for b in configured if b.scope == scope) > 1
    return name if shared else scope


def alert_months(now: datetime) -> list[tuple[str, bool]]:
    """('YYYY-MM', with the forecast) for each month a look at ``now`` checks: this month
    on both bases, and for :data:`LATE_DATA` into it the month before on its actual."""
    this = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = [(f"{this:%Y-%m}", True)]
    if now - this < LATE_DATA:
        months.append((f"{this - timedelta(days=1):%Y-%m}", False))
    return months


def _reached(
    basis: Basis, value: Decimal | None, monthly: Decimal, thresholds: list[int]
) -> list[Crossing]:
    if value is None:
        return []
    pct = percent_of(value, monthly)  # rounded for the message; compared exactly below
    hit = sorted(t for t in thresholds if value * 100 >= monthly * t and value > 0)
    return [Crossing(basis, t, value, pct, send=(t == hit[-1])) for t in hit]


def crossings(
    *,
    monthly: Decimal,
    spent: Decimal | None,
    forecast: Decimal | None,
    thresholds: list[int],
    forecast_thresholds: list[int],
) -> list[Crossing]:
    """Every threshold reached, actual first; ``send`` marks the ones to post (before the
    record removes those already posted at earlier looks)."""
    actual = _reached("actual", spent, monthly, thresholds)
    top = max((c.threshold for c in actual), default=0)
    ahead = [
        c if c.threshold > top else Crossing(c.basis, c.threshold, c.value, c.pct, send=False)
        for c in _reached("forecast", forecast, monthly, forecast_thresholds)
    ]
    return actual + ahead
