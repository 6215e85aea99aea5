"""Slack requests that must not be answered (held), and Slack questions that must always be
answered: the placeholder is replaced whatever happens, with an error that leaks nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.interfaces.slack_blocks import PLACEHOLDER
from tests.hostile.conftest import NOW, leaks, snapshot, tokens
from tests.interfaces.conftest import SIGNING_SECRET, LiveServer
from tests.interfaces.slack_stub import SlackStub
from tests.interfaces.test_slack import Slack, sign

pytestmark = pytest.mark.slow


def _slack(home: Path, stub: SlackStub) -> Settings:
    return load_settings(
        home=home,
        now=NOW,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "default_scope": ["*"],
        },
    )


@pytest.fixture
def slack(settings: Settings) -> Iterator[Slack]:
    stub = SlackStub()
    s = _slack(settings.home, stub)
    with LiveServer(create_app(s, engine="offline")) as server:
        yield Slack(server.url, stub, s)
    stub.close()


def _body(text: str = "top 5 namespaces last month", ts: str = "1790000900.1") -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "event_id": f"Ev{ts}",
            "team_id": "T1",
            "event": {
                "type": "app_mention",
                "user": "UADMIN",
                "channel": "C1",
                "text": f"<@UPENNY> {text}",
                "ts": ts,
            },
        }
    )


def _headers(case: str, body: str) -> dict[str, str]:
    now = int(time.time())
    good = sign(body)
    return {
        "forged": sign(body, secret="not-the-secret"),
        "stale_10_minutes": sign(body, ts=now - 600),
        "future_10_minutes": sign(body, ts=now + 600),
        "unsigned": {},
        "no_timestamp": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "no_signature": {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
        "timestamp_not_a_number": {**good, "X-Slack-Request-Timestamp": "soon"},
        "wrong_scheme": {
            **good,
            "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1="),
        },
        "signed_for_another_body": sign(body.replace("top 5", "top 6")),
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "forged",
        "stale_10_minutes",
        "future_10_minutes",
        "unsigned",
        "no_timestamp",
        "no_signature",
        "timestamp_not_a_number",
        "wrong_scheme",
        "signed_for_another_body",
    ],
)
def test_unverified_slack_requests_are_refused_and_nothing_is_posted(
    slack: Slack, case: str
) -> None:
    body = _body()
    before = snapshot(slack.settings)
    r = slack.post(body, "application/json", _headers(case, body), signed=False)
    assert r.status_code == 401
    assert leaks(r.text, slack.settings) == []
    time.sleep(0.5)
    assert slack.stub.named("chat.postMessage") == []
    assert snapshot(slack.settings) == before


def test_a_replayed_event_is_answered_once(slack: Slack) -> None:
    for _ in range(3):
        slack.mention("top 5 namespaces last month", ts="1790000950.1", event_id="EvSame")
    slack.stub.wait_for("chat.update")
    slack.mention("cost by team last month", ts="1790000951.1")
    slack.stub.wait_for("chat.update", 2)
    assert len(slack.stub.named("chat.postMessage")) == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("top 5 namespaces \ud800 last month", "lone surrogate"),
        ("x" * 4_500, "characters; the limit is"),
        ("top\u0000 5", "NUL"),
    ],
    ids=["lone_surrogate", "too_long", "nul"],
)
def test_a_bad_question_in_slack_gets_a_clear_reply(slack: Slack, text: str, says: str) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": f"Ev-{says[:4]}",
            "team_id": "T1",
            "event": {
                "type": "app_mention",
                "user": "UADMIN",
                "channel": "C1",
                "text": f"<@UPENNY> {text}",
                "ts": "1790000960.1",
            },
        }
    )
    assert slack.post(body, "application/json").status_code == 200
    (update,) = slack.stub.wait_for("chat.update")
    assert update.body["text"] != PLACEHOLDER
    assert says in update.body["text"] and update.body["text"].startswith(":x:")


def test_a_bug_while_answering_still_replaces_the_placeholder(tmp_path: Path) -> None:
    """A warehouse file with no tables breaks the answer in a way nobody planned: the
    reply says so with a request id, and shows no exception text or path."""
    home = tmp_path / "broken"
    home.mkdir()
    duckdb.connect(str(home / "penny.duckdb")).close()
    stub = SlackStub()
    settings = _slack(home, stub)
    try:
        with LiveServer(create_app(settings, engine="offline")) as server:
            Slack(server.url, stub, settings).mention("top 5 namespaces last month")
            (update,) = stub.wait_for("chat.update")
    finally:
        stub.close()
    text = update.body["text"]
    assert text.startswith(":x: Penny hit an internal error (request ")
    assert "Catalog" not in text and leaks(text, settings) == []
