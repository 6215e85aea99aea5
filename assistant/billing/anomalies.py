"""Daily cost anomalies per team, namespace or service against a robust weekday baseline.

Method. For each day *t* of the window and each group, the history is the previous
``HISTORY_DAYS`` days with data. The expected cost is the median of the history's days on
the same weekday (at least three of them; else of the same kind of day, weekend or weekday;
else of the whole history) — the
seasonal median of Twitter's S-H-ESD (Hochenbaum, Vallis & Kejariwal, 2017, "Automatic
Anomaly Detection in the Cloud Via Statistical Learning", arXiv:1704.07706). The scale is
the MAD of the history's residuals from their own weekday medians, × 1.4826 so it
estimates a standard deviation under normality (Leys et al., 2013, "Detecting outliers: Do
not use standard deviation around the mean, use absolute deviation around the median",
J. Exp. Soc. Psychol. 49(4)); floored at 1% of the expected cost (and one cent) so a
perfectly flat series does not make every cent an outlier. A day is an anomaly when
|actual − expected| ≥ ``threshold_mads`` × scale and ≥ ``min_impact_usd``. The medians
ignore a few spiky days, so one spike does not hide the next.

Only complete days with data are judged: a day the warehouse has not fully loaded is not a
"drop", and days before the first data are not zeros. Idle capacity (it mirrors the
workloads on the same nodes) and billing events (tax, credits, refunds, commitment
purchases: monthly or one-off bookings that `penny bill` explains) are not daily spend and
are left out. Consecutive anomalous days of a group in one direction are reported once, as
a run with its total excess. A flagged day enters later baselines at its expected value,
so past spikes do not inflate the baseline; a run of 7 days is a level shift (a new steady
cost): it is reported as such and the group's baseline restarts at the run's first day.
The days before the window are judged the same way (a warm-up over one more history) but
not reported, so a spike just before the window is already replaced by its expected value
when it enters the window's baselines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from assistant.billing.loaders import daily_by, dec
from assistant.billing.models import Anomaly
from assistant.billing.variance import ZERO
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["ANOMALY_BY", "HISTORY_DAYS", "detect", "detect_anomalies", "merge_runs", "method_text"]

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7
MIN_SAME_WEEKDAY = 3  # a median of two same-weekday values is just their mean
LEVEL_SHIFT_DAYS = 7  # a run this long is a new level, not an anomaly that continues
MAD_TO_SIGMA = Decimal("1.4826")
SCALE_FLOOR = Decimal("0.01")
ANOMALY_BY = ("team", "namespace", "service", "cluster")
DAY = timedelta(days=1)

Series = dict[datetime, Decimal]


def method_text(threshold: float, min_impact: Decimal) -> str:
    return (
        f"weekday-aware median baseline over the previous {HISTORY_DAYS} days, scale = "
        f"1.4826 × MAD of the residuals (floor 1% of expected); flagged when "
        f"|actual − expected| ≥ {threshold:g} × scale and ≥ ${min_impact}"
    )


def _baseline(history: list[tuple[datetime, Decimal]], weekday: int) -> Decimal:
    same = [v for d, v in history if d.weekday() == weekday]
    if len(same) >= MIN_SAME_WEEKDAY:
        return median(same)
    # short history: at least tell weekends from weekdays
    weekend = weekday >= 5
    kind = [v for d, v in history if (d.weekday() >= 5) == weekend]
    return median(kind) if len(kind) >= 2 else median(v for _, v in history)


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
) -> list[tuple[str, datetime, Decimal, Decimal, Decimal, int, bool]]:
    """Pure: (group, day, actual, expected, scale, history length, level shift) per anomaly.

    ``groups`` maps a group to its daily cost; a data day missing from a group's series is a
    zero-cost day for that group. ``data_days`` are the complete days the warehouse holds.
    Days are judged in order; a flagged day enters later baselines at its expected value
    (so two spiky Thursdays do not lift the Thursday median), until a run reaches
    ``LEVEL_SHIFT_DAYS``: then it is a level shift, and the group's baseline restarts at
    the run's first day.
    """
    have = sorted(set(data_days))
    have_set = set(have)
    k = Decimal(str(threshold))
    clean = {g: dict(series) for g, series in groups.items()}
    run: dict[str, list[tuple[datetime, int]]] = {g: [] for g in groups}  # (day, sign)
    floor: dict[str, datetime] = {}
    found: list[tuple[str, datetime, Decimal, Decimal, Decimal, int, bool]] = []
    for day in days:
        if day not in have_set:
            continue
        for group, series in groups.items():
            start = max(day - HISTORY_DAYS * DAY, floor.get(group, day - HISTORY_DAYS * DAY))
            history_days = [d for d in have if start <= d < day]
            if len(history_days) < MIN_HISTORY_DAYS:
                continue
            history = [(d, clean[group].get(d, ZERO)) for d in history_days]
            expected = _baseline(history, day.weekday())
            actual = series.get(day, ZERO)
            scale = _scale(history, expected)
            excess = actual - expected
            if not (abs(excess) >= k * scale and abs(excess) >= min_impact):
                run[group] = []
                continue
            sign = 1 if excess > 0 else -1
            current = run[group]
            if not (current and current[-1][1] == sign and current[-1][0] + DAY == day):
                current = run[group] = []
            current.append((day, sign))
            clean[group][day] = expected
            shift = len(current) >= LEVEL_SHIFT_DAYS
            if shift:  # the new level is the baseline from the run's first day on
                for d, _ in current:
                    clean[group][d] = series.get(d, ZERO)
                floor[group] = current[0][0]
                run[group] = []
            found.append((group, day, actual, expected, scale, len(history), shift))
    return found


def detect_anomalies(
    con: Connection,
    *,
    window: Window,
    by: str,
    scope: Scope,
    settings: Settings,
    top_workloads: int = 5,
) -> list[Anomaly]:
    """Anomalous days in ``window`` per ``by`` group, largest excess first."""
    if by not in ANOMALY_BY:
        raise InputError(
            f"Cannot look for anomalies by {by!r}.", hint=f"Use one of: {', '.join(ANOMALY_BY)}."
        )
    cfg = settings.anomalies
    first_day = window.start.replace(hour=0)
    # two histories back: the days in the first day's history are judged too (a warm-up),
    # so a spike just before the window enters the window's baselines at its expected value
    span = Window(first_day - 2 * HISTORY_DAYS * DAY, window.end)
    rows = daily_by(con, span, scope, by, with_workloads=True, spend_only=True)
    if not rows:
        raise DataGap(
            f"No allocated cost between {span.start:%Y-%m-%d} and {span.end:%Y-%m-%d %H:00}.",
            hint="Run `penny ingest …` and `penny allocate` (or `penny demo`).",
        )
    complete = _complete_days(con, span)
    groups: dict[str, Series] = defaultdict(dict)
    workloads: dict[tuple[str, str], Series] = defaultdict(dict)
    for day, group, workload, cost in rows:
        groups[group][day] = groups[group].get(day, ZERO) + dec(cost)
        workloads[(group, workload)][day] = dec(cost)
    days = [d for d in complete if d + DAY <= window.end]
    found = [
        f
        for f in detect(
            groups,
            days,
            data_days=complete,
            threshold=cfg.threshold_mads,
            min_impact=cfg.min_impact_usd,
        )
        if f[1] >= first_day
    ]
    method = method_text(cfg.threshold_mads, cfg.min_impact_usd)
    out = []
    for group, day, actual, expected, scale, n, shift in found:
        history_days = [d for d in complete if day - HISTORY_DAYS * DAY <= d < day]
        causes: list[dict[str, Any]] = []
        for (g, wl), series in workloads.items():
            if g != group:
                continue
            hist = [(d, series.get(d, ZERO)) for d in history_days]
            wl_expected = _baseline(hist, day.weekday())
            delta = series.get(day, ZERO) - wl_expected
            causes.append(
                {
                    "workload": wl,
                    "actual": series.get(day, ZERO),
                    "expected": wl_expected,
                    "excess": delta,
                }
            )
        sign = 1 if actual >= expected else -1
        causes = sorted(
            (c for c in causes if c["excess"] * sign > 0), key=lambda c: -abs(c["excess"])
        )[:top_workloads]
        out.append(
            Anomaly(
                day=f"{day:%Y-%m-%d}",
                by=by,
                group=group,
                direction="spike" if sign > 0 else "drop",
                actual=actual,
                expected=expected,
                excess=actual - expected,
                score=((actual - expected) / scale).quantize(Decimal("0.01")),
                scale=scale.quantize(Decimal("1e-6")),
                baseline_days=n,
                workloads=causes,
                method=method,
                level_shift=shift,
            )
        )
    return sorted(merge_runs(out), key=lambda a: (-abs(a.excess), a.day, a.group))


def merge_runs(found: list[Anomaly]) -> list[Anomaly]:
    """Consecutive anomalous days of one group in one direction become one anomaly.

    A five-day training job is one spike of five days, and a new steady workload is one
    spike from its first day until the baseline catches up, not one line per day.
    """
    out: list[Anomaly] = []
    for a in sorted(found, key=lambda x: (x.group, x.day)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.group == a.group
            and prev.direction == a.direction
            and _next_day(prev.last_day or prev.day) == a.day
        ):
            causes: dict[str, dict[str, Decimal]] = {}
            for c in (*prev.workloads, *a.workloads):
                agg = causes.setdefault(
                    c["workload"], {"actual": ZERO, "expected": ZERO, "excess": ZERO}
                )
                for k in agg:
                    agg[k] += c[k]
            top = sorted(causes.items(), key=lambda kv: -abs(kv[1]["excess"]))
            out[-1] = prev.model_copy(
                update={
                    "last_day": a.day,
                    "days": prev.days + 1,
                    "actual": prev.actual + a.actual,
                    "expected": prev.expected + a.expected,
                    "excess": prev.excess + a.excess,
                    "score": max(prev.score, a.score, key=abs),
                    "level_shift": prev.level_shift or a.level_shift,
                    "workloads": [{"workload": w, **v} for w, v in top[: len(prev.workloads) or 5]],
                }
            )
        else:
            out.append(a)
    return out


def _next_day(day: str) -> str:
    return f"{datetime.strptime(day, '%Y-%m-%d') + DAY:%Y-%m-%d}"


def _complete_days(con: Connection, span: Window) -> list[datetime]:
    """Days of ``span`` whose 24 hours all have allocation rows (whole warehouse)."""
    rows = con.execute(
        "SELECT date_trunc('day', hour) AS d, count(DISTINCT hour) FROM allocations "
        "WHERE hour >= ? AND hour < ? GROUP BY 1 HAVING count(DISTINCT hour) = 24 ORDER BY 1",
        [span.start, span.end],
    ).fetchall()
    return [r[0] for r in rows]
