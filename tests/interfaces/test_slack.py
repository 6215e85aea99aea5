"""The Slack bot over HTTP: requests signed with Slack's v0 HMAC scheme are posted to the
running app (uvicorn on loopback), and the real Bolt WebClient talks to a local stub of the
Slack Web API that records every call. Dollar figures are independent warehouse sums."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.interfaces.slack_blocks import PLACEHOLDER
from tests.interfaces.conftest import NOW, SIGNING_SECRET, LiveServer, team_month, tokens
from tests.interfaces.slack_requests import Slack, sign
from tests.interfaces.slack_stub import SlackStub

pytestmark = pytest.mark.slow


@pytest.fixture
def slack(demo_settings: Settings) -> Iterator[Slack]:
    stub = SlackStub(emails={"UANA": "ana@example.com"})
    settings = load_settings(
        home=demo_settings.home,
        now=NOW,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "default_scope": ["*"],
            "users": {"UPAY": ["team:payments"], "ana@example.com": ["team:search"]},
        },
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        yield Slack(server.url, stub, settings)
    stub.close()


def test_mention_gets_a_placeholder_then_the_answer_in_its_thread(slack: Slack) -> None:
    r = slack.mention("how much did team payments cost in October", ts="1790000100.000100")
    assert r.status_code == 200
    (update,) = slack.stub.wait_for("chat.update")
    (placeholder,) = slack.stub.named("chat.postMessage")
    assert placeholder.body["text"] == PLACEHOLDER
    assert (placeholder.body["channel"], placeholder.body["thread_ts"]) == (
        "C1",
        "1790000100.000100",
    )
    assert update.body["ts"] == "1790000000.000001"  # the placeholder's ts
    blocks = update.body["blocks"]
    assert blocks[0]["type"] == "header"
    text = json.dumps(blocks)
    assert team_month(slack.settings, "payments", "2026-10") in text
    table = next(
        b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("```")
    )
    assert "Deployment/checkout-api" in table["text"]["text"]  # table as preformatted text
    context = blocks[-1]
    assert context["type"] == "context"
    line = context["elements"][0]["text"]
    # a whole month is read from the daily rollups (Slack shows '_' as a look-alike)
    assert line.startswith("Sources: allocations, allocation\u02cddaily · 2026-10-01..2026-11-01")
    assert "offline engine · AI cost $0.0000" in line


def test_follow_up_in_the_thread_keeps_context(slack: Slack) -> None:
    slack.mention("how much did team payments cost in October", ts="1790000200.000100")
    slack.stub.wait_for("chat.update")
    slack.mention("and in September?", ts="1790000300.000100", thread_ts="1790000200.000100")
    _first, second = slack.stub.wait_for("chat.update", 2)
    assert team_month(slack.settings, "payments", "2026-09") in json.dumps(second.body["blocks"])
    posts = slack.stub.named("chat.postMessage")
    assert [p.body["thread_ts"] for p in posts] == ["1790000200.000100"] * 2


def test_direct_messages_are_answered_and_bot_messages_ignored(slack: Slack) -> None:
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": "UBOT",
            "bot_id": "B9",
            "text": "top 5 namespaces last month",
            "ts": "1790000400.1",
        }
    )
    slack.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": "UPAY",
            "text": "top 5 namespaces last month",
            "ts": "1790000401.1",
        }
    )
    (update,) = slack.stub.wait_for("chat.update")
    assert update.body["channel"] == "D1"
    (post,) = slack.stub.named("chat.postMessage")
    assert post.body["thread_ts"] == "1790000401.1"
    # UPAY is mapped to team:payments by user id: only payments appears in the ranking
    text = json.dumps(update.body["blocks"])
    assert "payments" in text and "ml-training" not in text


def test_user_scope_by_email_through_users_info(slack: Slack) -> None:
    slack.mention("top 5 namespaces last month", user="UANA")
    (update,) = slack.stub.wait_for("chat.update")
    (info,) = slack.stub.named("users.info")
    assert info.body["user"] == "UANA"
    text = json.dumps(update.body["blocks"])
    assert "search" in text and "payments" not in text and "ml-training" not in text


@pytest.mark.parametrize("case", ["forged", "stale", "unsigned"])
def test_forged_stale_or_unsigned_requests_are_rejected_and_nothing_is_posted(
    slack: Slack, case: str
) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvX",
            "team_id": "T1",
            "event": {
                "type": "app_mention",
                "user": "UADMIN",
                "channel": "C1",
                "text": "<@UPENNY> top 5 namespaces",
                "ts": "1790000500.1",
            },
        }
    )
    if case == "forged":
        headers = sign(body, secret="not-the-secret")
    elif case == "stale":  # signed right, 10 minutes old
        headers = sign(body, ts=int(time.time()) - 600)
    else:
        headers = {}
    r = slack.post(body, "application/json", headers, signed=False)
    assert r.status_code == 401
    # a real request afterwards is answered, and only it: nothing came from the rejected one
    slack.mention("top 5 namespaces last month", ts="1790000501.1")
    slack.stub.wait_for("chat.update")
    assert [p.body["thread_ts"] for p in slack.stub.named("chat.postMessage")] == ["1790000501.1"]


def test_slack_retries_are_not_answered_twice(slack: Slack) -> None:
    first = slack.mention("top 5 namespaces last month", ts="1790000600.1", event_id="EvR")
    retry = slack.mention(
        "top 5 namespaces last month",
        ts="1790000600.1",
        event_id="EvR",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    slack.stub.wait_for("chat.update")
    # a later, different question: once it is answered, the retry would have shown up too
    slack.mention("how much did team payments cost in October", ts="1790000601.1")
    slack.stub.wait_for("chat.update", 2)
    assert [p.body["thread_ts"] for p in slack.stub.named("chat.postMessage")] == [
        "1790000600.1",
        "1790000601.1",
    ]


def test_slash_command_acks_at_once_and_answers_through_response_url(slack: Slack) -> None:
    body = urlencode(
        {
            "command": "/penny",
            "text": "how much did team payments cost in October",
            "user_id": "UPAY",
            "channel_id": "C1",
            "team_id": "T1",
            "trigger_id": "tr1",
            "response_url": f"{slack.stub.root}/response/1",
        }
    )
    r = slack.post(body, "application/x-www-form-urlencoded")
    assert r.status_code == 200
    assert r.text == PLACEHOLDER  # the ack carries the placeholder
    (reply,) = slack.stub.wait_for("response")
    assert reply.body["response_type"] == "ephemeral"
    assert team_month(slack.settings, "payments", "2026-10") in reply.body["text"]
    assert reply.body["blocks"][0]["type"] == "header"
    assert slack.stub.named("chat.postMessage") == []


def test_bill_request_uploads_the_charts_into_the_thread(slack: Slack) -> None:
    slack.mention("bill October", ts="1790000700.1")
    (update,) = slack.stub.wait_for("chat.update")
    header, summary = update.body["blocks"][:2]
    assert header["text"]["text"] == "Bill October"  # the question asked
    assert summary["text"]["text"].startswith("The 2026-10 bill: *$")
    (done,) = slack.stub.wait_for("files.completeUploadExternal")
    assert (done.body["channel_id"], done.body["thread_ts"]) == ("C1", "1790000700.1")
    titles = [f["title"] for f in json.loads(done.body["files"])]
    assert titles == ["2026-10 bill: daily cost by team", "2026-10 bill: what changed (waterfall)"]
    uploads = slack.stub.named("upload")
    assert len(uploads) == 2 and all(u.raw_size > 1000 for u in uploads)  # real PNG bytes


def test_rightsizing_answer_has_a_button_that_posts_the_patch(slack: Slack) -> None:
    slack.mention("top rightsizing opportunities", ts="1790000800.1")
    (update,) = slack.stub.wait_for("chat.update")
    actions = next(b for b in update.body["blocks"] if b["type"] == "actions")
    button = actions["elements"][0]
    assert button["text"]["text"].startswith("Draft patch: ")
    payload = {
        "type": "block_actions",
        "user": {"id": "UADMIN"},
        "api_app_id": "A1",
        "token": "legacy",
        "team": {"id": "T1"},
        "trigger_id": "tr2",
        "container": {
            "type": "message",
            "message_ts": update.body["ts"],
            "channel_id": "C1",
            "is_ephemeral": False,
            "thread_ts": "1790000800.1",
        },
        "channel": {"id": "C1"},
        "response_url": f"{slack.stub.root}/response/2",
        "message": {"ts": update.body["ts"], "thread_ts": "1790000800.1"},
        "actions": [{**button, "block_id": "penny_drafts", "action_ts": "1"}],
    }
    r = slack.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    assert r.status_code == 200
    posts = slack.stub.wait_for("chat.postMessage", 2)
    patch = posts[1].body
    assert patch["thread_ts"] == "1790000800.1"
    assert patch["text"].startswith(f"Draft for {button['value']}")
    assert "resources:" in patch["text"] and "not applied" in json.dumps(patch["blocks"])


def test_every_web_api_method_the_bot_calls_has_its_scope_in_the_manifest(slack: Slack) -> None:
    """A mention by a user mapped by email (users.info) and a bill with its charts (the
    upload steps): each Web API method the stub saw needs a scope the manifest
    asks for, so an app made from the manifest can do all of it."""
    from assistant.interfaces.slack_manifest import EMAIL_SCOPE, SCOPES_BY_METHOD, manifest

    slack.mention("top 5 namespaces last month", user="UANA", ts="1790000900.1")
    slack.mention("bill October", ts="1790000901.1")
    slack.stub.wait_for("files.completeUploadExternal")
    seen = {c.method for c in slack.stub.calls if c.method not in ("upload", "response")}
    assert {"users.info", "chat.postMessage", "chat.update", "files.getUploadURLExternal"} <= seen
    unknown = seen - set(SCOPES_BY_METHOD)
    assert not unknown, f"add {unknown} to SCOPES_BY_METHOD with the scope each needs"
    granted = set(manifest("https://penny.example.com")["oauth_config"]["scopes"]["bot"])
    needed = {SCOPES_BY_METHOD[m] for m in seen} - {None}
    assert needed <= granted
    assert EMAIL_SCOPE in granted  # users.info returned the email the scope map is keyed by
