"""Daily cost anomalies per team, namespace or service against a robust weekday baseline.

Method. For each day *t* of the window and each group, the history is the previous
``HISTORY_DAYS`` days with data. The expected cost is the median of the history's days on
the same weekday (at least three of them; else the median of the whole history) — the
seasonal median of Twitter's S-H-ESD (Hochenbaum, Vallis & Kejariwal, 2017, "Automatic
Anomaly Detection in the Cloud Via Statistical Learning", arXiv:1704.07706). The scale is
the MAD of the history's residuals from their own weekday medians, × 1.4826 so it
estimates a standard deviation under normality (Leys et al., 2013, "Detecting outliers: Do
not use standard deviation around the mean, use absolute deviation around the median",
J. Exp. Soc. Psychol. 49(4)); floored at 1% of the expected cost (and one cent) so a
perfectly flat series does not make every cent an outlier. A day is an anomaly when
|actual − expected| ≥ ``threshold_mads`` × scale and ≥ ``min_impact_usd``. The medians
ignore a few spiky days, so one spike does not hide the next; a change that lasts for more
than half of the history becomes the new baseline (a level shift, no longer an anomaly).

Only complete days with data are judged: a day the warehouse has not fully loaded is not a
"drop", and days before the first data are not zeros.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median

from assistant.billing.loaders import daily_by, dec
from assistant.billing.models import Anomaly
from assistant.billing.variance import ZERO
from assistant.config import Settings
from assistant.errors import DataGap, InputError
from assistant.warehouse.db import Connection
from assistant.windows import Window
from tools.result import Scope

__all__ = ["ANOMALY_BY", "HISTORY_DAYS", "detect", "detect_anomalies", "method_text"]

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7
MIN_SAME_WEEKDAY = 3   # a median of two same-weekday values is just their mean
MAD_TO_SIGMA = Decimal("1.4826")
SCALE_FLOOR = Decimal("0.01")
ANOMALY_BY = ("team", "namespace", "service", "cluster")
DAY = timedelta(days=1)

Series = dict[datetime, Decimal]


def method_text(threshold: float, min_impact: Decimal) -> str:
    return (f"weekday-aware median baseline over the previous {HISTORY_DAYS} days, scale = "
            f"1.4826 × MAD of the residuals (floor 1% of expected); flagged when "
            f"|actual − expected| ≥ {threshold:g} × scale and ≥ ${min_impact}")


def _baseline(history: list[tuple[datetime, Decimal]], weekday: int) -> Decimal:
    same = [v for d, v in history if d.weekday() == weekday]
    return median(same) if len(same) >= MIN_SAME_WEEKDAY else median(v for _, v in history)


def _scale(history: list[tuple[datetime, Decimal]], expected: Decimal) -> Decimal:
    residuals = [v - _baseline(history, d.weekday()) for d, v in history]
    center = median(residuals)
    mad = median(abs(r - center) for r in residuals)
    return max(MAD_TO_SIGMA * mad, SCALE_FLOOR * abs(expected), Decimal("0.01"))


def detect(
    groups: dict[str, Series],
    days: list[datetime],
    *,
    data_days: list[datetime],
    threshold: float,
    min_impact: Decimal,
) -> list[tuple[str, datetime, Decimal, Decimal, Decimal, int]]:
    """Pure: (group, day, actual, expected, scale, history length) for each anomaly.

    ``groups`` maps a group to its daily cost; a data day missing from a group's series is a
    zero-cost day for that group. ``data_days`` are the complete days the warehouse holds.
    """
    have = sorted(set(data_days))
    found = []
    for day in days:
        history_days = [d for d in have if day - HISTORY_DAYS * DAY <= d < day]
        if len(history_days) < MIN_HISTORY_DAYS or day not in set(have):
            continue
        for group, series in groups.items():
            history = [(d, series.get(d, ZERO)) for d in history_days]
            expected = _baseline(history, day.weekday())
            actual = series.get(day, ZERO)
            scale = _scale(history, expected)
            excess = actual - expected
            if abs(excess) >= Decimal(str(threshold)) * scale and abs(excess) >= min_impact:
                found.append((group, day, actual, expected, scale, len(history)))
    return found


def detect_anomalies(con: Connection, *, window: Window, by: str, scope: Scope,
                     settings: Settings, top_workloads: int = 5) -> list[Anomaly]:
    """Anomalous days in ``window`` per ``by`` group, largest excess first."""
    if by not in ANOMALY_BY:
        raise InputError(f"Cannot look for anomalies by {by!r}.",
                         hint=f"Use one of: {', '.join(ANOMALY_BY)}.")
    cfg = settings.anomalies
    first_day = window.start.replace(hour=0)
    span = Window(first_day - HISTORY_DAYS * DAY, window.end)
    rows = daily_by(con, span, scope, by, with_workloads=True)
    if not rows:
        raise DataGap(f"No allocated cost between {span.start:%Y-%m-%d} and "
                      f"{span.end:%Y-%m-%d %H:00}.",
                      hint="Run `penny ingest …` and `penny allocate` (or `penny demo`).")
    complete = _complete_days(con, span)
    groups: dict[str, Series] = defaultdict(dict)
    workloads: dict[tuple[str, str], Series] = defaultdict(dict)
    for day, group, workload, cost in rows:
        groups[group][day] = groups[group].get(day, ZERO) + dec(cost)
        workloads[(group, workload)][day] = dec(cost)
    days = [d for d in complete if d >= first_day and d + DAY <= window.end]
    found = detect(groups, days, data_days=complete, threshold=cfg.threshold_mads,
                   min_impact=cfg.min_impact_usd)
    method = method_text(cfg.threshold_mads, cfg.min_impact_usd)
    out = []
    for group, day, actual, expected, scale, n in found:
        history_days = [d for d in complete if day - HISTORY_DAYS * DAY <= d < day]
        causes = []
        for (g, wl), series in workloads.items():
            if g != group:
                continue
            hist = [(d, series.get(d, ZERO)) for d in history_days]
            wl_expected = _baseline(hist, day.weekday())
            delta = series.get(day, ZERO) - wl_expected
            causes.append({"workload": wl, "actual": series.get(day, ZERO),
                           "expected": wl_expected, "excess": delta})
        sign = 1 if actual >= expected else -1
        causes = sorted((c for c in causes if c["excess"] * sign > 0),
                        key=lambda c: -abs(c["excess"]))[:top_workloads]
        out.append(Anomaly(
            day=f"{day:%Y-%m-%d}", by=by, group=group,
            direction="spike" if sign > 0 else "drop", actual=actual, expected=expected,
            excess=actual - expected,
            score=((actual - expected) / scale).quantize(Decimal("0.01")),
            scale=scale.quantize(Decimal("1e-6")), baseline_days=n, workloads=causes,
            method=method,
        ))
    return sorted(out, key=lambda a: (-abs(a.excess), a.day, a.group))


def _complete_days(con: Connection, span: Window) -> list[datetime]:
    """Days of ``span`` whose 24 hours all have allocation rows (whole warehouse)."""
    rows = con.execute(
        "SELECT date_trunc('day', hour) AS d, count(DISTINCT hour) FROM allocations "
        "WHERE hour >= ? AND hour < ? GROUP BY 1 HAVING count(DISTINCT hour) = 24 ORDER BY 1",
        [span.start, span.end],
    ).fetchall()
    return [r[0] for r in rows]
