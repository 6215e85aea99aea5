"""Per-token rate limiting: a token bucket per key, refilled continuously.

A bucket holds ``rate`` requests and refills at ``rate`` per minute, so a client may burst
up to its per-minute allowance and then proceeds at the steady rate. The clock is
injectable so tests step time instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from assistant.errors import PennyError

__all__ = ["RateLimited", "RateLimiter"]


class RateLimited(PennyError):
    code = "rate_limited"
    http_status = 429


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def check(self, key: str, rate_per_minute: int) -> None:
        """Take one request from ``key``'s bucket, or raise RateLimited with retry_after_s."""
        now = self._clock()
        per_second = rate_per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(rate_per_minute), now))
            tokens = min(float(rate_per_minute), tokens + (now - last) * per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / per_second)
                raise RateLimited(
                    f"Rate limit of {rate_per_minute} requests per minute reached.",
                    hint=f"Retry in {wait} s, or raise rate_per_minute for this token.",
                    retry_after_s=wait,
                )
            self._buckets[key] = (tokens - 1.0, now)
