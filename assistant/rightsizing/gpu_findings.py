"""GPUs a workload holds and leaves idle, as part of its rightsizing recommendation.

The idle-GPU holder is the costliest waste there is (a notebook holding an A100 at 0% for
weeks), and it belongs in "what should we rightsize?" with its dollars, not only in the
GPU view (issue 10, defect 7). Idle time and its dollars come from ``gpu.idle_gpus`` —
DCGM activity, and the allocation's GPU cost of those device-hours — so the figure is the
one ``penny gpu --idle`` shows. Per month: the idle cost over the hours the workload was
observed, scaled to 730 h, for a workload that runs next month (``kinds``); the saving is
releasing those GPUs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.core.money import cents
from assistant.core.scope import Scope
from assistant.errors import StaleAllocation
from assistant.rightsizing.gpu import idle_gpus
from assistant.warehouse.db import Connection
from assistant.windows import Window

if TYPE_CHECKING:
    from assistant.rightsizing.models import Recommendation

__all__ = ["GpuFinding", "attach_gpu_findings"]


@dataclass
class GpuFinding:
    devices: int  # GPUs or MIG slices idle for sustained runs
    idle_gpu_hours: float  # in physical GPUs
    idle_cost: Decimal  # over the window
    monthly_cost: Decimal  # what releasing them saves a month (0: nothing runs next month)
    avg_idle_activity_pct: float
    power_confirms: bool | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "devices": self.devices,
            "idle_gpu_hours": round(self.idle_gpu_hours, 3),
            "idle_cost": str(cents(self.idle_cost)),
            "monthly_cost": str(cents(self.monthly_cost)),
            "avg_idle_activity_pct": self.avg_idle_activity_pct,
            "power_confirms": self.power_confirms,
            "proposal": "release the idle GPUs (scale the holder down or remove its GPU request)",
        }


def attach_gpu_findings(
    con: Connection,
    recs: list[Recommendation],
    *,
    window: Window,
    scope: Scope,
    settings: Settings,
) -> None:
    """Give each recommendation whose pods hold sustained-idle GPUs its :class:`GpuFinding`."""
    try:
        found = idle_gpus(con, window=window, scope=scope, settings=settings)
    except StaleAllocation:  # the GPU views refuse stale hours; rightsizing notes staleness
        return
    held: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for g in found:
        if g.pod is not None and g.workload:
            held[(g.cluster, g.workload)].append(g)
    for rec in recs:
        gpus = held.get((rec.cluster, rec.workload))
        if not gpus:
            continue
        idle_cost = sum((g.idle_cost for g in gpus), Decimal(0))
        months = rec.disposition.month_span_hours
        monthly = idle_cost * Decimal(730) / Decimal(months) if months else Decimal(0)
        hours = sum(g.idle_hours for g in gpus)
        rec.gpu = GpuFinding(
            devices=len(gpus),
            idle_gpu_hours=sum(g.idle_gpu_hours for g in gpus),
            idle_cost=idle_cost,
            monthly_cost=monthly,
            avg_idle_activity_pct=round(
                sum(g.avg_idle_activity_pct * g.idle_hours for g in gpus) / hours, 3
            )
            if hours
            else 0.0,
            power_confirms=all(g.power_confirms for g in gpus)
            if all(g.power_confirms is not None for g in gpus)
            else None,
        )
        rec.notes.append(
            f"{len(gpus)} GPU(s) idle for {sum(g.idle_hours for g in gpus)} hour(s) "
            f"({cents(idle_cost)} in the window)"
        )
