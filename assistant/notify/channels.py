"""Where Penny posts unasked, and what each channel may see."""

from __future__ import annotations

from assistant.config import Settings
from assistant.core.scope import Scope

__all__ = ["channel_scope", "scope_label", "targets"]


def channel_scope(settings: Settings, channel: str) -> Scope | None:
    """The scope of a configured channel (``slack.channels``), None when not configured."""
    items = settings.slack.channels.get(channel)
    return None if items is None else Scope.from_list(items, user=f"slack-channel:{channel}")


def targets(settings: Settings, only: list[str] | None) -> list[tuple[str, Scope]]:
    """The channels a notice goes to, each with its scope: ``only`` (a notice's own
    ``channels`` setting) or else every configured channel, in configuration order."""
    channels = list(settings.slack.channels) if only is None else only
    out: list[tuple[str, Scope]] = []
    for channel in channels:
        scope = channel_scope(settings, channel)
        if scope is not None:
            out.append((channel, scope))
    return out


def scope_label(scope: Scope) -> str:
    """'all teams', 'team payments', 'teams a, b and namespace x'."""
    if scope.admin:
        return "all teams"
    parts = []
    if scope.teams:
        parts.append(("team " if len(scope.teams) == 1 else "teams ") + ", ".join(scope.teams))
    if scope.namespaces:
        word = "namespace " if len(scope.namespaces) == 1 else "namespaces "
        parts.append(word + ", ".join(scope.namespaces))
    return " and ".join(parts) or "nothing"
