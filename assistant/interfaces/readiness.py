"""What each part of the server is doing, for ``/healthz``, ``/readyz`` and ``/v1/status``.

The web page and the API serve whatever Slack does, so Slack being unreachable makes the
whole "degraded", never "down": readiness stays 200 unless a probe names Slack itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from assistant.config import Settings

__all__ = ["readiness", "slack_state"]


def slack_state(app: FastAPI) -> str:
    """'off' (not configured), 'connecting', 'ok' or 'degraded' (see slack_health)."""
    bot = getattr(app.state, "slack", None)
    return "off" if bot is None else str(bot.health.state)


def readiness(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """Each component's state, and 'degraded' naming the ones that are not ok."""
    bot = getattr(app.state, "slack", None)
    slack: dict[str, Any] = {"state": "off"} if bot is None else bot.health.to_dict()
    components: dict[str, dict[str, Any]] = {
        "http": {"state": "ok"},
        "warehouse": {
            "state": "ok" if settings.db_path.exists() else "degraded",
            "detail": None if settings.db_path.exists() else "no warehouse yet: run `penny demo`",
        },
        "slack": slack,
    }
    degraded = [k for k, v in components.items() if v["state"] not in ("ok", "off")]
    return {
        "ok": True,
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "components": components,
    }
