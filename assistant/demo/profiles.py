"""Load curves: the shapes usage follows over a day and a week.

Kept deterministic (no noise) so HPA replica counts, and therefore pod counts and
planted replica-hours, are exact functions of the hour; noise is added per sample in
:mod:`assistant.demo.usage`.
"""

from __future__ import annotations

import math
from datetime import datetime

__all__ = ["hpa_replicas", "traffic"]


def traffic(when: datetime) -> float:
    """Web traffic in 0..1: trough at 03:00 UTC, peak at 15:00, weekends at 60%."""
    hod = when.hour + when.minute / 60.0
    daily = 0.5 - 0.5 * math.cos(2 * math.pi * (hod - 3.0) / 24.0)
    return daily * (0.6 if when.weekday() >= 5 else 1.0)


def hpa_replicas(when: datetime, base: int, span: int, lo: int, hi: int) -> int:
    """What an HPA on CPU settles at: base + span x traffic, clamped to [lo, hi]."""
    want = base + round(span * traffic(when))
    return max(lo, min(hi, want))
