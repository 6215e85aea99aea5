"""How far an AI-usage export may reach: its times, its buckets, its amounts.

A re-import replaces the source's rows in the file's own time range, so a wrong time is
not a wrong row but a deleted history: one bucket with ``start_time: -1`` once made the
range start in 1969 and replaced every earlier month. Times must lie in the years Penny
keeps (2000..2100), a bucket must end after it starts and last at most a month, the whole
file may span at most ``MAX_SPAN``, and one amount may not reach ``MAX_AMOUNT``. Each
rule returns what is wrong (for the reader to report with the field), or None.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from assistant.core.timestamps import minute
from assistant.windows import EARLIEST, LATEST

__all__ = [
    "MAX_AMOUNT",
    "MAX_BUCKET",
    "MAX_SPAN",
    "amount_problem",
    "bucket_problem",
    "span_problem",
    "unix_time",
]

MAX_BUCKET = timedelta(days=31)
MAX_SPAN = timedelta(days=400)
#: no single AI cost line is a billion (of any currency)
MAX_AMOUNT = Decimal(10**9)

_EARLIEST_S = int((EARLIEST - datetime(1970, 1, 1)).total_seconds())
_LATEST_S = int((LATEST - datetime(1970, 1, 1)).total_seconds())


def unix_time(value: int) -> tuple[datetime | None, str | None]:
    """Unix seconds as naive UTC, or why they are not a plausible time."""
    if not _EARLIEST_S <= value < _LATEST_S:
        unit = (
            " (milliseconds? the field is in seconds)"
            if _EARLIEST_S * 1000 <= value < _LATEST_S * 1000
            else ""
        )
        return None, (
            f"{value} is not a time between {EARLIEST:%Y} and {LATEST.year - 1} in Unix "
            f"seconds{unit}"
        )
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None), None


def time_problem(value: datetime) -> str | None:
    if not EARLIEST <= value < LATEST:
        return f"{minute(value)} is outside {EARLIEST:%Y}..{LATEST.year - 1}"
    return None


def bucket_problem(start: datetime, end: datetime) -> str | None:
    if end <= start:
        return f"the bucket ends ({minute(end)}) before it starts ({minute(start)})"
    if end - start > MAX_BUCKET:
        return (
            f"the bucket spans {(end - start).days} days ({start:%Y-%m-%d}..{end:%Y-%m-%d}); "
            f"buckets are at most {MAX_BUCKET.days} days"
        )
    return None


def span_problem(start: datetime, end: datetime) -> str | None:
    """The file's whole range, which a re-import replaces: bounded, so it cannot erase
    history the file does not hold."""
    if end - start > MAX_SPAN:
        return (
            f"the buckets span {start:%Y-%m-%d}..{end:%Y-%m-%d} ({(end - start).days} days); "
            f"one import may cover at most {MAX_SPAN.days} days, because re-importing "
            "replaces that whole range"
        )
    return None


def amount_problem(value: Decimal) -> str | None:
    if abs(value) >= MAX_AMOUNT:
        return f"{value} is beyond the {MAX_AMOUNT:,} one cost line can hold"
    return None
