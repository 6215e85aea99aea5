"""Slack's side of the conversation: requests signed with the v0 HMAC scheme, posted to
the running app, with helpers for events, mentions and button presses."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from assistant.config import Settings
from tests.interfaces.conftest import SIGNING_SECRET
from tests.interfaces.slack_stub import SlackStub

__all__ = ["Slack", "sign"]


def sign(body: str, secret: str = SIGNING_SECRET, ts: int | None = None) -> dict[str, str]:
    """Slack's v0 scheme: HMAC-SHA256 over 'v0:{timestamp}:{body}' with the signing secret."""
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


class Slack:
    """The running app plus the Web API stub, and helpers to send it Slack's requests."""

    def __init__(self, url: str, stub: SlackStub, settings: Settings) -> None:
        self.url, self.stub, self.settings = url, stub, settings
        self.n = 0

    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        h = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        return httpx.post(f"{self.url}/slack/events", content=body.encode(), headers=h, timeout=30)

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        self.n += 1
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{self.n}",
                "event_time": 1790000000,
                "event": event,
            }
        )
        return self.post(body, "application/json", headers)

    def mention(
        self,
        text: str,
        user: str = "UADMIN",
        ts: str = "1790000100.000100",
        thread_ts: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        ev = {
            "type": "app_mention",
            "user": user,
            "text": f"<@UPENNY> {text}",
            "ts": ts,
            "channel": "C1",
            "event_ts": ts,
        }
        if thread_ts:
            ev["thread_ts"] = thread_ts
        return self.event(ev, **kw)

    def press(
        self,
        action: dict[str, Any],
        channel: str,
        message_ts: str,
        user: str = "UADMIN",
        thread_ts: str | None = None,
    ) -> httpx.Response:
        """A button press (block_actions) on a message in ``channel``."""
        self.n += 1
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "api_app_id": "A1",
            "token": "legacy",
            "team": {"id": "T1"},
            "trigger_id": f"tr{self.n}",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": False,
                **({"thread_ts": thread_ts} if thread_ts else {}),
            },
            "channel": {"id": channel},
            "response_url": f"{self.stub.root}/response/{self.n}",
            "message": {"ts": message_ts, **({"thread_ts": thread_ts} if thread_ts else {})},
            "actions": [{**action, "block_id": "penny_notice", "action_ts": "1"}],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
