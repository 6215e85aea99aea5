"""Month-to-date forecast: actual so far plus a trailing run rate for the rest.

Method (stated in every forecast): the mean daily cost of the last up to 7 complete days
with data, times the days left in the month, added to the month-to-date actual. Simple and
explainable; a trend or seasonal model would need more history than a month gives.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from assistant.billing.models import Forecast
from assistant.billing.variance import ZERO
from assistant.windows import Window

__all__ = ["RUN_RATE_DAYS", "forecast_month"]

RUN_RATE_DAYS = 7


def forecast_month(
    month: Window, covered_end: datetime, daily: list[tuple[datetime, Decimal]]
) -> Forecast:
    """``daily``: (day start, cost) for the covered part; the last day may be partial."""
    mtd = sum((c for _, c in daily), ZERO)
    complete = [(d, c) for d, c in daily if (covered_end - d).total_seconds() >= 86400]
    recent = complete[-RUN_RATE_DAYS:]
    if recent:
        rate = sum((c for _, c in recent), ZERO) / len(recent)
        used = f"the mean of the last {len(recent)} complete day(s)"
    else:
        hours = Decimal(int((covered_end - month.start).total_seconds() // 3600)) or Decimal(1)
        rate = mtd / hours * 24
        used = "the month-to-date hourly average × 24 (no complete day yet)"
    days_left = Decimal(int((month.end - covered_end).total_seconds())) / 86400
    elapsed = Decimal(int((covered_end - month.start).total_seconds())) / 86400
    forecast = mtd + rate * days_left
    return Forecast(
        month_to_date=mtd,
        forecast=forecast.quantize(Decimal("1e-12")),
        days_elapsed=elapsed.quantize(Decimal("0.01")),
        days_in_month=int(month.days),
        daily_run_rate=rate.quantize(Decimal("1e-12")),
        method=(
            f"month-to-date actual + daily run rate ({used}) × "
            f"{days_left.quantize(Decimal('0.01'))} days left"
        ),
    )
