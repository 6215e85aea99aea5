"""The built-in scheduled job: `sync`, every ``sync.interval_minutes``, when sources exist."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.config import Settings
from assistant.service.scheduler import Every, Job, job_factory

__all__ = ["sync_job"]


@job_factory("sync")
def sync_job(settings: Settings) -> Job | None:
    cfg = settings.sync
    if not (cfg.prometheus or cfg.bills or cfg.ai):
        return None

    def run(slot: datetime) -> str:
        from assistant.sync.run import sync

        report = sync(settings, slot)
        failed = [s.source for s in report.sources if not s.ok]
        if report.allocation_error:
            failed.append("allocation")
        if failed:
            raise RuntimeError(f"sync failed for {', '.join(failed)}")
        return "; ".join(f"{s.source}: {s.detail}" for s in report.sources)

    return Job("sync", Every(timedelta(minutes=cfg.interval_minutes)), run)
