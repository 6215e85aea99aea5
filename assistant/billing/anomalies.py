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

from assistant.allocation.freshness import require_fresh
from assistant.billing.loaders import daily_by, dec
from assistant.billing.models import Anomaly
from assistant.billing.variance import ZERO
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.core.timestamps import hour
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
    (so two spiky Thursdays do not lift the Thursday median), until a run lasts
    ``LEVEL_SHIFT_DAYS`` days (days on the same side at least half-way to the threshold
    included: a shifted weekly pattern need not cross it every day). Then it is settled
    (:func:`_settle_level`): the run's days at the new level are a level shift and enter
    the baseline as they are; days far from that level are spikes (or drops) on top of
    it and enter at the new level; the days before the shift enter later baselines moved
    by the step, so every weekday keeps its own history at the new level.
    """
    have = sorted(set(data_days))
    have_set = set(have)
    k = Decimal(str(threshold))
    clean = {g: dict(series) for g, series in groups.items()}
    run: dict[str, list[int]] = {g: [] for g in groups}  # indexes into found
    alive: dict[str, datetime] = {}  # the last day each group's run went on
    span: dict[str, int] = dict.fromkeys(groups, 0)  # days the run has lasted, gaps included
    found: list[list[Any]] = []  # [group, day, actual, expected, scale, n, shift]
    for day in days:
        if day not in have_set:
            continue
        for group, series in groups.items():
            start = day - HISTORY_DAYS * DAY
            history_days = [d for d in have if start <= d < day]
            if len(history_days) < MIN_HISTORY_DAYS:
                continue
            history = [(d, clean[group].get(d, ZERO)) for d in history_days]
            expected = _baseline(history, day.weekday())
            actual = series.get(day, ZERO)
            scale = _scale(history, expected)
            excess = actual - expected
            sign = 1 if excess > 0 else -1 if excess < 0 else 0
            current = run[group]
            going = (
                bool(current) and _sign(found[current[-1]]) == sign and alive[group] + DAY == day
            )
            if not (abs(excess) >= k * scale and abs(excess) >= min_impact):
                # a day at least half-way to the threshold on the same side keeps a run
                # going (a shifted weekly pattern need not cross it every day); noise or
                # the other side ends it
                if going and abs(excess) >= k * scale / 2 and abs(excess) >= min_impact / 2:
                    alive[group] = day
                    span[group] += 1
                    if span[group] >= LEVEL_SHIFT_DAYS:
                        run[group] = _settle_level(
                            found, current, clean[group], k, min_impact, have
                        )
                        span[group] = len(run[group])
                else:
                    run[group] = []
                continue
            if not going:
                current = run[group] = []
                span[group] = 0
            alive[group] = day
            span[group] += 1
            found.append([group, day, actual, expected, scale, len(history), False])
            current.append(len(found) - 1)
            clean[group][day] = expected
            if span[group] >= LEVEL_SHIFT_DAYS:
                run[group] = _settle_level(found, current, clean[group], k, min_impact, have)
                span[group] = len(run[group])
    return [tuple(f) for f in found]  # type: ignore[misc]


def _sign(flag: list[Any]) -> int:
    return 1 if flag[2] >= flag[3] else -1


def _settle_level(
    found: list[list[Any]],
    run: list[int],
    clean: Series,
    k: Decimal,
    min_impact: Decimal,
    data_days: list[datetime],
) -> list[int]:
    """A run of ``LEVEL_SHIFT_DAYS`` flagged days: split it into the new level and the
    days far from that level (a spike riding on a step, as a new workload followed by a
    training job).

    The step is the median of the run's excesses over the old (weekday-aware) baseline,
    so a weekly pattern shifted up stays a weekly pattern; its scale is 1.4826 × the MAD
    of the excesses around it (floored at 1% of the new expected, as :func:`_scale`).
    Days at the new level are marked ``shift`` and enter the baseline as they are; days
    far from it stay anomalies against old baseline + step, and enter the baseline there
    — so a spike inside the run never becomes part of the "new normal" (before, the
    demo's ml team then showed weeks of false weekend drops). The days before the run
    move by the step: later baselines keep 28 days and every weekday its own median at
    the new level (restarting the history instead left too few same-weekday days, and a
    Sunday was judged against Saturdays). Returns the trailing outlier days (a spike
    still in progress: its run goes on).
    """
    excess = {i: found[i][2] - found[i][3] for i in run}
    step = median(excess.values())
    mad = median(abs(e - step) for e in excess.values())
    outliers: list[int] = []
    first_level: datetime | None = None
    for i in run:
        f = found[i]
        expected = f[3] + step
        scale = max(MAD_TO_SIGMA * mad, SCALE_FLOOR * abs(expected), Decimal("0.01"))
        off = abs(f[2] - expected)
        if off >= k * scale and off >= min_impact:
            f[3], f[4], f[6] = expected, scale, False
            clean[f[1]] = expected
            outliers.append(i)
        else:
            f[6] = True
            clean[f[1]] = f[2]
            first_level = first_level or f[1]
    assert first_level is not None  # the median excess is never an outlier of itself
    run_start = found[run[0]][1]
    for d in data_days:  # a day the group had no cost counts as 0, and moves too
        if d < run_start:
            clean[d] = clean.get(d, ZERO) + step
    trailing: list[int] = []
    for i in reversed(run):
        if i not in outliers:
            break
        trailing.insert(0, i)
    if trailing and len({_sign(found[i]) for i in trailing}) > 1:
        trailing = trailing[-1:]
    return trailing


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
    require_fresh(con, window, settings)
    first_day = window.start.replace(hour=0)
    # two histories back: the days in the first day's history are judged too (a warm-up),
    # so a spike just before the window enters the window's baselines at its expected value
    span = Window(first_day - 2 * HISTORY_DAYS * DAY, window.end)
    rows = daily_by(con, span, scope, by, with_workloads=True, spend_only=True)
    if not rows:
        raise DataGap(
            f"No allocated cost between {span.start:%Y-%m-%d} and {hour(span.end)}.",
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
    level shift, not one line per day. A level shift and a spike riding on it stay two
    anomalies, each dated from its own first day.
    """
    out: list[Anomaly] = []
    for a in sorted(found, key=lambda x: (x.group, x.day)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.group == a.group
            and prev.direction == a.direction
            and prev.level_shift == a.level_shift
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
