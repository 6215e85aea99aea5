"""The scheduler: slots computed exactly, each slot run at most once across restarts,
failures and interrupted runs recorded, on a clock the test drives."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import pytest

from assistant.config import Settings, load_settings
from assistant.service.scheduler import Every, Job, ManualClock, Monthly, Scheduler, Weekly
from assistant.warehouse.ledger import ledger, read_ledger


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_slots_are_exact() -> None:
    t = datetime(2026, 11, 12, 14, 37)  # a Thursday
    assert Every(timedelta(hours=1)).slot(t) == datetime(2026, 11, 12, 14)
    assert Every(timedelta(minutes=15)).slot(t) == datetime(2026, 11, 12, 14, 30)
    assert Every(timedelta(days=1), timedelta(hours=6)).slot(t) == datetime(2026, 11, 12, 6)
    assert Weekly(0, 9).slot(t) == datetime(2026, 11, 9, 9)  # Monday 09:00 this week
    assert Weekly(4, 9).slot(t) == datetime(2026, 11, 6, 9)  # Friday 09:00 last week
    assert Monthly(2, 8).slot(t) == datetime(2026, 11, 2, 8)
    assert Monthly(15, 8).slot(t) == datetime(2026, 10, 15, 8)
    assert Monthly(15, 8).slot(datetime(2026, 1, 3)) == datetime(2025, 12, 15, 8)


def test_each_slot_runs_once_even_after_a_restart(settings: Settings) -> None:
    clock = ManualClock(datetime(2026, 11, 12, 14, 5))
    ran: list[datetime] = []

    def build() -> Scheduler:
        s = Scheduler(settings, clock)
        s.add(Job("digest", Every(timedelta(hours=1)), lambda slot: ran.append(slot) or "posted"))
        return s

    first = build()
    assert [r.status for r in first.tick()] == ["ok"]
    assert first.tick() == []  # same slot: nothing
    clock.advance(timedelta(minutes=30))
    assert build().tick() == []  # "restarted" in the same slot: still nothing
    clock.advance(timedelta(minutes=30))  # 15:05, a new slot
    assert [r.slot for r in build().tick()] == [datetime(2026, 11, 12, 15)]
    assert ran == [datetime(2026, 11, 12, 14), datetime(2026, 11, 12, 15)]
    assert [(r.slot, r.status, r.detail) for r in first.runs("digest")] == [
        (datetime(2026, 11, 12, 15), "ok", "posted"),
        (datetime(2026, 11, 12, 14), "ok", "posted"),
    ]


def test_a_failed_run_is_recorded_and_others_still_run(settings: Settings) -> None:
    clock = ManualClock(datetime(2026, 11, 12, 14, 5))
    s = Scheduler(settings, clock)

    def boom(slot: datetime) -> str:
        raise RuntimeError(f"no Slack at {slot:%H:%M}")

    s.add(Job("alerts", Every(timedelta(hours=1)), boom))
    s.add(Job("sync", Every(timedelta(hours=1)), lambda slot: "3 sources"))
    records = s.tick()
    assert [(r.job, r.status, r.error) for r in records] == [
        ("alerts", "failed", "no Slack at 14:00"),
        ("sync", "ok", None),
    ]
    with pytest.raises(ValueError, match="already scheduled"):
        s.add(Job("sync", Every(timedelta(hours=1)), lambda slot: None))


def test_a_run_whose_process_died_is_marked_interrupted_not_rerun(settings: Settings) -> None:
    import subprocess

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    slot = datetime(2026, 11, 12, 14)
    with ledger(settings) as con:
        con.execute(
            "INSERT INTO job_runs (job, slot, status, started_at, pid) "
            "VALUES ('digest', ?, 'running', ?, ?)",
            [slot, slot, pid],
        )
    clock = ManualClock(datetime(2026, 11, 12, 14, 40))
    s = Scheduler(settings, clock)
    s.add(Job("digest", Every(timedelta(hours=1)), lambda slot: "posted again?"))
    assert s.recover() == 1
    assert s.tick() == []  # the slot was claimed: never posted twice
    assert read_ledger(settings, "SELECT status FROM job_runs") == [("interrupted",)]


def test_the_sync_job_is_registered_only_when_sources_exist(settings: Settings) -> None:
    assert Scheduler.from_settings(settings).jobs == {}
    with_source = load_settings(sync={"bills": [{"name": "aws", "url": "/tmp/none"}]})
    sched = Scheduler.from_settings(with_source)
    assert list(sched.jobs) == ["sync"]
    assert sched.jobs["sync"].schedule == Every(timedelta(minutes=60))
