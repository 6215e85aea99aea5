"""The ``slack`` section of the settings: the bot's credentials, who sees what, and what
Penny posts without being asked.

Kept apart from :mod:`assistant.config` because it is a section of its own (credentials,
channel scopes, four notices with their schedules); :mod:`assistant.config` re-exports
:class:`SlackSettings` and reads Bolt's own environment names as aliases
(:data:`BOLT_ENV_ALIASES`).

A channel is scoped like a user: ``slack.channels`` maps a channel id to a scope list,
and every message Penny posts there is computed with that scope, so a team's channel
only ever sees its team.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

__all__ = [
    "BOLT_ENV_ALIASES",
    "AnomalyAlertSettings",
    "BillPostSettings",
    "BudgetAlertSettings",
    "DigestSettings",
    "SlackSettings",
]

#: Bolt's own environment names, read when the ``PENNY_SLACK__…`` name is not set
BOLT_ENV_ALIASES: dict[str, str] = {
    "bot_token": "SLACK_BOT_TOKEN",
    "signing_secret": "SLACK_SIGNING_SECRET",
    "app_token": "SLACK_APP_TOKEN",
}

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
_SCOPE_ITEM = re.compile(r"^(\*|team:[^\s:]+|ns:[^\s:]+|namespace:[^\s:]+)$")

ChannelList = list[str] | None
_CHANNELS_HELP = "Channel ids to post to; unset = every channel in slack.channels"


def _check_channels(value: ChannelList) -> ChannelList:
    for channel in value or []:
        if not _CHANNEL_ID.match(channel):
            raise ValueError(
                f"{channel!r} is not a Slack channel id; use the id (C0123ABCD) shown at the "
                "bottom of the channel's details, not its #name"
            )
    return value


class DigestSettings(BaseModel):
    """The weekly digest: last week's cost, the biggest change and its driver, and one
    rightsizing suggestion, per channel scope (a team's channel gets its team's)."""

    enabled: bool = Field(True, description="Post the weekly digest")
    weekday: int = Field(0, ge=0, le=6, description="Day it is posted, 0 = Monday (UTC)")
    hour: int = Field(9, ge=0, le=23, description="Hour it is posted (UTC)")
    channels: ChannelList = Field(None, description=_CHANNELS_HELP)

    _check = field_validator("channels")(_check_channels)


class BillPostSettings(BaseModel):
    """The month's bill explanation, posted once the month's bill has closed."""

    enabled: bool = Field(True, description="Post each closed month's bill explanation")
    day: int = Field(
        3,
        ge=1,
        le=28,
        description="Day of the next month from which the bill counts as closed (invoices "
        "settle a few days after the month ends); posted once its data covers the month",
    )
    hour: int = Field(9, ge=0, le=23, description="Hour of that day from which it is posted")
    channels: ChannelList = Field(None, description=_CHANNELS_HELP)

    _check = field_validator("channels")(_check_channels)


class AnomalyAlertSettings(BaseModel):
    """Unusual days (``penny anomalies``), each posted once with a "why?" button."""

    enabled: bool = Field(True, description="Post anomaly alerts")
    by: Literal["team", "namespace", "service", "cluster"] = Field(
        "team", description="Group whose daily cost is checked"
    )
    lookback_days: int = Field(
        3, ge=1, le=14, description="Recent complete days checked at each look"
    )
    channels: ChannelList = Field(None, description=_CHANNELS_HELP)

    _check = field_validator("channels")(_check_channels)


class BudgetAlertSettings(BaseModel):
    """A budget's spend (actual) or forecast reaching a share of its monthly amount."""

    enabled: bool = Field(True, description="Post budget alerts")
    thresholds: list[int] = Field(
        default_factory=lambda: [50, 80, 100],
        description="Percent of the monthly budget that the actual spend reaching posts an alert",
    )
    forecast_thresholds: list[int] = Field(
        default_factory=lambda: [50, 80, 100],
        description="Percent of the monthly budget that the month's forecast reaching posts an "
        "alert; [] = none",
    )
    channels: ChannelList = Field(None, description=_CHANNELS_HELP)

    _check = field_validator("channels")(_check_channels)

    @field_validator("thresholds", "forecast_thresholds")
    @classmethod
    def _percent(cls, value: list[int]) -> list[int]:
        for pct in value:
            if not 1 <= pct <= 1000:
                raise ValueError(f"threshold {pct} must be a percent between 1 and 1000")
        return sorted(set(value))


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = Field(None, description="xoxb- bot token")
    signing_secret: SecretStr | None = Field(None, description="Verifies Slack requests")
    app_token: SecretStr | None = Field(None, description="xapp- token for Socket Mode")
    api_url: str | None = Field(None, description="Slack Web API base URL (tests point it locally)")
    public_url: str | None = Field(
        None,
        pattern=r"^https://[^\s/]+(/[^\s]*)?$",
        description="Public https URL of `penny serve`, for `penny slack manifest`",
    )
    users: dict[str, list[str]] = Field(
        default_factory=dict, description="Slack user id or email -> scope list"
    )
    default_scope: list[str] = Field(
        default_factory=lambda: ["*"], description="Scope of Slack users not listed in users"
    )
    channels: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Channel id -> scope list: where Penny posts unasked, and what each "
        "channel may see ('team:payments' sees only payments)",
    )
    check_minutes: int = Field(
        15, ge=1, le=1440, description="How often `penny serve` checks what is due to post"
    )
    retry_initial_s: float = Field(
        2.0, gt=0, le=600, description="First wait before retrying an unreachable Slack API"
    )
    retry_max_s: float = Field(
        300.0, gt=0, le=3600, description="Longest wait between retries (the wait doubles)"
    )
    digest: DigestSettings = Field(default_factory=DigestSettings)
    bill_post: BillPostSettings = Field(default_factory=BillPostSettings)
    anomaly_alerts: AnomalyAlertSettings = Field(default_factory=AnomalyAlertSettings)
    budget_alerts: BudgetAlertSettings = Field(default_factory=BudgetAlertSettings)

    @field_validator("channels")
    @classmethod
    def _check_channel_scopes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        _check_channels(list(value))
        for channel, items in value.items():
            if not items:
                raise ValueError(f"channel {channel} has an empty scope; use '*' or 'team:NAME'")
            for item in items:
                if not _SCOPE_ITEM.match(item):
                    raise ValueError(
                        f"channel {channel}: {item!r} is not '*', 'team:NAME' or 'ns:NAME'"
                    )
        return value

    @model_validator(mode="after")
    def _notice_channels_are_scoped(self) -> SlackSettings:
        for name in ("digest", "bill_post", "anomaly_alerts", "budget_alerts"):
            for channel in getattr(self, name).channels or []:
                if channel not in self.channels:
                    raise ValueError(
                        f"slack.{name}.channels names {channel}, which is not in slack.channels; "
                        f"add it there with its scope (e.g. {channel}: ['team:payments'])"
                    )
        return self
