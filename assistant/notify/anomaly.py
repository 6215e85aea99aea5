"""Anomaly alerts: the unusual days of the last few complete days, each with a stable key.

The detector is the ``anomalies`` capability (`penny anomalies`, the ``detect_anomalies``
tool). An alert's key is the group, the direction and the run's *first* day, so a spike
that goes on for a second day is the same alert, not a new one: it is posted once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.billing.models import Anomaly
from assistant.capabilities.bill import AnomaliesReport, AnomaliesRequest, anomalies
from assistant.capabilities.context import Ctx
from assistant.windows import Window

__all__ = ["alert_key", "anomaly_window", "recent_anomalies"]

#: runs are read from this many days before the look-back, so a run that began earlier
#: keeps its first day (and so its key) instead of seeming to start inside the look-back
RUN_CONTEXT_DAYS = 14


def alert_key(a: Anomaly) -> str:
    """'team:ml:spike:2026-10-03': one alert per run, however long the run grows."""
    return f"{a.by}:{a.group}:{a.direction}:{a.day}"


def recent_anomalies(
    ctx: Ctx, *, by: str, lookback_days: int
) -> tuple[AnomaliesReport, list[Anomaly]]:
    """The report over the last ``lookback_days`` whole days before ``ctx.now``, and its
    anomalies that end inside that span (a run that ended before it was already due)."""
    today = ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = Window(today - timedelta(days=lookback_days), today)
    read = Window(span.start - timedelta(days=RUN_CONTEXT_DAYS), today)
    report = anomalies(
        AnomaliesRequest(window=read.label(), by=by),  # type: ignore[arg-type]
        ctx,
    )
    start = f"{span.start:%Y-%m-%d}"
    recent = [a for a in report.anomalies if (a.last_day or a.day) >= start]
    return report, sorted(recent, key=lambda a: (a.day, a.group))


def anomaly_window(a: Anomaly) -> Window:
    """The days an anomaly covers (end exclusive)."""
    first = datetime.strptime(a.day, "%Y-%m-%d")
    last = datetime.strptime(a.last_day or a.day, "%Y-%m-%d")
    return Window(first, last + timedelta(days=1))
