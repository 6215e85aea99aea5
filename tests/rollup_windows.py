"""Random windows over a warehouse's allocated hours, for the rollup-vs-hours properties.

Half are whole UTC days (read from a rollup alone), half any run of hours from one hour to
35 days (partial first and last days read from the hours, and windows past the data).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import strategies as st

from assistant.windows import Window

__all__ = ["windows"]

HOUR = timedelta(hours=1)


@st.composite
def windows(draw: st.DrawFn, first: datetime, hours: int) -> Window:
    """A window starting in the ``hours`` allocated hours from ``first``."""
    start = draw(st.integers(0, hours - 1))
    if draw(st.booleans()):  # whole days: the rollup alone
        start -= (first + start * HOUR).hour
        length = 24 * draw(st.integers(1, 31))
    else:
        length = draw(st.integers(1, 24 * 35))
    s = first + max(0, start) * HOUR
    return Window(s, s + length * HOUR)
