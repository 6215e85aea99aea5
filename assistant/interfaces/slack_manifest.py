"""The Slack app manifest for one-paste set-up, derived from what the bot really uses.

The bot (:mod:`assistant.interfaces.slack_app`) registers its listeners from the constants
here, and the manifest is built from the same constants, so a new event, command or API
call cannot be added to one without the other: a test compares the manifest with what the
bot registered and with every Web API method the bot called against the Slack stub.

Everything arrives at one URL: Bolt dispatches events, the slash command and button
presses from ``/slack/events``. In Socket Mode there is no URL at all.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from assistant.errors import ConfigError

__all__ = [
    "ACTIONS",
    "COMMAND",
    "EVENTS_PATH",
    "EVENT_SUBSCRIPTIONS",
    "SCOPES_BY_METHOD",
    "bot_scopes",
    "manifest",
    "manifest_yaml",
]

EVENTS_PATH = "/slack/events"
COMMAND = "/penny"
COMMAND_HINT = "top 5 namespaces last month"
COMMAND_DESCRIPTION = "Ask Penny what your Kubernetes cluster costs"

#: Bolt listener (event type, channel type or None) -> the bot event subscribed to
EVENT_SUBSCRIPTIONS: dict[tuple[str, str | None], str] = {
    ("app_mention", None): "app_mention",
    ("message", "im"): "message.im",
}
#: the scope each subscribed event needs
SCOPES_BY_EVENT: dict[str, str] = {"app_mention": "app_mentions:read", "message.im": "im:history"}

#: block action ids (prefixes) the bot answers: they need Interactivity turned on
ACTIONS = ("penny_draft_patch", "penny_why")

#: every Web API method the bot calls, and the bot scope it needs (None: no scope)
SCOPES_BY_METHOD: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "users.info": "users:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
#: users.info returns the profile's email only with this scope (slack.users keyed by email)
EMAIL_SCOPE = "users:read.email"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,34}$")


def bot_scopes() -> list[str]:
    """The bot token scopes: the slash command's, each event's and each method's."""
    scopes = {"commands", EMAIL_SCOPE, *SCOPES_BY_EVENT.values()}
    scopes |= {s for s in SCOPES_BY_METHOD.values() if s}
    return sorted(scopes)


def _request_url(url: str | None) -> str:
    if not url:
        raise ConfigError(
            "The manifest needs the public https URL Slack will post to.",
            hint="Pass --url https://penny.example.com (or set slack.public_url), or use "
            "--socket for Socket Mode (no public URL).",
        )
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{url!r} is not an https URL without query or fragment; Slack only posts to https.",
            hint="e.g. --url https://penny.example.com (put a TLS proxy in front of "
            "`penny serve`, or use --socket).",
        )
    return f"https://{parts.netloc}{parts.path.rstrip('/')}{EVENTS_PATH}"


def manifest(url: str | None, *, socket: bool = False, name: str = "Penny") -> dict[str, Any]:
    """The manifest as a dict: HTTP mode at ``{url}/slack/events``, or Socket Mode."""
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a usable app name (1-35 letters, digits, spaces, '.', '_', '-').",
            hint="e.g. --name Penny",
        )
    request_url = None if socket else _request_url(url)
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": COMMAND_DESCRIPTION,
        "usage_hint": COMMAND_HINT,
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": sorted(set(EVENT_SUBSCRIPTIONS.values()))}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url is not None:
        command["url"] = request_url
        events = {"request_url": request_url, **events}
        interactivity["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Kubernetes cost answers: who spent what, why, and what to change.",
            "background_color": "#1d3a5f",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": False,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name.lower().replace(" ", "-"), "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes()}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(url: str | None, *, socket: bool = False, name: str = "Penny") -> str:
    """The manifest as YAML, keys in Slack's documented order, ready to paste."""
    head = (
        "# Slack app manifest for Penny: api.slack.com/apps -> Create New App -> From a manifest.\n"
    )
    body = yaml.safe_dump(
        manifest(url, socket=socket, name=name), sort_keys=False, allow_unicode=True, width=100
    )
    return head + body
