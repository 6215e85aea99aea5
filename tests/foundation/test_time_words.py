"""Each way Penny shows a time, by name (assistant.core.timestamps), on fixed times."""

from __future__ import annotations

from datetime import datetime

from assistant.core.timestamps import hour, hour_utc, iso_hour, minute, rfc3339, window_bound
from assistant.windows import Window

T = datetime(2026, 10, 4, 13, 37, 9)
MIDNIGHT = datetime(2026, 10, 4)


def test_each_name_spells_one_format() -> None:
    assert hour(T) == "2026-10-04 13:00"
    assert hour_utc(T) == "2026-10-04 13:00 UTC"
    assert minute(T) == "2026-10-04 13:37"
    assert iso_hour(T) == "2026-10-04T13:00"
    assert rfc3339(T) == "2026-10-04T13:37:09Z"
    assert window_bound(MIDNIGHT, dates=True) == "2026-10-04"
    assert window_bound(T, dates=False) == "2026-10-04T13:37"


def test_a_window_label_uses_dates_only_when_both_ends_are_midnight() -> None:
    assert Window(MIDNIGHT, datetime(2026, 10, 11)).label() == "2026-10-04..2026-10-11"
    assert Window(MIDNIGHT, datetime(2026, 10, 11, 6)).label() == (
        "2026-10-04T00:00..2026-10-11T06:00"
    )
