"""Penny speaks first: the notice jobs driven by a controllable clock, posting through the
real WebClient to the loopback Slack stub, over the demo warehouse.

Channels: C0PAY sees team payments, C0DATA team data, C0FIN everything. Planted in the
demo: team data's backfill spike on 2026-10-22, the October bill (truths.json), payments'
checkout-api new in staging-use1 from 2026-11-10. Dollar figures are independent sums.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import SourceUnavailable
from assistant.interfaces.slack_jobs import NoticeJob, Notices, notice_jobs, weekly_slot
from assistant.notify.posts import PostLog
from assistant.warehouse.db import reader
from tests.demo_warehouse import truths
from tests.interfaces.slack_stub import SlackStub

pytestmark = pytest.mark.slow

CHANNELS = {"C0PAY": ["team:payments"], "C0DATA": ["team:data"], "C0FIN": ["*"]}


def _sum(settings: Settings, where: str) -> Decimal:
    with reader(settings) as con:
        (total,) = con.execute(
            f"SELECT coalesce(sum(total_cost), 0) FROM allocations WHERE {where}"
        ).fetchone()
    return Decimal(total)


def _usd(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01')):,}"


@pytest.fixture
def home(demo_home: Path, tmp_path: Path) -> Path:
    """A home of its own (ledger, post record) over the shared demo warehouse."""
    own = tmp_path / "home"
    own.mkdir()
    (own / "penny.duckdb").symlink_to(demo_home / "penny.duckdb")
    (own / "out").symlink_to(demo_home / "out")
    return own


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    s = SlackStub()
    yield s
    s.close()


def _settings(home: Path, stub: SlackStub, **slack: object) -> Settings:
    return load_settings(
        home=home,
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": "s",
            "api_url": stub.api_url,
            "channels": CHANNELS,
            **slack,
        },
    )


def _look(jobs: list[NoticeJob], *times: datetime) -> list[str]:
    """What the scheduler does at each tick: every job's look at that time."""
    return [job.run(t) for t in times for job in jobs]


def _posts(stub: SlackStub) -> list[tuple[str, str]]:
    """(channel, header) of every message posted, in order."""
    return [
        (c.body["channel"], c.body["blocks"][0]["text"]["text"])
        for c in stub.named("chat.postMessage")
    ]


def test_weekly_slot_is_the_latest_weekday_at_the_hour() -> None:
    assert weekly_slot(datetime(2026, 11, 16, 9), 0, 9) == datetime(2026, 11, 16, 9)
    assert weekly_slot(datetime(2026, 11, 16, 8, 59), 0, 9) == datetime(2026, 11, 9, 9)
    assert weekly_slot(datetime(2026, 11, 20, 12), 2, 6) == datetime(2026, 11, 18, 6)


def test_jobs_follow_the_settings_and_their_off_switches(home: Path, stub: SlackStub) -> None:
    names = [j.name for j in notice_jobs(_settings(home, stub))]
    assert names == ["slack-digest", "slack-bill", "slack-anomalies"]
    off = _settings(home, stub, digest={"enabled": False}, anomaly_alerts={"enabled": False})
    assert [j.name for j in notice_jobs(off)] == ["slack-bill"]
    assert notice_jobs(load_settings(home=home, slack={"channels": CHANNELS})) == []  # no bot
    assert notice_jobs(_settings(home, stub, channels={})) == []  # nowhere to post


def test_anomaly_alert_goes_to_the_channels_that_see_it_exactly_once(
    home: Path, stub: SlackStub
) -> None:
    settings = _settings(home, stub, digest={"enabled": False}, bill_post={"enabled": False})
    jobs = notice_jobs(settings)
    _look(jobs, datetime(2026, 10, 23, 9, 0), datetime(2026, 10, 23, 9, 15))
    assert _posts(stub) == [
        ("C0DATA", "Unusual cost: data (team)"),
        ("C0FIN", "Unusual cost: data (team)"),
    ]
    spike = _sum(
        settings,
        "kind = 'workload' AND team = 'data' AND hour >= '2026-10-22' AND hour < '2026-10-23'",
    )
    for call in stub.named("chat.postMessage"):
        assert f"*{_usd(spike)}* against" in call.body["blocks"][1]["text"]["text"]
    # a restart: new jobs, a new client, the same record — and the run goes on a day
    _look(notice_jobs(settings), datetime(2026, 10, 23, 9, 30), datetime(2026, 10, 24, 9, 0))
    assert len(stub.named("chat.postMessage")) == 2
    record = PostLog(settings).find("anomaly")
    assert [(p.channel, p.key, p.status) for p in record] == [
        ("C0DATA", "team:data:spike:2026-10-22", "posted"),
        ("C0FIN", "team:data:spike:2026-10-22", "posted"),
    ]
    # each record keeps its message's ts: the thread a "Why?" is answered in
    assert len({p.ts for p in record}) == 2 and all(str(p.ts).startswith("17900") for p in record)


def test_month_close_bill_waits_for_its_day_then_posts_each_channels_own(
    home: Path, stub: SlackStub
) -> None:
    settings = _settings(home, stub, digest={"enabled": False}, anomaly_alerts={"enabled": False})
    (job,) = notice_jobs(settings)
    assert job.run(datetime(2026, 11, 2, 23, 45)) == "nothing due before the closing day"
    assert stub.named("chat.postMessage") == []
    job.run(datetime(2026, 11, 3, 9, 0))
    posts = {c.body["channel"]: c.body for c in stub.named("chat.postMessage")}
    assert sorted(posts) == ["C0DATA", "C0FIN", "C0PAY"]
    planted = Decimal(truths(home)["bill"]["2026-10"]["effective_cost"])
    october = "hour >= '2026-10-01' AND hour < '2026-11-01'"
    payments = _sum(settings, f"kind = 'workload' AND team = 'payments' AND {october}")
    assert posts["C0FIN"]["text"] == f"The 2026-10 bill for all teams: {_usd(planted)} amortized"
    assert (
        posts["C0PAY"]["text"] == f"The 2026-10 bill for team payments: {_usd(payments)} amortized"
    )
    assert "ml-training" not in json.dumps(posts["C0PAY"]["blocks"])
    job.run(datetime(2026, 11, 20, 9, 0))  # later looks in November: nothing new
    Notices(settings, None).bill(datetime(2026, 11, 25, 9, 0))  # a restarted server
    assert len(stub.named("chat.postMessage")) == 3


def test_weekly_digest_is_posted_on_its_day_per_team_once(home: Path, stub: SlackStub) -> None:
    settings = _settings(
        home, stub, bill_post={"enabled": False}, anomaly_alerts={"enabled": False}
    )
    (job,) = notice_jobs(settings)
    assert job.run(datetime(2026, 11, 16, 8, 45)).startswith("nothing due (next digest 2026-11-16")
    job.run(datetime(2026, 11, 16, 9, 0))
    job.run(datetime(2026, 11, 16, 9, 15))
    assert _posts(stub) == [
        ("C0PAY", "Weekly cost: team payments"),
        ("C0DATA", "Weekly cost: team data"),
        ("C0FIN", "Weekly cost: all teams"),
    ]
    week = "hour >= '2026-11-09' AND hour < '2026-11-16'"
    texts = {c.body["channel"]: c.body["text"] for c in stub.named("chat.postMessage")}
    pay = _sum(settings, f"kind = 'workload' AND team = 'payments' AND {week}")
    assert texts["C0PAY"].startswith(f"Weekly cost for team payments: {_usd(pay)} last week")
    assert texts["C0FIN"].startswith(f"Weekly cost for all teams: {_usd(_sum(settings, week))}")
    # after a restart and a day later: still three
    Notices(settings, None).digest(datetime(2026, 11, 16, 10, 0))
    assert job.run(datetime(2026, 11, 17, 9, 0)).startswith("nothing due")
    assert len(stub.named("chat.postMessage")) == 3


def test_a_failed_post_is_retried_at_the_next_look_and_reported(
    home: Path, stub: SlackStub
) -> None:
    settings = _settings(
        home, stub, bill_post={"enabled": False}, anomaly_alerts={"enabled": False}
    )
    (job,) = notice_jobs(settings)
    stub.refuse("C0DATA", "not_in_channel")
    with pytest.raises(
        SourceUnavailable, match="C0DATA: Could not post to Slack channel C0DATA: not_in_channel"
    ):
        job.run(datetime(2026, 11, 16, 9, 0))
    record = PostLog(settings).find("digest")
    assert [(p.channel, p.status) for p in record] == [  # claimed at one time: by channel
        ("C0DATA", "failed"),
        ("C0FIN", "posted"),
        ("C0PAY", "posted"),
    ]
    assert record[0].error == "Could not post to Slack channel C0DATA: not_in_channel"
    stub.refused.clear()  # the bot was invited
    assert job.run(datetime(2026, 11, 16, 9, 15)) == "C0DATA: posted digest 2026-11-09..2026-11-16"
    (data,) = PostLog(settings).find("digest", "C0DATA")
    assert (data.status, data.attempts) == ("posted", 2)
    sent = [c.body["channel"] for c in stub.named("chat.postMessage")]
    assert sent == ["C0PAY", "C0DATA", "C0FIN", "C0DATA"]  # the refused one, then its retry


def test_the_scheduler_runs_the_notices_once_per_slot_and_a_restart_posts_nothing_twice(
    home: Path, stub: SlackStub
) -> None:
    """`penny serve`'s scheduler with a ManualClock: each job's slot is claimed once in the
    ledger's job_runs; a new scheduler (a restart) over the same home posts nothing again."""
    from assistant.interfaces import slack_schedule  # noqa: F401  (registers the jobs)
    from assistant.service.scheduler import ManualClock, Scheduler

    settings = _settings(home, stub, check_minutes=15, channels={"C0PAY": ["team:payments"]})
    clock = ManualClock(datetime(2026, 11, 16, 8, 52))
    scheduler = Scheduler.from_settings(settings, clock)
    assert {"slack-digest", "slack-bill", "slack-anomalies"} <= set(scheduler.jobs)
    first = {r.job: r for r in scheduler.tick()}  # slot 08:45
    assert first["slack-digest"].detail is not None
    assert first["slack-digest"].detail.startswith("nothing due")
    clock.advance(timedelta(minutes=7))
    assert scheduler.tick() == []  # same slot: no second look
    clock.advance(timedelta(minutes=8))  # 09:07, slot 09:00
    runs = {r.job: r for r in scheduler.tick()}
    assert runs["slack-digest"].detail == "C0PAY: posted digest 2026-11-09..2026-11-16"
    assert runs["slack-digest"].slot == datetime(2026, 11, 16, 9, 0)
    # the month-close bill for October (closed on the 3rd) went out at the first look
    assert [c.body["text"].split(":")[0] for c in stub.named("chat.postMessage")] == [
        "The 2026-10 bill for team payments",
        "Weekly cost for team payments",
    ]
    restarted = Scheduler.from_settings(settings, ManualClock(datetime(2026, 11, 16, 9, 20)))
    restarted.recover()
    assert {r.job for r in restarted.tick()} >= {"slack-digest"}  # slot 09:15: a new look
    assert len(stub.named("chat.postMessage")) == 2
    status = {r.job: r.status for r in restarted.runs(limit=20) if r.slot.hour == 9}
    assert status["slack-digest"] == "ok"


def test_status_counts_notices_for_everyone_and_names_them_for_admins(
    home: Path, stub: SlackStub
) -> None:
    from fastapi.testclient import TestClient

    from assistant.interfaces.api import create_app
    from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, auth, tokens

    settings = _settings(home, stub, digest={"enabled": False}, bill_post={"enabled": False})
    notice_jobs(settings)[0].run(datetime(2026, 10, 23, 9, 0))
    app = create_app(
        settings.model_copy(update={"server": load_settings(server={"tokens": tokens()}).server}),
        engine="offline",
    )
    with TestClient(app) as client:
        admin = client.get("/v1/status", headers=auth(ADMIN_TOKEN)).json()["slack"]["notices"]
        team = client.get("/v1/status", headers=auth(PAYMENTS_TOKEN)).json()["slack"]["notices"]
    assert admin["counts"] == team["counts"] == {"posted": 2}
    assert [(r["channel"], r["key"]) for r in admin["recent"]] == [
        ("C0DATA", "team:data:spike:2026-10-22"),
        ("C0FIN", "team:data:spike:2026-10-22"),
    ]
    assert "recent" not in team  # which team crossed what is not every token's to see
