"""What a workload's kind lets a recommendation promise and draft.

Monthly dollars are only honest for something that will run next month, and a draft only
for a change the API server accepts (issue 10, defect 7: a one-day Job was priced as if it
ran all month, and Jobs and bare pods got ``kubectl patch`` commands the API rejects —
their pod spec is immutable, in-place resize of running pods aside):

* **controller** — a live Deployment, StatefulSet, DaemonSet, ReplicaSet or custom
  resource: its pods are re-created from a template Penny can patch. Monthly $ = the
  observed replica-hours over the hours since it first ran, scaled to 730 h.
* **schedule** — a CronJob: each run is a Job from its ``jobTemplate`` (patchable). Monthly
  $ = cost per run × runs a month, the runs a month from the median interval between the
  runs observed; with a single run there is no cadence and no monthly figure.
* **one_off** — a Job no CronJob owns: it ran, it will not run again by itself. Reported
  with what it cost in the window and what the proposal would have saved there; no
  monthly figure, never drafted.
* **pod** — a bare pod: immutable, never drafted; while it still runs it costs every month
  at its observed rate, once finished it is a one-off.
* **gone** — a controller not seen in the last hours of the data (deleted or scaled
  away): reported, nothing monthly, not drafted.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

__all__ = ["LIVE_WITHIN", "Disposition", "disposition"]

#: a workload seen this close to the last hour of its cluster's data is still running
LIVE_WITHIN = timedelta(hours=2)


@dataclass(frozen=True)
class Disposition:
    kind: str  # controller | schedule | one_off | pod | gone
    draftable: bool
    month_span_hours: float | None  # hours whose cost makes up a month's; None: no monthly $
    runs: int | None = None
    run_period_hours: float | None = None
    note: str | None = None

    @property
    def runs_per_month(self) -> float | None:
        if not self.run_period_hours:
            return None
        return round(730 / self.run_period_hours, 3)


def disposition(
    kind: str,
    *,
    last_hour: datetime | None,
    cluster_last_hour: datetime | None,
    span_hours: int,
    run_starts: list[datetime],
) -> Disposition:
    """The disposition of one workload (its containers pooled)."""
    live = (
        last_hour is not None
        and cluster_last_hour is not None
        and last_hour >= cluster_last_hour - LIVE_WITHIN
    )
    if kind == "CronJob":
        runs = len(run_starts)
        if runs < 2:
            return Disposition(
                "schedule",
                True,
                None,
                runs=runs,
                note="one run observed: no schedule to price a month by; the saving per run "
                "is shown",
            )
        gaps = [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(run_starts)]
        period = median(gaps)
        return Disposition(
            "schedule",
            True,
            runs * period,
            runs=runs,
            run_period_hours=period,
            note=f"{runs} runs observed, one every {period:g} h (median): priced per run × "
            f"{730 / period:.1f} runs a month",
        )
    if kind == "Job":
        return Disposition(
            "one_off",
            False,
            None,
            note="a Job no CronJob owns ran once: shown with what it cost in the window; its "
            "pod template is immutable, so change the manifest or pipeline that creates it",
        )
    if kind == "Pod":
        return Disposition(
            "pod",
            False,
            span_hours if live else None,
            note="a bare pod's resources are immutable (in-place resize aside): change what "
            "creates it"
            + ("; it still runs, so it costs every month" if live else "; it has finished"),
        )
    if not live:
        return Disposition(
            "gone",
            False,
            None,
            note="not running at the end of the window: nothing to save from now on",
        )
    return Disposition("controller", True, span_hours)
