"""Time windows: UTC, half-open ``[start, end)``, hour-aligned.

Tools and queries only ever take a :class:`Window`; relative phrases ("last month",
"7d") are resolved here against an explicit ``now`` so results are reproducible and
testable. Natural-language phrasing for the offline engine builds on :func:`parse_window`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from assistant.core.timestamps import minute, window_bound
from assistant.errors import InputError

__all__ = ["EARLIEST", "LATEST", "Window", "month_window", "parse_window", "utcnow"]

#: the span of time Penny stores and answers about; anything outside is a typo or a
#: unit error (milliseconds read as seconds, a 1900 default date), refused at the edge
EARLIEST = datetime(2000, 1, 1)
LATEST = datetime(2101, 1, 1)  # through the year 2100


def utcnow() -> datetime:
    """Naive UTC now, truncated to the hour (the warehouse stores naive UTC timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Window:
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive

    def __post_init__(self) -> None:
        if self.start < EARLIEST or self.end > LATEST:
            raise InputError(
                f"Window {self.start:%Y-%m-%d}..{self.end:%Y-%m-%d} is outside the "
                f"{EARLIEST:%Y}..{LATEST.year - 1} range Penny keeps costs for.",
                hint="Ask about a period between those years, e.g. 2026-10 or last-month.",
            )
        if self.end <= self.start:
            raise InputError(
                f"Window end {minute(self.end)} is not after start {minute(self.start)}.",
                hint="Use START..END with END later than START.",
            )

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def days(self) -> float:
        return self.hours / 24.0

    def label(self) -> str:
        """Human label: '2026-10' for a calendar month, else 'START..END' (end exclusive)."""
        s, e = self.start, self.end
        if s.day == 1 and s.hour == 0 and e == _add_months(s, 1):
            return f"{s:%Y-%m}"
        dates = s.hour == 0 and e.hour == 0
        return f"{window_bound(s, dates=dates)}..{window_bound(e, dates=dates)}"

    def to_dict(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat() + "Z",
            "end": self.end.isoformat() + "Z",
            "label": self.label(),
        }

    def previous(self) -> Window:
        """The window of equal length just before (a calendar month maps to the prior month)."""
        s = self.start
        if s.day == 1 and s.hour == 0 and self.end == _add_months(s, 1):
            return month_window(_add_months(s, -1).year, _add_months(s, -1).month)
        return Window(self.start - (self.end - self.start), self.start)


def _add_months(d: datetime, n: int) -> datetime:
    y, m = divmod(d.month - 1 + n, 12)
    return d.replace(year=d.year + y, month=m + 1, day=1)


def month_window(year: int, month: int) -> Window:
    if not 1 <= month <= 12:
        raise InputError(f"Month {month} is not 1..12.")
    if not EARLIEST.year <= year < LATEST.year:
        raise InputError(
            f"{year:04d}-{month:02d} is outside the {EARLIEST:%Y}..{LATEST.year - 1} range Penny "
            "keeps costs for.",
            hint="Ask about a month between those years, e.g. 2026-10 or last-month.",
        )
    start = datetime(year, month, 1)
    return Window(start, _add_months(start, 1))


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_REL_RE = re.compile(r"^(\d{1,4})([hdw])$")


def _parse_instant(text: str) -> datetime:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"Cannot read {text!r} as a date or time.",
            hint="Use YYYY-MM-DD or an ISO 8601 time such as 2026-10-01T00:00Z.",
        ) from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def parse_window(text: str, *, now: datetime | None = None) -> Window:
    """Parse 'YYYY-MM', 'last-month', 'this-month', 'Nd'/'Nh'/'Nw', 'today', 'yesterday',
    or 'START..END' (dates or ISO times, end exclusive). Relative forms end at ``now``."""
    now = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    raw = text.strip().lower()
    if not raw:
        raise InputError("Empty window.", hint="Try 2026-10, last-month, 7d or START..END.")
    if m := _MONTH_RE.match(raw):
        return month_window(int(m.group(1)), int(m.group(2)))
    if raw in {"last-month", "last_month", "lastmonth"}:
        prev = _add_months(now.replace(day=1, hour=0), -1)
        return month_window(prev.year, prev.month)
    if raw in {"this-month", "mtd", "month-to-date"}:
        start = now.replace(day=1, hour=0)
        return Window(start, max(now, start + timedelta(hours=1)))
    today = now.replace(hour=0)
    if raw == "today":
        return Window(today, today + timedelta(days=1))
    if raw == "yesterday":
        return Window(today - timedelta(days=1), today)
    if m := _REL_RE.match(raw):
        n = int(m.group(1))
        if n == 0:
            raise InputError(f"Window {text!r} is empty.", hint="Use at least 1h, 1d or 1w.")
        unit = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
        if n * unit[m.group(2)] > now - EARLIEST:
            raise InputError(
                f"Window {text!r} reaches back before {EARLIEST:%Y}.",
                hint="Use a shorter span, e.g. 30d or 12w.",
            )
        return Window(now - n * unit[m.group(2)], now)
    if ".." in raw:
        left, _, right = text.strip().partition("..")
        return Window(_parse_instant(left.strip()), _parse_instant(right.strip()))
    raise InputError(
        f"Cannot read window {text!r}.",
        hint="Use YYYY-MM (2026-10), last-month, this-month, 7d, 24h, 2w, today, yesterday, "
        "or START..END (2026-10-01..2026-10-15, end exclusive).",
    )
