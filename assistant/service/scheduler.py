"""A small scheduler for `penny serve`: named jobs, schedules as slots, runs recorded.

A job is a name, a :class:`Schedule` and a function. A schedule maps "now" to the start of
the latest *slot* at or before it (every hour, every Monday 09:00, the 2nd of each month);
a job is due when its latest slot has no row in the ledger's ``job_runs``. A slot is
claimed with an INSERT on the primary key (job, slot) before the job runs, so each slot
runs at most once — across restarts and even across two servers sharing one home. That
is what lets a job post something (a weekly digest, a month-close bill, an alert) and never
post it twice. A slot whose process died mid-run is marked ``interrupted`` at the next
start and not retried; the next slot runs as usual (sync, the built-in job, is idempotent).

Jobs come from factories registered by name (``@job_factory("sync")``) so other features
add theirs the way the built-in sync does. The clock is a parameter: tests drive a
:class:`ManualClock`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from assistant.config import Settings
from assistant.warehouse.ledger import ledger, read_ledger

__all__ = [
    "Clock",
    "Every",
    "Job",
    "ManualClock",
    "Monthly",
    "RunRecord",
    "Schedule",
    "Scheduler",
    "SystemClock",
    "Weekly",
    "job_factories",
    "job_factory",
]

log = logging.getLogger("penny.scheduler")
_EPOCH = datetime(1970, 1, 5)  # a Monday, so weekly slots line up


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class ManualClock:
    """A clock tests set and advance."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class Schedule(Protocol):
    def slot(self, now: datetime) -> datetime:
        """Start of the latest slot at or before ``now`` (naive UTC)."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Every:
    interval: timedelta
    offset: timedelta = timedelta(0)

    def slot(self, now: datetime) -> datetime:
        n = (now - _EPOCH - self.offset) // self.interval
        return _EPOCH + self.offset + n * self.interval

    def describe(self) -> str:
        return f"every {self.interval}" + (f" (+{self.offset})" if self.offset else "")


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    hour: int = 0

    def slot(self, now: datetime) -> datetime:
        return Every(timedelta(days=7), timedelta(days=self.weekday, hours=self.hour)).slot(now)

    def describe(self) -> str:
        return f"weekly on day {self.weekday} at {self.hour:02d}:00 UTC"


@dataclass(frozen=True)
class Monthly:
    day: int = 1
    hour: int = 0

    def slot(self, now: datetime) -> datetime:
        this = now.replace(day=self.day, hour=self.hour, minute=0, second=0, microsecond=0)
        if this <= now:
            return this
        year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
        return this.replace(year=year, month=month)

    def describe(self) -> str:
        return f"monthly on day {self.day} at {self.hour:02d}:00 UTC"


@dataclass
class Job:
    name: str
    schedule: Schedule
    #: runs one slot; returns a short detail for the record (raises to fail the run)
    run: Callable[[datetime], str | None]


@dataclass
class RunRecord:
    job: str
    slot: datetime
    status: str
    detail: str | None = None
    error: str | None = None


_FACTORIES: dict[str, Callable[[Settings], Job | None]] = {}


def job_factory(
    name: str,
) -> Callable[[Callable[[Settings], Job | None]], Callable[[Settings], Job | None]]:
    """Register a function that builds a job from settings (None: not configured)."""

    def register(fn: Callable[[Settings], Job | None]) -> Callable[[Settings], Job | None]:
        _FACTORIES[name] = fn
        return fn

    return register


def job_factories() -> dict[str, Callable[[Settings], Job | None]]:
    return dict(_FACTORIES)


@dataclass
class Scheduler:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    jobs: dict[str, Job] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Scheduler:
        """Every registered factory's job that the settings configure."""
        sched = cls(settings, clock or SystemClock())
        for fn in _FACTORIES.values():
            built = fn(settings)
            if built is not None:
                sched.add(built)
        return sched

    def add(self, job: Job) -> None:
        if job.name in self.jobs:
            raise ValueError(f"a job named {job.name!r} is already scheduled")
        self.jobs[job.name] = job

    def recover(self) -> int:
        """Mark slots left 'running' by a process that is gone as 'interrupted'."""
        with ledger(self.settings) as con:
            rows = con.execute("SELECT job, slot, pid FROM job_runs WHERE status = 'running'")
            gone = [(j, s) for j, s, pid in rows.fetchall() if not _alive(pid)]
            for job, slot in gone:
                con.execute(
                    "UPDATE job_runs SET status = 'interrupted', finished_at = ? "
                    "WHERE job = ? AND slot = ?",
                    [self.clock.now(), job, slot],
                )
        return len(gone)

    def tick(self) -> list[RunRecord]:
        """Run every job whose latest slot is unclaimed, one after another."""
        done: list[RunRecord] = []
        for job in list(self.jobs.values()):
            slot = job.schedule.slot(self.clock.now())
            if not self._claim(job.name, slot):
                continue
            try:
                detail = job.run(slot)
            except Exception as exc:  # a failed run is recorded, the scheduler goes on
                log.warning("Job %s (slot %s) failed: %s", job.name, slot, exc)
                record = RunRecord(job.name, slot, "failed", error=str(exc)[:2000])
            else:
                record = RunRecord(job.name, slot, "ok", detail=(detail or "")[:2000])
            with ledger(self.settings) as con:
                con.execute(
                    "UPDATE job_runs SET status = ?, finished_at = ?, detail = ?, error = ? "
                    "WHERE job = ? AND slot = ?",
                    [
                        record.status,
                        self.clock.now(),
                        record.detail,
                        record.error,
                        job.name,
                        slot,
                    ],
                )
            done.append(record)
        return done

    def _claim(self, name: str, slot: datetime) -> bool:
        with ledger(self.settings) as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO job_runs (job, slot, status, started_at, pid) "
                "VALUES (?, ?, 'running', ?, ?)",
                [name, slot, self.clock.now(), os.getpid()],
            )
            return cur.rowcount == 1

    def runs(self, job: str | None = None, limit: int = 50) -> list[RunRecord]:
        rows = read_ledger(
            self.settings,
            "SELECT job, slot, status, detail, error FROM job_runs"
            + (" WHERE job = ?" if job else "")
            + " ORDER BY slot DESC, job LIMIT ?",
            [job, limit] if job else [limit],
        )
        return [RunRecord(str(r[0]), r[1], str(r[2]), r[3], r[4]) for r in rows]

    def run_forever(self, stop: threading.Event, poll_s: float = 30.0) -> None:
        """Tick until ``stop`` is set (the thread `penny serve` starts)."""
        self.recover()
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # never let the scheduler thread die on one bad tick
                log.exception("Scheduler tick failed")
            stop.wait(poll_s)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
