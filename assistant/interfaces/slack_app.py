"""The Slack bot (slack-bolt): mentions, DMs, ``/penny`` and the draft-patch button.

Every reply goes in the asker's thread: a placeholder first ("Looking at the bill…"),
then ``chat.update`` with the answer in Block Kit. The thread (channel + thread_ts) is
the conversation id, so follow-ups keep context. A Slack user sees what the config maps
them to (by user id or email), else ``slack.default_scope``. Slack retries an event it
thinks we missed; an event id already seen is acknowledged and not answered again.

HTTP mode is mounted in the FastAPI app (``/slack/events``, signing-secret verified by
Bolt); Socket Mode runs through :meth:`SlackBot.socket_mode` (`penny slack --socket`).
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from assistant.agent.ask import ask
from assistant.config import Settings
from assistant.core.answer import Answer, AskContext
from assistant.core.scope import Scope
from assistant.errors import ConfigError, PennyError, SourceAuthError, SourceUnavailable
from assistant.interfaces.auth import team_of
from assistant.interfaces.metrics import Metrics
from assistant.interfaces.slack_blocks import (
    DRAFT_ACTION,
    PLACEHOLDER,
    answer_blocks,
    bill_month,
    error_blocks,
    patch_blocks,
)

__all__ = ["SlackBot"]

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")


class _Seen:
    """A bounded set of recently seen ids (event ids, message ts), thread-safe."""

    def __init__(self, size: int = 2048) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._ids:
                return False
            self._ids[key] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


class SlackBot:
    def __init__(
        self, settings: Settings, *, metrics: Metrics | None = None, engine: str = "auto"
    ) -> None:
        slack = settings.slack
        if slack.bot_token is None:
            raise ConfigError(
                "Slack needs a bot token.",
                hint="Set slack.bot_token (PENNY_SLACK__BOT_TOKEN=xoxb-…).",
            )
        self.settings = settings
        self.metrics = metrics
        self.engine = engine
        self._seen = _Seen()
        self._scopes: dict[str, Scope] = {}
        token = slack.bot_token.get_secret_value()
        base = (slack.api_url or WebClient.BASE_URL).rstrip("/") + "/"
        self.client = WebClient(token=token, base_url=base)
        secret = slack.signing_secret.get_secret_value() if slack.signing_secret else None
        try:  # Bolt checks the bot token with auth.test right here
            self.app = App(
                client=self.client,
                signing_secret=secret,
                request_verification_enabled=secret is not None,
                process_before_response=False,
            )
        except BoltError as exc:
            raise SourceAuthError(
                f"Slack refused the bot token: {exc}", hint="Check slack.bot_token (xoxb-…)."
            ) from exc
        except OSError as exc:  # URLError included: the API cannot be reached
            raise SourceUnavailable(
                f"Cannot reach the Slack API at {base}: {exc}",
                hint="Check the network or slack.api_url.",
            ) from exc
        self.app.middleware(self._drop_repeats)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/penny")(self._on_command)
        self.app.action(re.compile(rf"^{DRAFT_ACTION}(_\d+)?$"))(self._on_draft)

    # -- entry points -------------------------------------------------------------------

    def dispatch_http(
        self, body: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        """One HTTP request from Slack → (status, headers, body); Bolt verifies the signature."""
        hdrs: dict[str, str | Sequence[str]] = dict(headers)
        resp: BoltResponse = self.app.dispatch(BoltRequest(body=body, query=query, headers=hdrs))
        return resp.status, resp.first_headers_without_set_cookie(), resp.body

    def socket_mode(self) -> Any:
        """A Socket Mode handler (call ``.start()``); needs slack.app_token (xapp-…)."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        if self.settings.slack.app_token is None:
            raise ConfigError(
                "Socket Mode needs an app-level token.",
                hint="Set slack.app_token (PENNY_SLACK__APP_TOKEN=xapp-…).",
            )
        return SocketModeHandler(self.app, self.settings.slack.app_token.get_secret_value())

    # -- middleware and listeners -------------------------------------------------------

    def _drop_repeats(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id")
        if event_id and not self._seen.first_time(f"event:{event_id}"):
            log.info("Slack redelivered %s; already answered", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    def _on_mention(self, event: dict[str, Any]) -> None:
        self._answer_in_thread(event)

    def _on_message(self, event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        self._answer_in_thread(event)

    def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        question = (command.get("text") or "").strip()
        if not question:
            ack(
                text="Ask me something, e.g. `/penny top 5 namespaces last month` or "
                "`/penny bill October`."
            )
            return
        ack(text=PLACEHOLDER)  # within Slack's 3 s; the answer follows via response_url
        user = command.get("user_id", "?")
        # one running conversation per user and channel for slash commands
        ctx = self._context(user, f"slack:{command.get('channel_id')}:cmd:{user}")
        answer, (text, blocks) = self._ask(question, ctx)
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        if answer is not None and command.get("channel_id"):
            self._upload_bill_charts(answer, ctx.scope, command["channel_id"], None)

    def _on_draft(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        from tools.registry import ToolContext, call

        workload = body["actions"][0]["value"]
        scope = self._scope_for(body["user"]["id"])
        result, _ = call(
            "draft_rightsizing_change",
            {"workload": workload},
            ToolContext.create(self.settings, scope),
        )
        text, blocks = patch_blocks(result.to_json())
        container = body.get("container") or {}
        if container.get("is_ephemeral") or not container.get("channel_id"):
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            return
        thread = (
            (body.get("message") or {}).get("thread_ts")
            or container.get("thread_ts")
            or container.get("message_ts")
        )
        self.client.chat_postMessage(
            channel=container["channel_id"], thread_ts=thread, text=text, blocks=blocks
        )

    # -- the work -----------------------------------------------------------------------

    def _answer_in_thread(self, event: dict[str, Any]) -> None:
        channel, ts = event["channel"], event["ts"]
        if not self._seen.first_time(f"msg:{channel}:{ts}"):  # mention + DM of one message
            return
        thread_ts = event.get("thread_ts") or ts
        question = _MENTION.sub("", event.get("text") or "").strip()
        placeholder = self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=PLACEHOLDER
        )
        ctx = self._context(event.get("user", "?"), f"slack:{channel}:{thread_ts}")
        answer, (text, blocks) = self._ask(question, ctx)
        self.client.chat_update(channel=channel, ts=placeholder["ts"], text=text, blocks=blocks)
        if answer is not None:
            self._upload_bill_charts(answer, ctx.scope, channel, thread_ts)

    def _context(self, user: str, thread_id: str) -> AskContext:
        scope = self._scope_for(user)
        return AskContext(
            user=f"slack:{user}",
            channel="slack",
            thread_id=thread_id,
            team=team_of(scope),
            scope=scope,
        )

    def _ask(
        self, question: str, ctx: AskContext
    ) -> tuple[Answer | None, tuple[str, list[dict[str, Any]]]]:
        if not question:
            return None, error_blocks(
                "You mentioned me without a question.",
                'Try "top 5 namespaces last month" or "bill October".',
            )
        try:
            answer = ask(question, ctx, self.settings, engine=self.engine)  # type: ignore[arg-type]
        except PennyError as exc:
            return None, error_blocks(exc.message, exc.hint)
        if self.metrics is not None:
            self.metrics.observe_answer(answer.model_dump(mode="json"), ctx.user, "slack")
        return answer, answer_blocks(answer)

    def _scope_for(self, user: str) -> Scope:
        """Config ``slack.users`` by user id, then by email (users.info), else the default."""
        if user in self._scopes:
            return self._scopes[user]
        users = self.settings.slack.users
        items = users.get(user)
        if items is None and any("@" in key for key in users):
            try:
                info = self.client.users_info(user=user)
                email = ((info.get("user") or {}).get("profile") or {}).get("email")
            except Exception as exc:  # missing users:read.email → default scope
                log.warning("users.info for %s failed: %s", user, exc)
                email = None
            items = users.get(email) if email else None
        scope = Scope.from_list(
            items if items is not None else self.settings.slack.default_scope, user=f"slack:{user}"
        )
        self._scopes[user] = scope
        return scope

    def _upload_bill_charts(
        self, answer: Answer, scope: Scope, channel: str, thread_ts: str | None
    ) -> None:
        """When the answer explained a bill, upload its charts (PNG) into the thread."""
        month = bill_month(answer)
        if month is None:
            return
        paths = [
            Path(a.path)
            for a in answer.attachments
            if a.kind == "chart" and a.path and a.path.endswith(".png") and Path(a.path).exists()
        ]
        with tempfile.TemporaryDirectory(prefix="penny-slack-") as tmp:
            if not paths:
                paths = self._render_charts(month, scope, Path(tmp))
            if not paths:
                return
            uploads = [
                {"file": str(p), "filename": p.name, "title": _chart_title(p, month)} for p in paths
            ]
            self.client.files_upload_v2(
                file_uploads=uploads,
                channel=channel,
                thread_ts=thread_ts,
                initial_comment=f"Charts for the {month} bill",
            )

    def _render_charts(self, month: str, scope: Scope, out: Path) -> list[Path]:
        from assistant.billing.render import chart_files
        from assistant.capabilities.bill import BillRequest, bill
        from assistant.capabilities.context import Ctx

        try:
            report = bill(BillRequest(month=month), Ctx.create(self.settings, scope))
        except PennyError as exc:
            log.warning("No charts for %s: %s", month, exc)
            return []
        return [p for p in chart_files(report.explanation, out) if p.suffix == ".png"]


_CHART_TITLES = {"daily_by_team": "daily cost by team", "waterfall": "what changed (waterfall)"}


def _chart_title(path: Path, month: str) -> str:
    """'bill-2026-10-daily_by_team.png' → '2026-10 bill: daily cost by team'."""
    kind = path.stem.rsplit("-", 1)[-1]
    return f"{month} bill: {_CHART_TITLES.get(kind, kind.replace('_', ' '))}"
