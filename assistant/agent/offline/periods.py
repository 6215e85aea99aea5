"""Natural-language periods ("last month", "Q3", "between Oct 1 and Oct 15") to UTC windows.

Every phrase resolves against an explicit ``now`` (``settings.current_time()``), so a
question asked in a test or an eval means the same window every time. Windows are
half-open ``[start, end)``; a named end day ("… and Oct 15") is included, so its window
ends at the next midnight. A month or quarter named without a year is the most recent
one that has started (in November 2026, "December" is December 2025), unless the question
is about the future ("how much will December cost?"): then it is the next one to end.

Month names are read through typos ("octobr", "septmber"): a word of five letters or
more within a small edit of a month's full name, starting with the same letter, is that
month, and the period says which word it read. Rolling windows ("past 7 days", "the last
2 weeks") end at the data's end when the data ends before now, and say so
(``Period.anchored``); "all our data" / "all time" is the whole span (kind ``all``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from assistant.windows import Window, month_window

__all__ = ["ALL_TIME_START", "MONTHS", "NUMBER_WORDS", "Period", "find_periods"]

#: the start of an "all the data" window; tools clamp it to what the warehouse holds
ALL_TIME_START = datetime(2000, 1, 1)

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
#: number words people write for a count ("top five", "past seven days")
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_NUMBERS = {"a": 1, "an": 1, **NUMBER_WORDS}
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"(?P<n>\d{1,3}|" + "|".join(_NUMBERS) + r")"


@dataclass(frozen=True)
class Period:
    window: Window
    phrase: str  # the words matched, as written
    start: int  # character span in the question
    end: int
    kind: str  # month | half | quarter | relative | day | week | range | to-date | all
    anchored: bool = False  # a rolling window moved back to end where the data ends
    typo: str | None = None  # the month name a misspelt word was read as


def _add_months(d: datetime, n: int) -> datetime:
    y, m = divmod(d.month - 1 + n, 12)
    return d.replace(year=d.year + y, month=m + 1, day=1)


def _shift_months(d: datetime, n: int) -> datetime:
    """The same day and hour ``n`` months away, clamped to the month's last day."""
    first = _add_months(d.replace(day=1), n)
    last_day = (_add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(d.day, last_day))


def _n(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text]


def _recent_month(month: int, year: str | None, now: datetime, future: bool = False) -> Window:
    if year:
        return month_window(int(year), month)
    if future:  # "how much will December cost?": the next December to end
        return month_window(now.year if month >= now.month else now.year + 1, month)
    y = now.year if month <= now.month else now.year - 1
    return month_window(y, month)


def _quarter(q: int, year: int) -> Window:
    start = datetime(year, 3 * (q - 1) + 1, 1)
    return Window(start, _add_months(start, 3))


def _recent_quarter(q: int, year: str | None, now: datetime) -> Window:
    if year:
        return _quarter(q, int(year))
    current = (now.month - 1) // 3 + 1
    return _quarter(q, now.year if q <= current else now.year - 1)


def _to_date(start: datetime, now: datetime) -> Window:
    """[start, now), at least one hour so 'this week' asked at Monday 00:00 still works."""
    return Window(start, max(now, start + timedelta(hours=1)))


def _day(mon: str, day: str, year: str | None, now: datetime) -> datetime:
    month = MONTHS[mon.lower().rstrip(".")]
    if year:
        return datetime(int(year), month, int(day))
    candidate = datetime(now.year, month, int(day))
    return candidate if candidate <= now else candidate.replace(year=now.year - 1)


def _iso_day(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d")


def _week_of(day: datetime) -> Window:
    """The calendar week (Monday to Sunday, UTC) holding ``day``: "the week of Oct 21"
    is that Monday-to-Monday week, as a weekly trend buckets it."""
    monday = day - timedelta(days=day.weekday())
    return Window(monday, monday + timedelta(weeks=1))


def _iso_week(week: int, year: str | None, now: datetime) -> Window:
    """ISO week ``week`` of ``year``, or the most recent such week that has started."""
    if year:
        start = datetime.fromisocalendar(int(year), week, 1)
    else:
        start = datetime.fromisocalendar(now.isocalendar().year, week, 1)
        if start > now:
            start = datetime.fromisocalendar(now.isocalendar().year - 1, week, 1)
    return Window(start, start + timedelta(weeks=1))


_FIRST = ("first", "1st", "early")


def _half(window: Window, which: str) -> Window:
    """The first or second half of a calendar month (days 1-15, then 16 to the end) or of
    a year (January-June, then July-December)."""
    if (window.end - window.start) > timedelta(days=62):  # a year
        middle = window.start.replace(month=7)
    else:
        middle = window.start + timedelta(days=15)
    return Window(window.start, middle) if which in _FIRST else Window(middle, window.end)


def _year(y: str | None, now: datetime, which: str) -> Window:
    """Year ``y``; without one the current year (the first half of this year, the second
    half of it once it has started, else last year's)."""
    year = int(y) if y else now.year
    if not y and which not in _FIRST and now < datetime(year, 7, 1):
        year -= 1
    return Window(datetime(year, 1, 1), datetime(year + 1, 1, 1))


def _relative(m: re.Match[str], now: datetime) -> Window:
    n = _n(m.group("n").lower())
    unit = m.group("unit").lower().rstrip("s")
    if n < 1:
        raise ValueError("empty period")
    if unit == "month":
        return Window(_shift_months(now, -n), now)
    step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}[unit]
    return Window(now - n * step, now)


def _range(m: re.Match[str], now: datetime) -> Window:
    g = m.groupdict()
    if g.get("iso1"):
        start, last = _iso_day(g["iso1"]), _iso_day(g["iso2"])
        if g.get("sep") == "..":  # the tools' own notation: end exclusive
            return Window(start, last)
    else:
        mon2 = g.get("mon2") or g["mon1"]
        start = _day(g["mon1"], g["d1"], g.get("y1") or g.get("y2"), now)
        last = _day(mon2, g["d2"], g.get("y2") or g.get("y1"), now)
        if last < start and not (g.get("y1") or g.get("y2")):
            start = start.replace(year=start.year - 1)
    return Window(start, last + timedelta(days=1))


def _rules(now: datetime, future: bool = False) -> list[tuple[str, str, object]]:
    today = now.replace(hour=0)
    monday = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    q_start = month_start.replace(month=3 * ((now.month - 1) // 3) + 1)
    day_re = r"(?P<d{i}>\d{{1,2}})(?:st|nd|rd|th)?"
    mon_day = (
        r"(?P<mon1>"
        + "|".join(sorted(MONTHS, key=len, reverse=True))
        + r")\.?\s+"
        + day_re.format(i=1)
        + r"(?:,?\s+(?P<y1>\d{4}))?"
    )
    second = (
        r"(?:(?P<mon2>"
        + "|".join(sorted(MONTHS, key=len, reverse=True))
        + r")\.?\s+)?"
        + day_re.format(i=2)
        + r"(?:,?\s+(?P<y2>\d{4}))?"
    )
    iso = (
        r"(?P<iso1>\d{4}-\d{2}-\d{2})\s*(?P<sep>\.\.|to|and|-|until|through)\s*"
        r"(?P<iso2>\d{4}-\d{2}-\d{2})"
    )
    return [
        (
            "all",
            r"\b(?:(?:across|over|in|for|from|through) )?(?:all|the whole|the entire|entire) "
            r"(?:of )?(?:our |the |my )?(?:billing |cost |bill )?(?:data|history|records|time)\b|"
            r"\ball[- ]time\b|\bsince (?:the )?(?:start|beginning)\b|\bever\b|\blifetime\b",
            lambda m: Window(ALL_TIME_START, max(now, ALL_TIME_START + timedelta(hours=1))),
        ),
        ("range", r"(?:between|from)?\s*" + iso, lambda m: _range(m, now)),
        (
            "range",
            r"(?:between|from)\s+" + mon_day + r"\s+(?:and|to|until|through|-)\s+" + second,
            lambda m: _range(m, now),
        ),
        (
            "week",
            r"\b(?:the )?week (?:of|starting|beginning|from|commencing) "
            r"(?:(?P<iso>\d{4}-\d{2}-\d{2})|"
            + mon_day.replace("mon1", "mon").replace("d1", "d").replace("y1", "y")
            + r")\b",
            lambda m: _week_of(
                _iso_day(m.group("iso"))
                if m.group("iso")
                else _day(m.group("mon"), m.group("d"), m.group("y"), now)
            ),
        ),
        (
            "half",
            r"\b(?:the )?(?P<which>first|1st|second|2nd|latter) half of (?:the month of )?"
            + _MONTH
            + r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?\b",
            lambda m: _half(
                _recent_month(MONTHS[m.group("mon").lower()], m.group("y"), now, future),
                m.group("which"),
            ),
        ),
        (
            "half",
            r"\b(?:the )?(?P<which>first|1st|second|2nd|latter) half of (?P<rel>last|the "
            r"previous|previous|this) month\b",
            lambda m: _half(
                month_window(_add_months(month_start, -1).year, _add_months(month_start, -1).month)
                if m.group("rel") != "this"
                else month_window(month_start.year, month_start.month),
                m.group("which"),
            ),
        ),
        (
            "half",
            r"\b(?:the )?(?P<which>first|1st|second|2nd|latter) half of (?:(?P<y>\d{4})|"
            r"(?:the |this )year)\b",
            lambda m: _half(_year(m.group("y"), now, m.group("which")), m.group("which")),
        ),
        (
            "half",
            r"\bh(?P<h>[12])\s+(?P<y>\d{4})\b",
            lambda m: _half(
                _year(m.group("y"), now, "first"), "first" if m.group("h") == "1" else "second"
            ),
        ),
        (
            "week",
            r"\b(?:iso |calendar )?week (?:no\.? |number |#)?(?P<w>\d{1,2})"
            r"(?:,?\s+(?:of\s+|in\s+)?(?P<y>\d{4}))?\b",
            lambda m: _iso_week(int(m.group("w")), m.group("y"), now),
        ),
        (
            "day",
            r"\b(?:on\s+)?(?P<iso>\d{4}-\d{2}-\d{2})\b",
            lambda m: Window(
                _iso_day(m.group("iso")), _iso_day(m.group("iso")) + timedelta(days=1)
            ),
        ),
        (
            "to-date",
            r"\b(?:month[- ]to[- ]date|mtd|so far this month|this month so far)\b",
            lambda m: _to_date(month_start, now),
        ),
        (
            "to-date",
            r"\b(?:year[- ]to[- ]date|ytd|this year)\b",
            lambda m: _to_date(today.replace(month=1, day=1), now),
        ),
        ("to-date", r"\bthis month\b", lambda m: _to_date(month_start, now)),
        ("to-date", r"\bthis week\b", lambda m: _to_date(monday, now)),
        ("to-date", r"\bthis quarter\b", lambda m: _to_date(q_start, now)),
        (
            "month",
            r"\b(?:last|previous|past|prior) month\b",
            lambda m: month_window(
                _add_months(month_start, -1).year, _add_months(month_start, -1).month
            ),
        ),
        (
            "month",
            r"\b(?:the )?month before last\b",
            lambda m: month_window(
                _add_months(month_start, -2).year, _add_months(month_start, -2).month
            ),
        ),
        (
            "week",
            r"\b(?:last|previous|prior) week\b",
            lambda m: Window(monday - timedelta(days=7), monday),
        ),
        (
            "quarter",
            r"\b(?:last|previous|prior) quarter\b",
            lambda m: Window(_add_months(q_start, -3), q_start),
        ),
        (
            "relative",
            r"\b(?:in the |over the |during the |for the )?(?:past|last|previous|"
            r"trailing)\s+" + _NUM + r"\s+(?P<unit>hours?|days?|weeks?|months?)\b",
            lambda m: _relative(m, now),
        ),
        (
            "relative",
            r"\b(?:the )?past (?P<unit>hour|day|week)\b",
            lambda m: Window(
                now
                - {
                    "hour": timedelta(hours=1),
                    "day": timedelta(days=1),
                    "week": timedelta(weeks=1),
                }[m.group("unit")],
                now,
            ),
        ),
        (
            "relative",
            r"\b(?P<n>\d{1,3})\s*(?P<unit>[hdw])\b",
            lambda m: Window(
                now
                - int(m.group("n"))
                * {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}[
                    m.group("unit")
                ],
                now,
            ),
        ),
        ("day", r"\byesterday\b", lambda m: Window(today - timedelta(days=1), today)),
        ("day", r"\btoday\b", lambda m: _to_date(today, now)),
        (
            "day",
            r"\bon\s+" + mon_day.replace("mon1", "mon").replace("d1", "d").replace("y1", "y"),
            lambda m: Window(
                _day(m.group("mon"), m.group("d"), m.group("y"), now),
                _day(m.group("mon"), m.group("d"), m.group("y"), now) + timedelta(days=1),
            ),
        ),
        (
            "quarter",
            r"\bq(?P<q>[1-4])(?:\s*(?:of\s+)?(?P<y>\d{4}))?\b",
            lambda m: _recent_quarter(int(m.group("q")), m.group("y"), now),
        ),
        (
            "month",
            r"\b(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])\b(?!-)",
            lambda m: month_window(int(m.group("y")), int(m.group("m"))),
        ),
        (
            "to-date",
            r"\bsince\s+" + _MONTH + r"(?:\s+(?P<y>\d{4}))?\b",
            lambda m: _to_date(
                _recent_month(MONTHS[m.group("mon").lower()], m.group("y"), now).start, now
            ),
        ),
        (
            "month",
            r"\b" + _MONTH + r"(?:\s+(?:of\s+)?(?P<y>\d{4}))?\b",
            lambda m: _recent_month(MONTHS[m.group("mon").lower()], m.group("y"), now, future),
        ),
    ]


#: short month names that are also ordinary words: only a month next to a period cue
_AMBIGUOUS = {
    "may",
    "march",
    "mar",
    "jun",
    "jan",
    "dec",
    "sep",
    "oct",
    "nov",
    "aug",
    "apr",
    "feb",
    "jul",
}
_CUE = re.compile(
    r"\b(?:in|of|for|during|since|vs\.?|versus|and|to|than|from|with|"
    r"about|over|is|was)$"
)


_FULL_MONTHS = [m for m in MONTHS if len(m) > 4 or m in ("june", "july")]
_WORD = re.compile(r"[a-z]+")


def _typo_months(lowered: str, now: datetime, future: bool) -> list[Period]:
    """Misspelt month names: a word of 5+ letters, not itself a month, that starts like
    a month's full name and is within a small edit of it ("octobr", "septmber")."""
    found = []
    for m in _WORD.finditer(lowered):
        word = m.group(0)
        if len(word) < 5 or word in MONTHS:
            continue
        best = max(
            (
                (difflib.SequenceMatcher(None, word, full).ratio(), full)
                for full in _FULL_MONTHS
                if full[0] == word[0]
            ),
            default=(0.0, ""),
        )
        if best[0] >= 0.8:
            year = re.match(r"\s+(?:of\s+)?(\d{4})\b", lowered[m.end() :])
            end = m.end() + (year.end() if year else 0)
            window = _recent_month(MONTHS[best[1]], year.group(1) if year else None, now, future)
            found.append(
                Period(window, lowered[m.start() : end], m.start(), end, "month", typo=best[1])
            )
    return found


def _anchor(p: Period, now: datetime, data_end: datetime | None) -> Period:
    """A rolling window ending now moves back to end where the data ends."""
    if data_end is None or data_end >= now or p.kind != "relative" or p.window.end != now:
        return p
    length = p.window.end - p.window.start
    return replace(p, window=Window(data_end - length, data_end), anchored=True)


def find_periods(
    text: str, now: datetime, *, future: bool = False, data_end: datetime | None = None
) -> list[Period]:
    """Every period phrase in ``text``, in reading order, non-overlapping (longest rule wins
    by rule order). ``now`` is naive UTC, hour-aligned; ``future`` reads month names as the
    next ones to end; ``data_end`` (the hour after the last data) anchors rolling windows."""
    now = now.replace(minute=0, second=0, microsecond=0)
    taken: list[tuple[int, int]] = []
    found: list[Period] = []
    lowered = text.lower()
    for kind, pattern, build in _rules(now, future):
        for m in re.finditer(pattern, lowered):
            s, e = m.span()
            while s < e and lowered[s].isspace():
                s += 1
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind == "month" and m.groupdict().get("mon"):
                word = m.group("mon").lower()
                before = lowered[:s].rstrip()
                if word in _AMBIGUOUS and not m.group("y") and not _CUE.search(before):
                    continue
            try:
                window = build(m)  # type: ignore[operator]
            except (ValueError, KeyError):
                continue
            taken.append((s, e))
            found.append(_anchor(Period(window, text[s:e], s, e, kind), now, data_end))
    for p in _typo_months(lowered, now, future):
        if not any(p.start < te and ts < p.end for ts, te in taken):
            taken.append((p.start, p.end))
            found.append(replace(p, phrase=text[p.start : p.end]))
    found += _bare_halves(text, lowered, taken, found)
    # a half in progress ends now, as "this month" does
    found = [
        replace(p, window=Window(p.window.start, now))
        if p.kind == "half" and p.window.start < now < p.window.end
        else p
        for p in found
    ]
    return sorted(found, key=lambda p: p.start)


_BARE_HALF = re.compile(r"\b(?:the )?(?P<which>first|1st|second|2nd|latter|other) half\b")


def _bare_halves(
    text: str, lowered: str, taken: list[tuple[int, int]], found: list[Period]
) -> list[Period]:
    """ "the first half of October with the second half": a half without its month is of
    the month the question names (the nearest before it, else after it). Without one it
    is not a period at all: it is said back as not understood, never guessed."""
    months = sorted(
        (p for p in found if p.kind in ("month", "half")
         and p.window.end - p.window.start <= timedelta(days=31)),
        key=lambda p: p.start,
    )  # fmt: skip
    out = []
    for m in _BARE_HALF.finditer(lowered):
        s, e = m.span()
        if any(s < te and ts < e for ts, te in taken) or not months:
            continue
        before = [p for p in months if p.end <= s]
        month = before[-1] if before else months[0]
        whole = month.window
        if month.kind == "half":  # "the first half of October and the second half"
            whole = month_window(whole.start.year, whole.start.month)
        which = m.group("which")
        if which == "other":
            which = (
                "second" if month.kind == "half" and month.window.start == whole.start else "first"
            )
        out.append(Period(_half(whole, which), text[s:e], s, e, "half"))
    return out
