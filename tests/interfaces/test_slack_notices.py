"""Notices in Slack: the "Why?" under a notice answered in its thread with the channel's
scope, against the running app and the Slack stub. Dollar figures are independent sums."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.interfaces.slack_notices import why_button
from tests.interfaces.conftest import NOW, SIGNING_SECRET, LiveServer, tokens
from tests.interfaces.slack_requests import Slack
from tests.interfaces.slack_stub import SlackStub
from tests.notify.conftest import allocated, dollars

pytestmark = pytest.mark.slow

CHANNELS = {"C0PAY": ["team:payments"], "C0FIN": ["*"]}


@pytest.fixture
def slack(demo_settings: Settings) -> Iterator[Slack]:
    stub = SlackStub()
    settings = load_settings(
        home=demo_settings.home,
        now=NOW,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "users": {"UPAY": ["team:payments"]},
            "default_scope": ["*"],
            "channels": CHANNELS,
        },
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        yield Slack(server.url, stub, settings)
    stub.close()


def test_why_under_a_team_digest_answers_in_its_thread_with_the_team_only(slack: Slack) -> None:
    r = slack.press(why_button("digest", "2026-11-09..2026-11-16"), "C0PAY", "1790001000.1")
    assert r.status_code == 200
    (reply,) = slack.stub.wait_for("chat.postMessage")
    assert (reply.body["channel"], reply.body["thread_ts"]) == ("C0PAY", "1790001000.1")
    blocks = reply.body["blocks"]
    assert blocks[0]["text"]["text"] == "Why team payments changed, week 2026-11-09..2026-11-16"
    text = json.dumps(blocks, ensure_ascii=False)
    team = "kind = 'workload' AND team = 'payments'"
    before = allocated(slack.settings, f"{team} AND hour >= '2026-11-02' AND hour < '2026-11-09'")
    after = allocated(slack.settings, f"{team} AND hour >= '2026-11-09' AND hour < '2026-11-16'")
    assert f"{dollars(before)} → {dollars(after)}" in text
    assert "payments/Deployment/checkout-api" in text
    for other in ("ml-training", "storefront", "search-api", "__unallocated__"):
        assert other not in text
    assert blocks[-1]["elements"][0]["text"].startswith("Sources: allocations")


def test_details_of_a_closed_bill_come_with_its_charts(slack: Slack) -> None:
    slack.press(why_button("bill", "2026-10", "Details"), "C0FIN", "1790001100.1")
    (reply,) = slack.stub.wait_for("chat.postMessage")
    assert reply.body["thread_ts"] == "1790001100.1"
    assert reply.body["blocks"][0]["text"]["text"] == "Bill for 2026-10"
    (done,) = slack.stub.wait_for("files.completeUploadExternal")
    assert (done.body["channel_id"], done.body["thread_ts"]) == ("C0FIN", "1790001100.1")


def test_a_press_outside_a_notice_channel_answers_the_presser_alone(slack: Slack) -> None:
    slack.press(why_button("anomaly", "team:data:spike:2026-10-22"), "C9", "1790001200.1", "UPAY")
    (reply,) = slack.stub.wait_for("response")
    # UPAY sees payments only: team data's spike is not theirs to see
    assert reply.body["response_type"] == "ephemeral"
    assert "no longer looks unusual" in reply.body["text"]
    assert slack.stub.named("chat.postMessage") == []


def test_a_forged_button_value_is_an_error_reply_not_a_crash(slack: Slack) -> None:
    action = {**why_button("digest", "x"), "value": "{not json"}
    slack.press(action, "C0FIN", "1790001300.1")
    (reply,) = slack.stub.wait_for("chat.postMessage")
    assert reply.body["text"].startswith(":x: Not a Penny notice button")
    assert reply.body["thread_ts"] == "1790001300.1"
