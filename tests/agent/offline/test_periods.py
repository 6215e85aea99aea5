"""Natural-language periods resolve to exact UTC half-open windows against a pinned now.

Now is Friday 2026-11-27 00:00 UTC (the demo's end); Monday of that week is 2026-11-23.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.agent.offline.periods import find_periods

NOW = datetime(2026, 11, 27)


def d(text: str) -> datetime:
    return datetime.fromisoformat(text)


CASES = [
    # phrase                              start                 end (exclusive)
    ("last month", "2026-10-01", "2026-11-01"),
    ("previous month", "2026-10-01", "2026-11-01"),
    ("October", "2026-10-01", "2026-11-01"),
    ("in September 2026", "2026-09-01", "2026-10-01"),
    ("costs in Sept", "2026-09-01", "2026-10-01"),
    ("in oct", "2026-10-01", "2026-11-01"),
    ("December", "2025-12-01", "2026-01-01"),  # not started yet this year -> last year
    ("2026-10", "2026-10-01", "2026-11-01"),
    ("past 7 days", "2026-11-20", "2026-11-27"),
    ("last seven days", "2026-11-20", "2026-11-27"),
    ("last 2 weeks", "2026-11-13", "2026-11-27"),
    ("past 24 hours", "2026-11-26", "2026-11-27"),
    ("the past week", "2026-11-20", "2026-11-27"),
    ("7d", "2026-11-20", "2026-11-27"),
    ("last 3 months", "2026-08-27", "2026-11-27"),
    ("Q3", "2026-07-01", "2026-10-01"),
    ("Q3 2025", "2025-07-01", "2025-10-01"),
    ("Q4", "2026-10-01", "2027-01-01"),
    ("last quarter", "2026-07-01", "2026-10-01"),
    ("this quarter", "2026-10-01", "2026-11-27"),
    ("yesterday", "2026-11-26", "2026-11-27"),
    ("today", "2026-11-27", "2026-11-27T01:00"),  # at least one hour
    ("this week", "2026-11-23", "2026-11-27"),  # Monday to now
    ("last week", "2026-11-16", "2026-11-23"),  # the previous Monday..Monday
    ("this month", "2026-11-01", "2026-11-27"),
    ("month to date", "2026-11-01", "2026-11-27"),
    ("MTD", "2026-11-01", "2026-11-27"),
    ("since September", "2026-09-01", "2026-11-27"),
    ("between Oct 1 and Oct 15", "2026-10-01", "2026-10-16"),  # named end day included
    ("from October 3rd to 5th", "2026-10-03", "2026-10-06"),
    ("between Dec 20 and Jan 5", "2025-12-20", "2026-01-06"),
    ("from 2026-10-01 to 2026-10-15", "2026-10-01", "2026-10-16"),
    ("2026-10-01..2026-10-15", "2026-10-01", "2026-10-15"),  # the tools' notation: exclusive
    ("on Oct 3", "2026-10-03", "2026-10-04"),
    ("on 2026-10-19", "2026-10-19", "2026-10-20"),  # one ISO date: that day
    # "the week of" a day: its Monday-to-Monday week (2026-10-21 is a Wednesday)
    ("the week of 2026-10-21", "2026-10-19", "2026-10-26"),
    ("the week of Oct 21", "2026-10-19", "2026-10-26"),
    ("week starting Nov 2", "2026-11-02", "2026-11-09"),
    # ISO week numbers: week 1 of 2026 starts Monday 2025-12-29 (ISO 8601: the week
    # holding the year's first Thursday); a week not begun this year is last year's
    ("week 43 of 2026", "2026-10-19", "2026-10-26"),
    ("week 1 of 2026", "2025-12-29", "2026-01-05"),
    ("week 50", "2025-12-08", "2025-12-15"),
    # halves: of a month, days 1-15 and 16 to the end; of a year, January-June and
    # July-December; a half in progress ends now
    ("in the first half of October", "2026-10-01", "2026-10-16"),
    ("the second half of October", "2026-10-16", "2026-11-01"),
    ("second half of Feb 2026", "2026-02-16", "2026-03-01"),
    ("the second half of last month", "2026-10-16", "2026-11-01"),
    ("the second half of this month", "2026-11-16", "2026-11-27"),
    ("the first half of 2026", "2026-01-01", "2026-07-01"),
    ("H2 2025", "2025-07-01", "2026-01-01"),
]


@pytest.mark.parametrize(("phrase", "start", "end"), CASES)
def test_phrase_resolves_to_exact_window(phrase: str, start: str, end: str) -> None:
    found = find_periods(f"what did we spend {phrase}?", NOW)
    assert [(p.window.start, p.window.end) for p in found] == [(d(start), d(end))]


def test_a_half_without_its_month_is_of_the_month_the_question_names() -> None:
    """ "the first half of October with the second half": the second half is October's."""
    found = find_periods("compare the first half of October with the second half", NOW)
    assert [p.window.label() for p in found] == ["2026-10-01..2026-10-16", "2026-10-16..2026-11-01"]
    found = find_periods("the first half of September and the other half", NOW)
    assert [p.window.label() for p in found] == ["2026-09-01..2026-09-16", "2026-09-16..2026-10-01"]


def test_two_periods_in_reading_order() -> None:
    found = find_periods("compare October vs September", NOW)
    assert [p.window.label() for p in found] == ["2026-10", "2026-09"]
    assert [p.phrase for p in found] == ["October", "September"]


@pytest.mark.parametrize(
    "text",
    [
        "may I ask something",
        "top namespaces",
        "march on",
        "what did the data team spend",
        "nothing here",
        "what did we spend in the first half",  # of what: said back, never guessed
    ],
)
def test_words_that_are_not_periods(text: str) -> None:
    assert find_periods(text, NOW) == []


def test_phrase_span_points_at_the_words() -> None:
    text = "what did payments cost last month?"
    (p,) = find_periods(text, NOW)
    assert text[p.start : p.end] == "last month" and p.kind == "month"


@given(
    st.integers(min_value=1, max_value=400),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_relative_days_end_at_now_and_span_n_days(n: int, now: datetime) -> None:
    # invariant: "past N days" is [now - N days, now) for the hour-truncated now
    now = now.replace(minute=0, second=0, microsecond=0)
    (p,) = find_periods(f"past {n} days", now)
    assert p.window.end == now and p.window.hours == n * 24


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=2000, max_value=2100))
def test_named_month_with_year_is_that_calendar_month(month: int, year: int) -> None:
    names = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    (p,) = find_periods(f"in {names[month - 1]} {year}", NOW)
    assert (p.window.start.year, p.window.start.month, p.window.start.day) == (year, month, 1)
    assert p.window.label() == f"{year}-{month:02d}"
