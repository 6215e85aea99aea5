"""Times for people and for JSON: one owner of every strftime pattern Penny shows.

Every time in Penny is a naive UTC datetime. People read hours (``2026-10-04 13:00``,
with `` UTC`` where the sentence needs it), minutes where a file or a run has them, and
window ends as dates when they fall on midnight; JSON carries RFC 3339 with ``Z``.

=====================  ========================  =========================================
``hour(t)``            ``2026-10-04 13:00``      where data starts or ends (hourly data)
``hour_utc(t)``        ``2026-10-04 13:00 UTC``  the same in a sentence
``minute(t)``          ``2026-10-04 13:37``      a file's or a run's own times
``window_bound(t)``    ``2026-10-04`` or         a window bound, as ``--window`` takes it
                       ``2026-10-04T13:00``
``iso_hour(t)``        ``2026-10-04T13:00``      an hour in JSON
``rfc3339(t)``         ``2026-10-04T13:37:00Z``  a time in JSON (OpenCost, AI usage APIs)
=====================  ========================  =========================================
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["hour", "hour_utc", "iso_hour", "minute", "rfc3339", "window_bound"]


def hour(t: datetime) -> str:
    """'2026-10-04 13:00' (the minutes of ``t`` are not shown: data is hourly)."""
    return f"{t:%Y-%m-%d %H:00}"


def hour_utc(t: datetime) -> str:
    """'2026-10-04 13:00 UTC'."""
    return f"{hour(t)} UTC"


def minute(t: datetime) -> str:
    """'2026-10-04 13:37'."""
    return f"{t:%Y-%m-%d %H:%M}"


def window_bound(t: datetime, *, dates: bool) -> str:
    """A window bound as ``--window`` accepts it: '2026-10-04' when ``dates`` (both ends
    of the window fall on midnight), else '2026-10-04T13:00'."""
    return f"{t:%Y-%m-%d}" if dates else f"{t:%Y-%m-%dT%H:%M}"


def iso_hour(t: datetime) -> str:
    """'2026-10-04T13:00'."""
    return f"{t:%Y-%m-%dT%H:00}"


def rfc3339(t: datetime) -> str:
    """'2026-10-04T13:37:00Z'."""
    return f"{t:%Y-%m-%dT%H:%M:%SZ}"
