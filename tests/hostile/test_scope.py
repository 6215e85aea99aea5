"""Scoped askers over every channel: their own part of the bill, never the org's total;
names outside their scope "not visible to you", unknown names said out loud, idle and
unallocated never read as zero.

The failed class: a ``team:``/``ns:`` token asking "bill November" or "why did November go
up?" got a 500 over JSON, a bare ``error`` event over SSE, and in Slack a placeholder
that never changed. The expected numbers are independent SQL sums over the allocations
view (``team_total``), so the test does not trust the code it checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from tests.hostile.conftest import ADMIN, NOW, NS, TEAM, auth, cents, snapshot, team_total, tokens
from tests.interfaces.conftest import SIGNING_SECRET, LiveServer
from tests.interfaces.slack_stub import SlackStub
from tests.interfaces.test_slack import Slack


def _org_bill(settings: Settings, month: str) -> Decimal:
    with reader(settings) as con:
        row = con.execute(
            "SELECT sum(effective_cost) FROM billing_lines WHERE strftime(charge_period_start, "
            "'%Y-%m') = ?",
            [month],
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        kind = block.split("\n")[0].removeprefix("event: ")
        data = json.loads(block.split("\n")[1].removeprefix("data: "))
        out.append((kind, data))
    return out


QUESTIONS = ["bill November", "why did November go up?", "bill October"]
TOKENS = {"team": TEAM, "ns": NS}


def _expected(settings: Settings, question: str) -> tuple[str, str]:
    month = "2026-10" if "October" in question else "2026-11"
    return cents(team_total(settings, "payments", month)), cents(_org_bill(settings, month))


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("who", sorted(TOKENS))
def test_scoped_bill_question_over_json_gives_its_part(
    who: str, question: str, settings: Settings
) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    r = c.post("/v1/chat", json={"message": question}, headers=auth(TOKENS[who]))
    assert r.status_code == 200, r.text
    text = r.json()["answer"]["text"]
    mine, org = _expected(settings, question)
    assert f"**{mine}** amortized" in text  # Σ payments' workload cost in the month
    assert org not in text  # never the org-wide bill
    assert "not visible to you" in text


@pytest.mark.parametrize("question", QUESTIONS)
def test_scoped_bill_question_over_sse_ends_with_done(question: str, settings: Settings) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    with c.stream(
        "POST",
        "/v1/chat",
        json={"message": question},
        headers={**auth(TEAM), "Accept": "text/event-stream"},
    ) as r:
        events = _sse(r.read().decode())
    assert [k for k, _ in events][-1] == "done", events[-1]
    assert "error" not in [k for k, _ in events]
    mine, _ = _expected(settings, question)
    assert mine in events[-1][1]["answer"]["text"]


@pytest.fixture
def slack(settings: Settings) -> Iterator[Slack]:
    stub = SlackStub()
    s = load_settings(
        home=settings.home,
        now=NOW,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "default_scope": ["team:payments"],
            "users": {"UNS": ["ns:payments"], "UADMIN": ["*"]},
        },
    )
    with LiveServer(create_app(s, engine="offline")) as server:
        yield Slack(server.url, stub, s)
    stub.close()


@pytest.mark.slow
@pytest.mark.parametrize("user", ["UPAY", "UNS"])
def test_scoped_bill_question_in_slack_mention_replaces_the_placeholder(
    slack: Slack, user: str
) -> None:
    slack.mention("bill November", user=user, ts="1790000700.1")
    (update,) = slack.stub.wait_for("chat.update")
    mine, org = _expected(slack.settings, "bill November")
    blocks = json.dumps(update.body["blocks"])
    assert mine in update.body["text"] and mine in blocks
    assert org not in blocks
    assert "Looking at the bill" not in update.body["text"]


@pytest.mark.slow
@pytest.mark.parametrize("question", ["bill November", "why did November go up?"])
def test_scoped_slash_command_answers_through_response_url(slack: Slack, question: str) -> None:
    body = urlencode(
        {
            "command": "/penny",
            "text": question,
            "user_id": "UPAY",
            "channel_id": "C1",
            "team_id": "T1",
            "trigger_id": "tr1",
            "response_url": f"{slack.stub.root}/response/1",
        }
    )
    assert slack.post(body, "application/x-www-form-urlencoded").status_code == 200
    (reply,) = slack.stub.wait_for("response")
    mine, _ = _expected(slack.settings, question)
    assert mine in reply.body["text"]
    assert reply.body["replace_original"] is True


# -- names the asker may not see, names that name nothing, figures that are not theirs -----

NOT_VISIBLE = {
    "what did search-api cost last month?": "workload search-api",
    "what did team search spend last month?": "team search",
    "how much did the storefront namespace cost in October?": "namespace storefront",
    "compare team search with team payments in October": "team search",
}


@pytest.mark.parametrize("question", sorted(NOT_VISIBLE))
@pytest.mark.parametrize("who", sorted(TOKENS))
def test_a_name_outside_the_scope_is_not_visible_never_another_total(
    who: str, question: str, settings: Settings
) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    r = c.post("/v1/chat", json={"message": question}, headers=auth(TOKENS[who]))
    text = r.json()["answer"]["text"]
    assert f"{NOT_VISIBLE[question]} is not visible to you" in text
    assert "$" not in text  # no figure at all: not theirs, not the asker's own total


@pytest.mark.parametrize("token", [ADMIN, TEAM, NS])
@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("how much did foo-bar-baz cost last month?", "foo-bar-baz"),
        ("what did qq-7 spend in October?", "qq-7"),  # the number is part of what is said
    ],
)
def test_a_name_that_names_nothing_is_said_out_loud(
    token: str, question: str, said: str, settings: Settings
) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    text = c.post("/v1/chat", json={"message": question}, headers=auth(token)).json()["answer"][
        "text"
    ]
    # said back as not understood (the offline engine accounts for every word), no figure
    assert text.startswith("I can't answer that as asked"), text
    assert f'could not map "{said}"' in text, text
    assert "$" not in text and "whole bill" not in text


@pytest.mark.parametrize("who", sorted(TOKENS))
@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("how much idle cost did we have last month?", "Idle cost in 2026-10 is not visible"),
        ("how much cost is unallocated last month?", "Unallocated cost in 2026-10 is not visible"),
        ("total cost last month", "Total cost you may see in 2026-10"),
    ],
)
def test_scoped_idle_unallocated_and_totals_are_never_passed_off(
    who: str, question: str, says: str, settings: Settings
) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    text = c.post("/v1/chat", json={"message": question}, headers=auth(TOKENS[who])).json()[
        "answer"
    ]["text"]
    assert says in text
    assert "every node-hour was allocated" not in text
    assert "the whole bill:" not in text


# -- held: a scoped asker sees no other team's numbers, on any route ----------------------


@pytest.mark.parametrize("who", sorted(TOKENS))
def test_scoped_routes_show_only_the_scope(who: str, settings: Settings) -> None:
    c = TestClient(create_app(settings, engine="offline"))
    before = snapshot(settings)
    rows = c.get("/v1/costs?window=2026-10&by=namespace", headers=auth(TOKENS[who])).json()["rows"]
    assert {r["name"] for r in rows} == {"payments"}
    bill = c.get("/v1/bill/2026-10?format=json", headers=auth(TOKENS[who])).json()
    assert bill["totals"] is None and bill["reconciliation"] is None
    assert Decimal(bill["scope_totals"]["amortized"]) == team_total(settings, "payments", "2026-10")
    chart = c.get("/v1/bill/2026-10/charts/daily_by_team.svg", headers=auth(TOKENS[who]))
    assert chart.status_code == 200 and "search" not in chart.text
    sql = c.post(
        "/v1/chat",
        json={"message": "run sql select sum(total_cost) from allocations"},
        headers=auth(TOKENS[who]),
    ).json()["answer"]["text"]
    assert "$" not in sql or "payments" in sql
    assert snapshot(settings)["warehouse"] == before["warehouse"]
