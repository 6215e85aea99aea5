"""Windows are UTC half-open [start, end); relative forms resolve against a pinned now."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.errors import InputError
from assistant.windows import Window, month_window, parse_window

NOW = datetime(2026, 11, 27, 21)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-10", datetime(2026, 10, 1), datetime(2026, 11, 1)),
        ("2026-12", datetime(2026, 12, 1), datetime(2027, 1, 1)),
        ("last-month", datetime(2026, 10, 1), datetime(2026, 11, 1)),
        ("this-month", datetime(2026, 11, 1), datetime(2026, 11, 27, 21)),
        ("7d", datetime(2026, 11, 20, 21), datetime(2026, 11, 27, 21)),
        ("24h", datetime(2026, 11, 26, 21), datetime(2026, 11, 27, 21)),
        ("2w", datetime(2026, 11, 13, 21), datetime(2026, 11, 27, 21)),
        ("today", datetime(2026, 11, 27), datetime(2026, 11, 28)),
        ("yesterday", datetime(2026, 11, 26), datetime(2026, 11, 27)),
        ("2026-10-01..2026-10-15", datetime(2026, 10, 1), datetime(2026, 10, 15)),
        (
            "2026-10-01T06:00Z..2026-10-01T12:00+02:00",
            datetime(2026, 10, 1, 6),
            datetime(2026, 10, 1, 10),
        ),
    ],
)
def test_parse_window(text: str, start: datetime, end: datetime) -> None:
    assert parse_window(text, now=NOW) == Window(start, end)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty window"),
        ("0d", "is empty"),
        ("2026-13", "Month 13 is not 1..12"),
        ("2026-10-15..2026-10-01", "is not after start"),
        ("last fortnight", "Cannot read window"),
        ("2026-10-99..2026-11-01", "Cannot read '2026-10-99'"),
    ],
)
def test_bad_windows_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_window(text, now=NOW)


def test_previous_of_a_month_is_the_calendar_month_before() -> None:
    # March has 31 days, February 2026 has 28: previous() must not be "31 days earlier".
    assert month_window(2026, 3).previous() == month_window(2026, 2)
    assert month_window(2026, 1).previous() == month_window(2025, 12)


def test_labels_and_hours() -> None:
    w = month_window(2026, 2)
    assert w.label() == "2026-02"
    assert w.hours == 28 * 24
    assert parse_window("7d", now=NOW).label() == "2026-11-20T21:00..2026-11-27T21:00"
