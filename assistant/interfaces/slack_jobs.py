"""The notices `penny serve` posts unasked: what is due at a given time, built, sent once.

Four jobs — ``slack-digest``, ``slack-bill``, ``slack-anomalies``, ``slack-budgets`` —
each look every ``slack.check_minutes`` at what is due *now* (the clock is a parameter,
so tests drive it): the digest of the week just ended (from its weekday and hour, for one
day), the bill of the month just ended (from its closing day, once its data is complete),
the anomalies of the last few days, and budget thresholds reached this month. For every
target channel the notice is computed with that channel's scope, and sent only if the
record (:class:`~assistant.notify.posts.PostLog`) says it has not been: a restart, a
second look or a second server never posts it twice, and a send that failed is tried
again at the next look. A look whose sends failed raises, so the scheduler records it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from assistant.capabilities.context import Ctx
from assistant.capabilities.forecast import BudgetRequest, budget_status
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.core.timestamps import hour
from assistant.errors import DataGap, PennyError, SourceUnavailable
from assistant.interfaces.slack_notices import (
    anomaly_blocks,
    bill_blocks,
    budget_blocks,
    digest_blocks,
)
from assistant.notify import budget as budget_alerts
from assistant.notify.anomaly import alert_key, recent_anomalies
from assistant.notify.bill_close import closed_bill, month_to_post
from assistant.notify.channels import scope_label, targets
from assistant.notify.digest import digest_week, weekly_digest
from assistant.notify.posts import PostLog

__all__ = ["DIGEST_GRACE", "JOB_NAMES", "NoticeJob", "Notices", "notice_jobs", "weekly_slot"]

log = logging.getLogger("penny.notices")

JOB_NAMES = ("slack-digest", "slack-bill", "slack-anomalies", "slack-budgets")

#: a digest not posted within a day of its time (Penny was down) is not posted late
DIGEST_GRACE = timedelta(days=1)

Blocks = list[dict[str, Any]]
Poster = Callable[[str, str, Blocks], str]


def weekly_slot(now: datetime, weekday: int, hour: int) -> datetime:
    """The latest ``weekday`` at ``hour`` (UTC) at or before ``now``."""
    day = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    day -= timedelta(days=(now.weekday() - weekday) % 7)
    return day if day <= now else day - timedelta(days=7)


def web_poster(settings: Settings) -> Poster:
    """chat.postMessage with the bot token; the message's ts, or SourceUnavailable."""
    slack = settings.slack
    if slack.bot_token is None:
        raise SourceUnavailable("Slack has no bot token configured (slack.bot_token).")
    base = (slack.api_url or WebClient.BASE_URL).rstrip("/") + "/"
    client = WebClient(token=slack.bot_token.get_secret_value(), base_url=base, timeout=30)

    def post(channel: str, text: str, blocks: Blocks) -> str:
        try:
            reply = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except Exception as exc:
            data = getattr(getattr(exc, "response", None), "data", None)
            error = data.get("error") if isinstance(data, dict) else None
            hint = (
                f"Invite the bot to {channel} (/invite @Penny)."
                if error in ("not_in_channel", "channel_not_found")
                else "It is tried again at the next look."
            )
            raise SourceUnavailable(
                f"Could not post to Slack channel {channel}: {error or exc}", hint=hint
            ) from exc
        return str(reply["ts"])

    return post


@dataclass
class NoticeJob:
    """A job in the scheduler's shape: a name, how often it looks, and one look."""

    name: str
    every: timedelta
    run: Callable[[datetime], str]


class Notices:
    """Every notice kind's look: ``digest(now)``, ``bill(now)``, ``anomalies(now)``,
    ``budgets(now)``."""

    def __init__(self, settings: Settings, post: Poster | None = None) -> None:
        self.settings = settings
        self.log = PostLog(settings)
        self._post = post

    def _ctx(self, scope: Scope, now: datetime) -> Ctx:
        hour = now.replace(minute=0, second=0, microsecond=0)
        pinned = self.settings.model_copy(update={"now": hour})  # every 'now' inside agrees
        return Ctx(settings=pinned, scope=scope, now=hour)

    def _send(
        self, kind: str, key: str, channel: str, now: datetime, text: str, blocks: Blocks
    ) -> str:
        if not self.log.claim(kind, key, channel, now):
            return f"{channel}: {kind} {key} already posted"
        try:
            if self._post is None:
                self._post = web_poster(self.settings)
            ts = self._post(channel, text, blocks)
        except PennyError as exc:
            self.log.failed(kind, key, channel, exc.message, now)
            raise
        self.log.posted(kind, key, channel, ts, text, now)
        log.info("Posted %s %s to %s (ts %s)", kind, key, channel, ts)
        return f"{channel}: posted {kind} {key}"

    def _each(
        self, only: list[str] | None, now: datetime, one: Callable[[str, Scope], list[str]]
    ) -> str:
        """Run ``one`` per target channel; every failure is collected, then raised."""
        done: list[str] = []
        failed: list[str] = []
        channels = targets(self.settings, only)
        for channel, scope in channels:
            try:
                done += one(channel, scope)
            except DataGap as exc:  # nothing to say yet: not a failure, looked at again later
                done.append(f"{channel}: {exc.message}")
            except PennyError as exc:
                failed.append(f"{channel}: {exc.message}")
        if failed:
            raise SourceUnavailable("; ".join(failed + done))
        return "; ".join(done) or ("nothing new" if channels else "no channels")

    def digest(self, now: datetime) -> str:
        cfg = self.settings.slack.digest
        slot = weekly_slot(now, cfg.weekday, cfg.hour)
        if now - slot >= DIGEST_GRACE:
            return f"nothing due (next digest {hour(slot + timedelta(days=7))})"
        week = digest_week(slot)
        key = week.label()

        def one(channel: str, scope: Scope) -> list[str]:
            if self.log.settled("digest", key, channel):
                return []
            text, blocks = digest_blocks(weekly_digest(self._ctx(scope, now), week))
            return [self._send("digest", key, channel, now, text, blocks)]

        return self._each(cfg.channels, now, one)

    def bill(self, now: datetime) -> str:
        cfg = self.settings.slack.bill_post
        month = month_to_post(now, cfg)
        if month is None:
            return "nothing due before the closing day"
        key = month.label()

        def one(channel: str, scope: Scope) -> list[str]:
            if self.log.settled("bill", key, channel):
                return []
            report = closed_bill(self._ctx(scope, now), month)
            if report is None:
                return [f"{channel}: the {key} data is not complete yet"]
            text, blocks = bill_blocks(report, scope_label(scope))
            return [self._send("bill", key, channel, now, text, blocks)]

        return self._each(cfg.channels, now, one)

    def anomalies(self, now: datetime) -> str:
        cfg = self.settings.slack.anomaly_alerts

        def one(channel: str, scope: Scope) -> list[str]:
            report, found = recent_anomalies(
                self._ctx(scope, now), by=cfg.by, lookback_days=cfg.lookback_days
            )
            sent = []
            for a in found:
                key = alert_key(a)
                if self.log.settled("anomaly", key, channel):
                    continue
                text, blocks = anomaly_blocks(a, key, report.provenance, scope_label(scope))
                sent.append(self._send("anomaly", key, channel, now, text, blocks))
            return sent

        return self._each(cfg.channels, now, one)

    def budgets(self, now: datetime) -> str:
        """Each budget the channel may see, this month (and last month's actual for a few
        days, while its last hours arrive): every threshold newly reached on the actual or
        the forecast is recorded; the highest of each basis is posted."""
        cfg = self.settings.slack.budget_alerts

        def one(channel: str, scope: Scope) -> list[str]:
            sent = []
            for month, with_forecast in budget_alerts.alert_months(now):
                report = budget_status(BudgetRequest(month=month), self._ctx(scope, now))
                for b in report.budgets:
                    forecast = b.forecast.forecast if b.forecast and with_forecast else None
                    for c in budget_alerts.crossings(
                        monthly=b.monthly,
                        spent=b.spent,
                        forecast=forecast,
                        thresholds=cfg.thresholds,
                        forecast_thresholds=cfg.forecast_thresholds,
                    ):
                        ident = budget_alerts.budget_ident(b.name, b.scope, self.settings.budgets)
                        key = budget_alerts.alert_key(ident, month, c.basis, c.threshold)
                        if self.log.settled("budget", key, channel):
                            continue
                        if not c.send:
                            self.log.skip("budget", key, channel, f"passed at {c.pct}%", now)
                            continue
                        text, blocks = budget_blocks(b, c, key, report, scope_label(scope))
                        sent.append(self._send("budget", key, channel, now, text, blocks))
            return sent

        return self._each(cfg.channels, now, one)


def notice_jobs(settings: Settings, post: Poster | None = None) -> list[NoticeJob]:
    """The jobs the settings turn on: none without a bot token or channels, none for a
    notice whose ``enabled`` is false, and no budget alerts without ``budgets``."""
    slack = settings.slack
    if slack.bot_token is None or not slack.channels:
        return []
    notices = Notices(settings, post)
    every = timedelta(minutes=slack.check_minutes)
    wanted = [
        ("slack-digest", slack.digest.enabled, notices.digest),
        ("slack-bill", slack.bill_post.enabled, notices.bill),
        ("slack-anomalies", slack.anomaly_alerts.enabled, notices.anomalies),
        ("slack-budgets", slack.budget_alerts.enabled and bool(settings.budgets), notices.budgets),
    ]
    return [NoticeJob(name, every, run) for name, on, run in wanted if on]
