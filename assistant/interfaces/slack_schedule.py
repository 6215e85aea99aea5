"""The notice jobs registered with `penny serve`'s scheduler (importing this registers them).

One factory per job name, each building its job from the settings (None when the notice
is off, or Slack has no bot token or no channels). The scheduler gives each look its
slot's start as "now" and records the run; what a look posted is recorded by the jobs
(``slack_posts``), so a slot run again after a restart posts nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.config import Settings
from assistant.interfaces.slack_jobs import JOB_NAMES, notice_jobs
from assistant.service.scheduler import Every, Job, job_factory

__all__ = ["JOB_NAMES"]


def _factory(name: str) -> Callable[[Settings], Job | None]:
    def build(settings: Settings) -> Job | None:
        for job in notice_jobs(settings):
            if job.name == name:
                return Job(job.name, Every(job.every), job.run)
        return None

    return build


for _name in JOB_NAMES:
    job_factory(_name)(_factory(_name))
