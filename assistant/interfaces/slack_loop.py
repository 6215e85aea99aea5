"""The smallest scheduler the notice jobs need, until `penny serve` has its own.

Each job looks at most once per slot of its interval (slots counted from the epoch, so
every process agrees where they start) and is given the slot's start as "now". What a
look posts is recorded by the jobs themselves (``slack_posts``), so a restart re-running
a slot posts nothing twice. The clock is a parameter: tests pass one they move.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from assistant.config import Settings
from assistant.interfaces.slack_jobs import NoticeJob, notice_jobs

__all__ = ["NoticeLoop", "start_notices"]

log = logging.getLogger("penny.notices")
_EPOCH = datetime(1970, 1, 5)  # a Monday


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class NoticeLoop:
    def __init__(self, jobs: list[NoticeJob], clock: Callable[[], datetime] = _utcnow) -> None:
        self.jobs = jobs
        self.clock = clock
        self.last: dict[str, datetime] = {}  # job -> the slot it last looked at
        self.results: dict[str, str] = {}  # job -> what its last look said (or its error)

    def tick(self) -> list[str]:
        """Run each job whose current slot it has not looked at yet."""
        ran = []
        now = self.clock()
        for job in self.jobs:
            slot = _EPOCH + (now - _EPOCH) // job.every * job.every
            if self.last.get(job.name) == slot:
                continue
            self.last[job.name] = slot
            try:
                self.results[job.name] = job.run(slot)
            except Exception as exc:  # recorded; the next slot looks again
                log.warning("%s at %s failed: %s", job.name, slot, exc)
                self.results[job.name] = f"failed: {exc}"
            ran.append(job.name)
        return ran

    def run_forever(self, stop: threading.Event, poll_s: float = 30.0) -> None:
        while not stop.is_set():
            self.tick()
            stop.wait(poll_s)

    def start(self) -> threading.Event:
        """Look in a daemon thread until the returned event is set."""
        stop = threading.Event()
        if self.jobs:
            threading.Thread(
                target=self.run_forever, args=(stop,), name="penny-notices", daemon=True
            ).start()
        return stop


def start_notices(app: Any, settings: Settings) -> NoticeLoop:
    """Start the notice jobs the settings turn on beside the HTTP app (`penny serve`);
    ``app.state.notices`` is what /readyz reports, and the app's shutdown stops them."""
    loop = NoticeLoop(notice_jobs(settings))
    stop = loop.start()
    app.state.notices = loop
    app.router.on_shutdown.append(stop.set)
    if loop.jobs:
        log.warning(
            "Notices: %s, looking every %d min",
            ", ".join(j.name for j in loop.jobs),
            settings.slack.check_minutes,
        )
    return loop
