"""The built-in scheduled job: `sync`, every ``sync.interval_minutes``, when sources exist."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from assistant.config import Settings
from assistant.service.scheduler import Every, Job, job_factory

__all__ = ["sync_job"]

log = logging.getLogger(__name__)


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
        details = [f"{s.source}: {s.detail}" for s in report.sources]
        return "; ".join([*details, _refresh_names(settings)])

    return Job("sync", Every(timedelta(minutes=cfg.interval_minutes)), run)


def _refresh_names(settings: Settings) -> str:
    """Embed the names a sync brought in now, on the scheduler's thread.

    The names index (semantic name matching) is otherwise rebuilt by the first question
    that needs it after the warehouse changed: at 5k pods that question waited minutes
    on two cores while 5.5k names were embedded. The index is a cache, so a failure here
    is logged and left to that question to retry, never a failed sync.
    """
    from assistant.knowledge.index import refresh_names  # Chroma and ONNX: heavy imports

    try:
        stats = refresh_names(settings)
    except Exception as exc:  # any failure leaves the lazy rebuild to retry
        log.warning("names index not refreshed after sync: %s", exc)
        return f"names index: not refreshed ({type(exc).__name__})"
    if stats is None:
        return "names index: current"
    return f"names index: {stats.added} added, {stats.removed} removed, {stats.total} names"
