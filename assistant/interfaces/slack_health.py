"""Whether the Slack API answers, and reconnecting with backoff when it does not.

Slack being unreachable (or answering 503) when `penny serve` starts must not stop the web
page and the API, so the bot never calls Slack while being built. A background thread
checks the token with ``auth.test``, waits ``retry_initial_s`` after a failure, doubling
up to ``retry_max_s``, and records each outcome here; ``/healthz``, ``/readyz`` and
``/v1/status`` read it. A refused token (``invalid_auth``) is retried too, at the same
pace: the operator may fix the app in Slack without restarting Penny.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["SlackHealth", "backoff_delays", "keep_connected"]

log = logging.getLogger("penny.slack")

State = Literal["connecting", "ok", "degraded"]


def backoff_delays(initial_s: float, max_s: float) -> Iterator[float]:
    """initial, 2×initial, 4×initial, … capped at ``max_s``, forever."""
    delay = min(initial_s, max_s)
    while True:
        yield delay
        delay = min(delay * 2, max_s)


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


@dataclass
class _Snapshot:
    state: State = "connecting"
    attempts: int = 0
    last_error: str | None = None
    last_error_at: str | None = None
    connected_at: str | None = None
    next_retry_s: float | None = None
    team: str | None = None
    bot_user: str | None = None


class SlackHealth:
    """The bot's view of Slack, thread-safe; ``to_dict()`` is what status pages show."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._s = _Snapshot()
        self.connected = threading.Event()

    @property
    def state(self) -> State:
        with self._lock:
            return self._s.state

    def attempt_failed(self, error: str, retry_in_s: float) -> None:
        with self._lock:
            self._s.attempts += 1
            self._s.state = "degraded"
            self._s.last_error, self._s.last_error_at = error[:500], _now()
            self._s.next_retry_s = retry_in_s
        self.connected.clear()

    def attempt_ok(self, team: str | None, bot_user: str | None) -> None:
        with self._lock:
            self._s.attempts += 1
            self._s.state = "ok"
            self._s.connected_at = _now()
            self._s.next_retry_s = None
            self._s.team, self._s.bot_user = team, bot_user
        self.connected.set()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            s = self._s
            return {
                "state": s.state,
                "attempts": s.attempts,
                "last_error": s.last_error,
                "last_error_at": s.last_error_at,
                "connected_at": s.connected_at,
                "next_retry_s": s.next_retry_s,
                "team": s.team,
                "bot_user": s.bot_user,
            }


def keep_connected(
    check: Callable[[], Any],
    health: SlackHealth,
    stop: threading.Event,
    *,
    initial_s: float,
    max_s: float,
) -> None:
    """Call ``check`` (auth.test) until it succeeds, waiting longer after each failure.

    Returns once connected, or when ``stop`` is set.
    """
    delays = backoff_delays(initial_s, max_s)
    while not stop.is_set():
        try:
            reply = check()
        except Exception as exc:  # URLError, a 503 page, invalid_auth: all mean "not yet"
            wait = next(delays)
            error = _describe(exc)
            health.attempt_failed(error, wait)
            log.warning("Slack API not usable (%s); retrying in %.1f s", error, wait)
            stop.wait(wait)
            continue
        info = reply if hasattr(reply, "get") else {}
        health.attempt_ok(info.get("team") or info.get("team_id"), info.get("user_id"))
        log.warning("Connected to Slack as %s in %s", info.get("user"), info.get("team"))
        return


def _describe(exc: Exception) -> str:
    """A short reason: Slack's error code, the HTTP status, or the network error."""
    response = getattr(exc, "response", None)
    if response is not None:
        status = getattr(response, "status_code", None)
        data = getattr(response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            return f"Slack refused the bot token ({code}); check slack.bot_token"
        if status != 200:  # an outage page, a proxy's error: the status says it all
            return f"Slack API answered HTTP {status}"
        return f"Slack API error {code}"
    reason = getattr(exc, "reason", None) or exc
    return f"Cannot reach the Slack API: {reason}"
