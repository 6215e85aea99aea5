"""Starting and stopping what `penny serve` runs beside the HTTP app.

At start: publish a read snapshot if the newest one is not of the warehouse as it is (a
warehouse written by an older Penny, or a crash between a commit and its publish), so no
request ever reads the live file; then start the scheduler thread when jobs are configured.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from assistant.config import Settings
from assistant.service.scheduler import Clock, Scheduler
from assistant.warehouse.db import writer
from assistant.warehouse.snapshots import is_current

__all__ = ["Service", "start_service"]

log = logging.getLogger("penny.service")


@dataclass
class Service:
    scheduler: Scheduler
    thread: threading.Thread | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    def stop(self, timeout_s: float = 30.0) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=timeout_s)


def start_service(
    settings: Settings, *, clock: Clock | None = None, schedule: bool | None = None
) -> Service:
    if settings.db_path.exists() and not is_current(settings):
        with writer(settings):  # migrates, commits nothing, publishes the snapshot
            pass
    scheduler = Scheduler.from_settings(settings, clock)
    service = Service(scheduler)
    run = settings.sync.schedule if schedule is None else schedule
    if run and scheduler.jobs:
        service.thread = threading.Thread(
            target=scheduler.run_forever,
            args=(service.stop_event,),
            name="penny-scheduler",
            daemon=True,
        )
        service.thread.start()
        log.warning(
            "Scheduler started: %s",
            ", ".join(f"{j.name} ({j.schedule.describe()})" for j in scheduler.jobs.values()),
        )
    return service
