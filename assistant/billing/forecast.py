"""Month-to-date forecast: actual so far plus a trailing run rate for the rest.

Method (stated in every forecast): the mean daily cost of the last up to 7 complete days
with data, times the days left in the month, added to the month-to-date actual. The range
uses the cheapest and the dearest of those days instead of their mean. Simple and
explainable; a trend or seasonal model would need more history than a month gives.

:func:`forecast_month` is the pure rule; :func:`month_forecast` reads the daily series
of any slice of the allocation (everything, a team, a namespace) and applies it, so the
bill explanation, budgets and both engines give the same number for the same slice. A
month that has not started yet is projected from the run rate before the data's end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from assistant.billing.models import Forecast
from assistant.billing.variance import ZERO
from assistant.config import Settings
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.errors import DataGap
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = [
    "RUN_RATE_DAYS",
    "ForecastReport",
    "cost_forecast",
    "daily_totals",
    "forecast_month",
    "month_forecast",
]

RUN_RATE_DAYS = 7
_Q = Decimal("1e-12")


def forecast_month(
    month: Window, covered_end: datetime, daily: list[tuple[datetime, Decimal]]
) -> Forecast:
    """``daily``: (day start, cost) for the covered part; the last day may be partial.

    ``covered_end`` at or before the month's start projects a month with no data yet from
    ``daily`` (the days before it)."""
    future = covered_end <= month.start
    mtd = ZERO if future else sum((c for _, c in daily), ZERO)
    complete = [(d, c) for d, c in daily if (covered_end - d).total_seconds() >= 86400]
    recent = complete[-RUN_RATE_DAYS:]
    if recent:
        costs = [c for _, c in recent]
        rate = sum(costs, ZERO) / len(recent)
        low_rate, high_rate = min(costs), max(costs)
        used = f"the mean of the last {len(recent)} complete day(s)"
    else:
        hours = Decimal(int((covered_end - month.start).total_seconds() // 3600)) or Decimal(1)
        rate = low_rate = high_rate = mtd / hours * 24
        used = "the month-to-date hourly average × 24 (no complete day yet)"
    start = month.start if future else covered_end
    days_left = Decimal(int((month.end - start).total_seconds())) / 86400
    elapsed = Decimal(0) if future else Decimal(int((covered_end - month.start).total_seconds()))
    forecast = mtd + rate * days_left
    head = "no data in the month yet: " if future else "month-to-date actual + "
    return Forecast(
        month_to_date=mtd,
        forecast=forecast.quantize(_Q),
        low=(mtd + low_rate * days_left).quantize(_Q),
        high=(mtd + high_rate * days_left).quantize(_Q),
        days_elapsed=(elapsed / 86400).quantize(Decimal("0.01")),
        days_in_month=int(month.days),
        daily_run_rate=rate.quantize(_Q),
        method=(
            f"{head}daily run rate ({used}) × {days_left.quantize(Decimal('0.01'))} days left; "
            "range: the cheapest and dearest of those days instead of their mean"
        ),
    )


def daily_totals(
    con: Connection, window: Window, scope: Scope, filters: dict[str, str] | None = None
) -> list[tuple[datetime, Decimal]]:
    """Amortized cost per UTC day in ``window`` over the visible allocations, optionally
    only one team's or one namespace's workloads (``filters``: team / namespace)."""
    where, params = scope.sql_filter("a.team", "a.namespace")
    extra: list[Any] = []
    for key, value in (filters or {}).items():
        if key not in ("team", "namespace"):
            raise ValueError(f"daily_totals filters team or namespace, not {key!r}")
        where += f" AND a.kind = 'workload' AND a.{key} = ?"
        extra.append(value)
    rows = con.execute(
        "SELECT date_trunc('day', a.hour) AS day, sum(a.total_cost) FROM allocations a "
        f"WHERE a.hour >= ? AND a.hour < ? AND {where} GROUP BY 1 ORDER BY 1",
        [window.start, window.end, *params, *extra],
    ).fetchall()
    found = {r[0]: Decimal(r[1]) for r in rows if r[1] is not None}
    if not found:
        return []
    # a day of the window without a row cost nothing: it counts in the run rate as 0
    days = []
    day = window.start.replace(hour=0)
    while day < window.end:
        days.append((day, found.get(day, ZERO)))
        day += timedelta(days=1)
    return days


def month_forecast(
    con: Connection,
    month: Window,
    *,
    now: datetime,
    scope: Scope,
    filters: dict[str, str] | None = None,
) -> tuple[Forecast | None, Window | None]:
    """The forecast of ``month`` for a slice, and the part of the month with data.

    (None, covered) for a month that is over (its actual is the answer, not a forecast);
    (None, None) when there is no data to base one on."""
    where, params = scope.sql_filter("a.team", "a.namespace")
    row = con.execute(
        f"SELECT max(a.hour) FROM allocations a WHERE a.hour < ? AND {where}",
        [month.end, *params],
    ).fetchone()
    last = row[0] if row else None
    if last is None:
        return None, None
    data_end = min(last + timedelta(hours=1), now)
    if data_end >= month.end:
        return None, month
    if data_end <= month.start:  # not started: project from the days before the data's end
        start = (data_end - timedelta(days=RUN_RATE_DAYS + 1)).replace(hour=0)
        lookback = Window(start + timedelta(days=1), data_end)
        daily = daily_totals(con, lookback, scope, filters)
        return (forecast_month(month, data_end, daily) if daily else None), None
    covered = Window(month.start, data_end)
    daily = daily_totals(con, covered, scope, filters)
    if not daily:
        return None, covered
    return forecast_month(month, data_end, daily), covered


class ForecastReport(BaseModel):
    """A month's forecast for a slice, or its actual when the month is over."""

    month: dict[str, str]
    slice: dict[str, str]  # {} = everything visible; {team: X} or {namespace: Y}
    covered: dict[str, str] | None  # the part of the month with data
    data_end: str | None  # the hour after the last allocated hour (UTC ISO)
    complete: bool  # the month is over: ``actual`` is its cost, no forecast
    actual: Decimal | None  # month to date, or the whole month when complete
    forecast: Forecast | None
    currency: str
    provenance: Provenance = Field(default_factory=Provenance)


def cost_forecast(
    con: Connection,
    month: Window,
    *,
    settings: Settings,
    scope: Scope,
    filters: dict[str, str] | None = None,
) -> ForecastReport:
    """Month to date plus the forecast (method and range) for everything visible, a team or
    a namespace; DataGap when the warehouse has nothing to base it on."""
    now = settings.current_time()
    filters = dict(filters or {})
    forecast, covered = month_forecast(con, month, now=now, scope=scope, filters=filters)
    if forecast is None and covered is None:
        raise DataGap(
            f"No allocated cost before {month.end:%Y-%m-%d} to forecast {month.label()} from.",
            hint="Run `penny ingest …` and `penny allocate` (or `penny demo`).",
            window=month.to_dict(),
        )
    actual = (
        sum((c for _, c in daily_totals(con, covered, scope, filters)), ZERO)
        if covered is not None
        else None
    )
    where, params = scope.sql_filter("a.team", "a.namespace")
    row = con.execute(f"SELECT max(a.hour) FROM allocations a WHERE {where}", params).fetchone()
    data_end = (row[0] + timedelta(hours=1)).isoformat() + "Z" if row and row[0] else None
    return ForecastReport(
        month=month.to_dict(),
        slice=filters,
        covered=covered.to_dict() if covered else None,
        data_end=data_end,
        complete=covered == month,
        actual=actual,
        forecast=forecast,
        currency=settings.currency,
        provenance=Provenance(
            tables=["allocations"],
            window=month.to_dict(),
            filters=filters,
            currency=settings.currency,
            cost_basis="amortized (EffectiveCost)",
            notes=[forecast.method] if forecast else [],
        ),
    )
