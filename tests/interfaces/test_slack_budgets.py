"""Budget alerts (`slack-budgets`) driven by a controllable clock, posted through the real
WebClient to the loopback Slack stub, over a hand-built November 2026
(tests/budgets/steady_month.py).

Every hour of November: team payments 2 cores × $0.50 = $1.00 (namespace pay), team data
1 core × $0.25 = $0.25 (namespace etl), idle $0.25. So a day costs payments $24, data $6
and the whole bill $36. Budgets: total $1,080, team payments $600, team data $360.

Forecast (month_forecast): month to date + the mean of the last up to 7 complete days ×
the days left. Every day costs the same, so each forecast is the daily cost × 30: payments
$720 (120 % of 600), data $180 (50 % of 360), total $1,080 (100 % of 1,080), at any look.

Channels: C0PAY sees team payments, C0DATA team data, C0FIN everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.capabilities.context import Ctx
from assistant.config import Settings, load_settings
from assistant.errors import DataGap
from assistant.interfaces.slack_jobs import Notices, notice_jobs
from assistant.notify.channels import channel_scope
from assistant.notify.details import details
from assistant.notify.posts import PostLog
from tests.budgets.steady_month import BUDGETS, steady_november
from tests.interfaces.slack_stub import SlackStub

CHANNELS = {"C0PAY": ["team:payments"], "C0DATA": ["team:data"], "C0FIN": ["*"]}


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    s = SlackStub()
    yield s
    s.close()


@pytest.fixture
def settings(penny_env: Path, stub: SlackStub) -> Settings:
    s = load_settings(
        budgets=BUDGETS,
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": "s",
            "api_url": stub.api_url,
            "channels": CHANNELS,
            "digest": {"enabled": False},
            "bill_post": {"enabled": False},
            "anomaly_alerts": {"enabled": False},
        },
    )
    steady_november(s)
    return s


def _posts(stub: SlackStub, since: int = 0) -> list[tuple[str, str]]:
    return [
        (c.body["channel"], c.body["blocks"][0]["text"]["text"])
        for c in stub.named("chat.postMessage")[since:]
    ]


def _body(stub: SlackStub, channel: str, header: str) -> dict[str, Any]:
    (found,) = [
        c.body
        for c in stub.named("chat.postMessage")
        if c.body["channel"] == channel and c.body["blocks"][0]["text"]["text"] == header
    ]
    return found


def _lines(body: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]


def test_the_job_follows_its_off_switch_and_needs_budgets(settings: Settings) -> None:
    assert [j.name for j in notice_jobs(settings)] == ["slack-budgets"]
    off = settings.model_copy(
        update={
            "slack": settings.slack.model_copy(
                update={
                    "budget_alerts": settings.slack.budget_alerts.model_copy(
                        update={"enabled": False}
                    )
                }
            )
        }
    )
    assert notice_jobs(off) == []
    assert notice_jobs(settings.model_copy(update={"budgets": []})) == []


def test_budget_thresholds_post_once_each_to_the_channels_that_see_them(
    settings: Settings, stub: SlackStub
) -> None:
    (job,) = notice_jobs(settings)
    assert job.name == "slack-budgets"

    # Nov 1 00:00: no hour of November has data yet — nothing spent, nothing to say
    job.run(datetime(2026, 11, 1, 0, 0))
    assert _posts(stub) == []

    # Nov 2 00:00, one day in: every forecast is already known (daily × 30). Payments'
    # $720 is 120 % (100 sent; 50 and 80 recorded, unsent); data's $180 is 50 %; the
    # total's $1,080 is 100 %. The actuals are far below 50 %.
    job.run(datetime(2026, 11, 2, 0, 0))
    assert _posts(stub) == [
        ("C0PAY", "Budget team payments: forecast at 100%"),
        ("C0DATA", "Budget team data: forecast at 50%"),
        ("C0FIN", "Budget total: forecast at 100%"),
        ("C0FIN", "Budget team payments: forecast at 100%"),
        ("C0FIN", "Budget team data: forecast at 50%"),
    ]
    pay = _lines(_body(stub, "C0PAY", "Budget team payments: forecast at 100%"))
    # spent 1 day × $24 = $24.00 = 4.00 % of $600; forecast $720 = 120.00 %, $120 over
    assert pay == [
        "*team payments* has spent *$24.00* (4.00%) of its $600.00 budget for 2026-11, "
        "$576.00 left (data to 2026-11-02 00:00 UTC).",
        "Forecast for the month: *$720.00* (120.00%), $120.00 over budget.",
    ]
    data = _body(stub, "C0DATA", "Budget team data: forecast at 50%")
    # $6.00 = 1.67 % of $360; forecast $180 = 50.00 %, $180 under
    assert _lines(data) == [
        "*team data* has spent *$6.00* (1.67%) of its $360.00 budget for 2026-11, "
        "$354.00 left (data to 2026-11-02 00:00 UTC).",
        "Forecast for the month: *$180.00* (50.00%), $180.00 under budget.",
    ]
    assert (
        data["text"] == "Budget team data is forecast to reach 50% in 2026-11: $180.00 of $360.00"
    )
    total = _lines(_body(stub, "C0FIN", "Budget total: forecast at 100%"))
    # $36.00 = 3.33 % of $1,080; forecast exactly $1,080: $0.00 under
    assert total[0].startswith("*total* has spent *$36.00* (3.33%) of its $1,080.00 budget")
    assert total[1] == "Forecast for the month: *$1,080.00* (100.00%), $0.00 under budget."

    # Nov 13 12:00: payments 12.5 days × $24 = $300 = 50 % of $600; the rest below 50 %
    # (data $75 = 20.83 %, total $450 = 41.67 %). A second look in the same hour: nothing.
    before = len(stub.named("chat.postMessage"))
    job.run(datetime(2026, 11, 13, 12, 0))
    job.run(datetime(2026, 11, 13, 12, 15))
    assert _posts(stub, before) == [
        ("C0PAY", "Budget team payments: 50% reached"),
        ("C0FIN", "Budget team payments: 50% reached"),
    ]
    half = _body(stub, "C0PAY", "Budget team payments: 50% reached")
    assert _lines(half)[0] == (
        "*team payments* has spent *$300.00* (50.00%) of its $600.00 budget for 2026-11, "
        "$300.00 left (data to 2026-11-13 12:00 UTC)."
    )
    assert half["text"] == "Budget team payments reached 50% in 2026-11: $300.00 of $600.00"

    # a restart (new jobs, new client, the same record) on Nov 21 00:00: payments 20 × $24
    # = $480 = 80 %; the total 20 × $36 = $720 = 66.67 % (50 %); data $120 = 33.33 %
    before = len(stub.named("chat.postMessage"))
    (job,) = notice_jobs(settings)
    job.run(datetime(2026, 11, 21, 0, 0))
    assert _posts(stub, before) == [
        ("C0PAY", "Budget team payments: 80% reached"),
        ("C0FIN", "Budget total: 50% reached"),
        ("C0FIN", "Budget team payments: 80% reached"),
    ]
    assert _lines(_body(stub, "C0FIN", "Budget total: 50% reached"))[0] == (
        "*total* has spent *$720.00* (66.67%) of its $1,080.00 budget for 2026-11, "
        "$360.00 left (data to 2026-11-21 00:00 UTC)."
    )

    # Nov 26 00:00: payments 25 × $24 = $600 = 100 % ($0.00 left); the total 25 × $36 =
    # $900 = 83.33 % (80 %). The forecast's 100 % for payments was said on Nov 2 already.
    before = len(stub.named("chat.postMessage"))
    job.run(datetime(2026, 11, 26, 0, 0))
    assert _posts(stub, before) == [
        ("C0PAY", "Budget team payments: 100% reached"),
        ("C0FIN", "Budget total: 80% reached"),
        ("C0FIN", "Budget team payments: 100% reached"),
    ]
    full = _body(stub, "C0PAY", "Budget team payments: 100% reached")
    assert _lines(full)[0] == (
        "*team payments* has spent *$600.00* (100.00%) of its $600.00 budget for 2026-11, "
        "$0.00 left (data to 2026-11-26 00:00 UTC)."
    )
    # the note, the Details button on the alert's key, and the sources line
    assert full["blocks"][3]["elements"][0]["text"] == "_owned by Pat_"
    (button,) = full["blocks"][4]["elements"]
    assert button["value"] == '{"kind":"budget","key":"team:payments:2026-11:actual:100"}'
    sources = full["blocks"][5]["elements"][0]["text"]
    assert (
        sources.startswith("Sources: allocations") and "budget alert for team payments" in sources
    )

    # another restart, later looks: nothing is posted twice
    before = len(stub.named("chat.postMessage"))
    Notices(settings, None).budgets(datetime(2026, 11, 26, 0, 30))
    Notices(settings, None).budgets(datetime(2026, 11, 29, 9, 0))
    assert len(stub.named("chat.postMessage")) == before == 13  # 5 + 2 + 3 + 3

    # a team channel only ever saw its own team's budget
    sent = _posts(stub)
    assert {h for c, h in sent if c == "C0PAY"} <= {
        h for h in (h for _, h in sent) if "payments" in h
    }
    assert [h for c, h in sent if c == "C0DATA"] == ["Budget team data: forecast at 50%"]

    # the record: each threshold per channel once; those passed at the same look as a
    # higher one are recorded as skipped, never posted later
    record = {(p.channel, p.key): p.status for p in PostLog(settings).find("budget", "C0PAY")}
    assert record == {
        ("C0PAY", "team:payments:2026-11:forecast:50"): "skipped",
        ("C0PAY", "team:payments:2026-11:forecast:80"): "skipped",
        ("C0PAY", "team:payments:2026-11:forecast:100"): "posted",
        ("C0PAY", "team:payments:2026-11:actual:50"): "posted",
        ("C0PAY", "team:payments:2026-11:actual:80"): "posted",
        ("C0PAY", "team:payments:2026-11:actual:100"): "posted",
    }


def test_details_answer_with_the_channel_scope(settings: Settings) -> None:
    """The "Details" press: the budget's month now (Nov 26 00:00), and where it went; a team
    channel pressing another team's key learns nothing about it."""
    now = settings.model_copy(update={"now": datetime(2026, 11, 26)})
    pay = channel_scope(now, "C0PAY")
    assert pay is not None
    found = details(Ctx.create(now, pay), "budget", "team:payments:2026-11:actual:100")
    assert found.title == "Budget team payments, 2026-11"
    rows = found.markdown.splitlines()
    assert (
        "| team payments | $600.00 | $600.00 | 100.00% | $0.00 | $720.00 | -$120.00 | "
        "forecast over |"
    ) in rows
    assert "- team payments: owned by Pat" in rows
    # where it went, Nov 1..26: the one payments workload, 600 h × $1.00 = $600.00
    assert rows[rows.index("### Where it went, 2026-11-01..2026-11-26") :] == [
        "### Where it went, 2026-11-01..2026-11-26",
        "",
        "| Workload | Cost |",
        "|---|---:|",
        "| Pod/pay | $600.00 |",
    ]
    data = channel_scope(now, "C0DATA")
    assert data is not None
    with pytest.raises(DataGap, match="No budget matching team:payments that you may see"):
        details(Ctx.create(now, data), "budget", "team:payments:2026-11:actual:100")


def test_a_failed_alert_is_retried_and_a_month_starts_afresh(
    settings: Settings, stub: SlackStub
) -> None:
    (job,) = notice_jobs(settings)
    stub.refuse("C0DATA", "not_in_channel")
    with pytest.raises(Exception, match="C0DATA: Could not post to Slack channel C0DATA"):
        job.run(datetime(2026, 11, 2, 0, 0))
    (failed,) = PostLog(settings).find("budget", "C0DATA")
    assert (failed.key, failed.status) == ("team:data:2026-11:forecast:50", "failed")
    stub.refused.clear()
    assert (
        job.run(datetime(2026, 11, 2, 1, 0))
        == "C0DATA: posted budget team:data:2026-11:forecast:50"
    )
    # December 1 01:00, before any December hour has data: nothing spent in December, and
    # its forecast runs November's last 7 days' rate over 31 days (data 31 × $6 = $186 =
    # 51.67 % of $360; payments 31 × $24 = $744; total 31 × $36 = $1,116). A new month's
    # thresholds are new alerts. November, complete now, is judged on its actual (payments
    # 30 × $24 = $720, 120 %; data $180, 50 %; total $1,080, 100 %): only its thresholds
    # not yet said are posted, the highest of each look.
    before = len(stub.named("chat.postMessage"))
    job.run(datetime(2026, 12, 1, 1, 0))
    posted = stub.named("chat.postMessage")[before:]
    assert [(c.body["channel"], c.body["text"]) for c in posted] == [
        ("C0PAY", "Budget team payments is forecast to reach 100% in 2026-12: $744.00 of $600.00"),
        ("C0PAY", "Budget team payments reached 100% in 2026-11: $720.00 of $600.00"),
        ("C0DATA", "Budget team data is forecast to reach 50% in 2026-12: $186.00 of $360.00"),
        ("C0DATA", "Budget team data reached 50% in 2026-11: $180.00 of $360.00"),
        ("C0FIN", "Budget total is forecast to reach 100% in 2026-12: $1,116.00 of $1,080.00"),
        ("C0FIN", "Budget team payments is forecast to reach 100% in 2026-12: $744.00 of $600.00"),
        ("C0FIN", "Budget team data is forecast to reach 50% in 2026-12: $186.00 of $360.00"),
        ("C0FIN", "Budget total reached 100% in 2026-11: $1,080.00 of $1,080.00"),
        ("C0FIN", "Budget team payments reached 100% in 2026-11: $720.00 of $600.00"),
        ("C0FIN", "Budget team data reached 50% in 2026-11: $180.00 of $360.00"),
    ]
    assert _lines(posted[2].body) == [
        "*team data* has spent *$0.00* (0.00%) of its $360.00 budget for 2026-12, $360.00 left.",
        "Forecast for the month: *$186.00* (51.67%), $174.00 under budget.",
    ]
    # a complete month: its actual alone, no "data to", no forecast line
    assert _lines(posted[3].body) == [
        "*team data* has spent *$180.00* (50.00%) of its $360.00 budget for 2026-11, $180.00 left."
    ]


def test_last_months_final_hours_arriving_late_still_alert_once(
    penny_env: Path, stub: SlackStub
) -> None:
    """Data to Nov 30 18:00 (714 h) at the month's last look; its last 6 hours are ingested
    after midnight. A $179 data budget: 714 × $0.25 = $178.50 (99.72 %), then 720 × $0.25
    = $180.00 (100.56 %): the 100 % alert comes on Dec 1, keyed to November."""
    from assistant.warehouse.db import writer
    from tests.billing.bill_rows import NOV, alloc

    settings = load_settings(
        budgets=[{"scope": "team:data", "monthly": "179"}],
        slack={
            "bot_token": "xoxb-test",
            "api_url": stub.api_url,
            "channels": {"C0DATA": ["team:data"]},
            "digest": {"enabled": False},
            "bill_post": {"enabled": False},
            "anomaly_alerts": {"enabled": False},
            "budget_alerts": {"thresholds": [100], "forecast_thresholds": []},
        },
    )
    with writer(settings) as con:
        alloc(con, NOV, range(0, 714), node="n1", namespace="etl", team="data", cpu=1,
              cpu_price="0.25")  # fmt: skip
    (job,) = notice_jobs(settings)
    job.run(datetime(2026, 11, 30, 23, 45))
    assert _posts(stub) == []
    with writer(settings) as con:
        alloc(con, NOV, range(714, 720), node="n1", namespace="etl", team="data", cpu=1,
              cpu_price="0.25")  # fmt: skip
    job.run(datetime(2026, 12, 1, 0, 30))
    job.run(datetime(2026, 12, 2, 9, 0))
    (post,) = stub.named("chat.postMessage")
    assert post.body["text"] == "Budget team data reached 100% in 2026-11: $180.00 of $179.00"
    assert _lines(post.body) == [
        "*team data* has spent *$180.00* (100.56%) of its $179.00 budget for 2026-11, $1.00 over."
    ]


def test_a_details_press_answers_in_the_alerts_thread_with_the_channel_scope(
    penny_env: Path, stub: SlackStub
) -> None:
    """An admin presses Details under the payments alert in the payments channel: the
    answer is the payments budget alone (Nov 26 00:00: $600.00 spent, forecast $720.00)."""
    from assistant.interfaces.api import create_app
    from assistant.interfaces.slack_notices import why_button
    from tests.interfaces.conftest import SIGNING_SECRET, LiveServer, tokens
    from tests.interfaces.slack_requests import Slack

    settings = load_settings(
        now=datetime(2026, 11, 26),
        budgets=BUDGETS,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "default_scope": ["*"],
            "channels": CHANNELS,
        },
    )
    steady_november(settings, hours=600)
    with LiveServer(create_app(settings, engine="offline")) as server:
        slack = Slack(server.url, stub, settings)
        button = why_button("budget", "team:payments:2026-11:actual:100", "Details")
        assert slack.press(button, "C0PAY", "1790002000.1").status_code == 200
        (reply,) = stub.wait_for("chat.postMessage")
    assert (reply.body["channel"], reply.body["thread_ts"]) == ("C0PAY", "1790002000.1")
    blocks = reply.body["blocks"]
    assert blocks[0]["text"]["text"] == "Budget team payments, 2026-11"
    text = json.dumps(blocks, ensure_ascii=False)
    for figure in ("$600.00", "100.00%", "$720.00", "-$120.00", "Pod/pay"):
        assert figure in text
    for other in ("team data", "total", "etl", "__idle__"):
        assert other not in text
    assert blocks[-1]["elements"][0]["text"].startswith("Sources: allocations")


def test_serve_schedules_the_budget_job_and_a_restart_posts_nothing_twice(
    settings: Settings, stub: SlackStub
) -> None:
    """`penny serve`'s scheduler with a ManualClock. Nov 13 09:00: payments has spent
    12 days 9 hours × $1 = $297 (49.50 %), nothing to say; the 12:00 slot: 12.5 days × $24
    = $300 (50 %), posted; a restarted scheduler in the next slot posts nothing again."""
    from assistant.interfaces import slack_schedule  # noqa: F401  (registers the jobs)
    from assistant.service.scheduler import ManualClock, Scheduler

    only = settings.model_copy(
        update={
            "slack": settings.slack.model_copy(
                update={
                    "channels": {"C0PAY": ["team:payments"]},
                    "budget_alerts": settings.slack.budget_alerts.model_copy(
                        update={"forecast_thresholds": []}
                    ),
                }
            )
        }
    )
    clock = ManualClock(datetime(2026, 11, 13, 9, 5))
    scheduler = Scheduler.from_settings(only, clock)
    assert "slack-budgets" in scheduler.jobs
    runs = {r.job: r for r in scheduler.tick()}
    assert runs["slack-budgets"].detail == "nothing new"  # $297.00 is 49.50 %
    clock.advance(timedelta(hours=3))  # 12:05, slot 12:00: 12.5 days × $24 = $300, 50 %
    runs = {r.job: r for r in scheduler.tick()}
    assert runs["slack-budgets"].detail == "C0PAY: posted budget team:payments:2026-11:actual:50"
    restarted = Scheduler.from_settings(only, ManualClock(datetime(2026, 11, 13, 12, 20)))
    restarted.recover()
    restarted.tick()
    assert _posts(stub) == [("C0PAY", "Budget team payments: 50% reached")]


def test_two_budgets_of_one_scope_alert_each_on_their_own(
    settings: Settings, stub: SlackStub
) -> None:
    """A hard cap beside the budget of the same team: each is its own budget to the alerts.

    Nov 13 12:00, payments has spent 12.5 days × $24 = $300: 50.00 % of its $600 budget and
    51.72 % of the $580 cap — both past 50 % at the same look. Forecast $720: 120.00 % and
    124.14 %, both past 100 %. Keyed by scope alone, the cap's alerts were the budget's keys
    and were never sent."""
    capped = settings.model_copy(
        update={
            "budgets": load_settings(
                budgets=[
                    *BUDGETS,
                    {"scope": "team:payments", "monthly": "580", "name": "payments cap"},
                ]
            ).budgets
        }
    )
    (job,) = notice_jobs(capped)
    job.run(datetime(2026, 11, 13, 12, 0))
    assert [h for c, h in _posts(stub) if c == "C0PAY"] == [
        "Budget team payments: 50% reached",
        "Budget team payments: forecast at 100%",
        "Budget payments cap: 50% reached",
        "Budget payments cap: forecast at 100%",
    ]
    cap = _body(stub, "C0PAY", "Budget payments cap: 50% reached")
    assert _lines(cap)[0] == (
        "*payments cap* has spent *$300.00* (51.72%) of its $580.00 budget for 2026-11, "
        "$280.00 left (data to 2026-11-13 12:00 UTC)."
    )
    # its Details button names it, and Details answers about the cap, not the budget
    key = json.loads(cap["blocks"][-2]["elements"][0]["value"])["key"]
    assert key == "payments cap:2026-11:actual:50"
    now = capped.model_copy(update={"now": datetime(2026, 11, 13, 12)})
    pay = channel_scope(now, "C0PAY")
    assert pay is not None
    assert details(Ctx.create(now, pay), "budget", key).title == "Budget payments cap, 2026-11"


def test_two_budgets_one_name_is_a_config_error(penny_env: Path) -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match=r"budgets 1 and 2 are both called 'team payments'"):
        load_settings(
            budgets=[*BUDGETS[:2], {"scope": "team:payments", "monthly": "1"}, BUDGETS[2]]
        )
