"""The Slack bot (slack-bolt): mentions, DMs, ``/penny``, the draft-patch and "Why?" buttons.

Every reply goes in the asker's thread: a placeholder first ("Looking at the bill…"),
then ``chat.update`` with the answer in Block Kit. The thread (channel + thread_ts) is
the conversation id, so follow-ups keep context. A Slack user sees what the config maps
them to (by user id or email), else ``slack.default_scope``. Slack retries an event it
thinks we missed; an event id already seen is acknowledged and not answered again.

HTTP mode is mounted in the FastAPI app (``/slack/events``, signing-secret verified by
Bolt); Socket Mode runs through :meth:`SlackBot.socket_mode` (`penny slack --socket`).
Building the bot never calls Slack: :meth:`SlackBot.start` checks the token in the
background with backoff, and :attr:`SlackBot.health` says whether Slack is usable. Notices
(digests, bills, alerts) are posted by :mod:`assistant.interfaces.slack_jobs`; a "Why?"
under one is answered in its thread with the channel's scope
(:mod:`assistant.interfaces.slack_details`).
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
from slack_sdk import WebClient

from assistant.agent.ask import ask
from assistant.config import Settings
from assistant.core.answer import Answer, AskContext
from assistant.core.scope import Scope
from assistant.errors import ConfigError, PennyError
from assistant.interfaces.auth import team_of
from assistant.interfaces.errors import internal_error, new_request_id, public_error
from assistant.interfaces.metrics import Metrics
from assistant.interfaces.slack_blocks import (
    DRAFT_ACTION,
    PLACEHOLDER,
    answer_blocks,
    bill_month,
    error_blocks,
    patch_blocks,
)
from assistant.interfaces.slack_details import details_reply, parse_why
from assistant.interfaces.slack_health import SlackHealth, keep_connected
from assistant.interfaces.slack_manifest import COMMAND
from assistant.interfaces.slack_notices import WHY_ACTION
from assistant.notify.channels import channel_scope

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
        # No auth.test here: an unreachable Slack must not stop `penny serve` from starting.
        # start() checks the token in the background, retrying with backoff (health).
        self.app = App(
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=secret is not None,
            token_verification_enabled=False,
            process_before_response=False,
        )
        self.health = SlackHealth()
        self._stop = threading.Event()
        self._connector: threading.Thread | None = None
        #: what this bot listens to, for the manifest check (slack_manifest)
        self.registered: dict[str, list[str]] = {"events": [], "commands": [], "actions": []}
        self.app.middleware(self._drop_repeats)
        self._listen("events", "app_mention", self._on_mention)
        self._listen("events", "message", self._on_message)  # DMs only: see _on_message
        self._listen("commands", COMMAND, self._on_command)
        self._listen("actions", DRAFT_ACTION, self._on_draft)
        self._listen("actions", WHY_ACTION, self._on_why)

    def _listen(self, kind: str, name: str, handler: Any) -> None:
        """Register a Bolt listener and remember it (the manifest test reads ``registered``)."""
        if kind == "events":
            self.app.event(name)(handler)
        elif kind == "commands":
            self.app.command(name)(handler)
        else:  # an action id, or a family of them (penny_draft_patch_0, _1, …)
            self.app.action(re.compile(rf"^{re.escape(name)}(_\d+)?$"))(handler)
        self.registered[kind].append(name)

    # -- connection ---------------------------------------------------------------------

    def start(self) -> None:
        """Check the token in the background until Slack answers (never blocks, never
        raises): the web page and API serve meanwhile, and health says "degraded"."""
        if self._connector is not None:
            return
        slack = self.settings.slack
        self._connector = threading.Thread(
            target=keep_connected,
            args=(self.client.auth_test, self.health, self._stop),
            kwargs={"initial_s": slack.retry_initial_s, "max_s": slack.retry_max_s},
            name="penny-slack-connect",
            daemon=True,
        )
        self._connector.start()

    def stop(self) -> None:
        self._stop.set()

    # -- entry points -------------------------------------------------------------------

    def dispatch_http(
        self, body: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        """One HTTP request from Slack → (status, headers, body); Bolt verifies the signature."""
        stamp = {k.lower(): v for k, v in headers.items()}.get("x-slack-request-timestamp")
        if stamp is not None and not stamp.strip().isdigit():
            # Bolt would fail on int() of it (a 500); it is an unverifiable request
            return 401, {}, "invalid request timestamp"
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

    def run_socket_mode(self) -> None:
        """Connect over Socket Mode, retrying with backoff while Slack cannot be reached,
        then serve until the process is stopped."""
        handler = self.socket_mode()
        slack = self.settings.slack
        keep_connected(
            handler.connect,
            self.health,
            self._stop,
            initial_s=slack.retry_initial_s,
            max_s=slack.retry_max_s,
        )
        self._stop.wait()

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

    def _on_why(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        """A notice's "Why?": the details in the notice's thread, with the channel's scope
        (a channel Penny does not post to gets an answer for the presser alone)."""
        ack()
        container = body.get("container") or {}
        channel = container.get("channel_id")
        ts = (body.get("message") or {}).get("thread_ts") or container.get("message_ts")
        scope = channel_scope(self.settings, channel) if channel else None
        private = scope is None or not ts
        if scope is None:
            scope = self._scope_for(body["user"]["id"])
        month = None
        try:
            kind, key = parse_why(body["actions"][0]["value"])
            _, month, (text, blocks) = details_reply(
                self.settings, scope, kind, key, f"slack:{channel}:{ts}"
            )
        except PennyError as exc:
            text, blocks = error_blocks(exc.message, exc.hint)
        if private or not channel:
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
            return
        self.client.chat_postMessage(channel=channel, thread_ts=ts, text=text, blocks=blocks)
        if month is not None:
            self._upload_month_charts(month, scope, channel, ts, [])

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
        except Exception as exc:  # never leave "Looking at the bill…" up: always reply
            rid = new_request_id()
            if isinstance(exc, PennyError):
                log.info("request_id=%s slack error %s: %s", rid, exc.code, exc.context)
                shown = public_error(exc.to_dict(), rid, self.settings)
            else:
                log.error("request_id=%s slack answer failed", rid, exc_info=exc)
                shown = public_error(internal_error(rid), rid)
            return None, error_blocks(shown["message"], shown.get("hint"))
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
        self._upload_month_charts(month, scope, channel, thread_ts, paths)

    def _upload_month_charts(
        self, month: str, scope: Scope, channel: str, thread_ts: str | None, paths: list[Path]
    ) -> None:
        """Upload the month's charts (these PNGs, else freshly rendered) into the thread."""
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
