"""GPU waste: idle GPUs per pod and device, and utilisation rolled up, in dollars.

An hour is idle when the GPU's activity is below ``gpu_idle_threshold_pct``: DCGM's
``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (graphics-engine busy fraction, the better signal)
where profiling metrics exist, else ``DCGM_FI_DEV_GPU_UTIL``. Only runs of at least
``gpu_idle_min_hours`` consecutive idle hours count, so a training job's short gaps
between epochs are not "waste". Power draw is the second signal: idle hours should
draw well under what busy GPUs of the same model draw. MIG slices and time-sliced
GPUs are charged by ``gpu_share`` of the physical GPU's hourly price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.rightsizing.history import team_subquery
from assistant.rightsizing.savings import to_cents
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["GROUP_BY", "GpuHour", "IdleGpu", "gpu_utilization", "idle_gpus", "load_gpu_hours"]

GROUP_BY = ("pod", "workload", "namespace", "team", "model", "node")
GroupBy = Literal["pod", "workload", "namespace", "team", "model", "node"]
POWER_RATIO = 0.5  # idle draw at most half of busy draw confirms idleness


@dataclass
class GpuHour:
    cluster: str
    node: str
    gpu: str
    model: str | None
    mig_profile: str | None
    share: float
    namespace: str | None
    pod: str | None
    workload: str | None
    team: str | None
    hour: datetime
    activity: float | None  # percent, 0..100
    signal: str  # engine_active | util | none
    power: float | None
    price: Decimal  # $ per physical GPU-hour
    idle: bool = False  # below threshold this hour
    sustained: bool = False  # part of a run ≥ gpu_idle_min_hours

    @property
    def cost(self) -> Decimal:
        return Decimal(repr(self.share)) * self.price


@dataclass
class IdleGpu:
    cluster: str
    node: str
    gpu: str
    model: str | None
    mig_profile: str | None
    gpu_share: float
    namespace: str | None
    pod: str | None
    workload: str | None
    team: str | None
    signal: str
    hours_observed: int
    idle_hours: int
    longest_idle_run_hours: int
    idle_gpu_hours: float
    idle_cost: Decimal
    avg_idle_activity_pct: float
    idle_power_watts: float | None
    busy_power_watts: float | None  # busy GPUs of the same model, for comparison
    power_confirms: bool | None
    first_idle: datetime
    last_idle: datetime

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["idle_cost"] = str(to_cents(self.idle_cost))
        d["first_idle"] = self.first_idle.isoformat() + "Z"
        d["last_idle"] = self.last_idle.isoformat() + "Z"
        return d


_SQL = """
WITH t AS {teams}
SELECT g.cluster, g.node, g.gpu, g.model, g.mig_profile, coalesce(g.gpu_share, 1.0),
       g.namespace, g.pod,
       CASE WHEN p.controller_kind IS NOT NULL
            THEN g.namespace || '/' || p.controller_kind || '/' || p.controller_name
            WHEN g.pod IS NOT NULL THEN g.namespace || '/Pod/' || g.pod END,
       t.team, g.hour, g.engine_active, g.util_pct, g.power_watts, n.gpu_price
FROM gpu_hours g
LEFT JOIN k8s_pods p ON p.cluster = g.cluster AND p.namespace = g.namespace AND p.pod = g.pod
LEFT JOIN t ON t.cluster = g.cluster AND t.namespace = g.namespace AND t.pod = g.pod
LEFT JOIN node_cost_hours n ON n.cluster = g.cluster AND n.node = g.node AND n.hour = g.hour
WHERE g.hour >= ? AND g.hour < ? AND {scope}
ORDER BY g.cluster, g.node, g.gpu, g.hour
"""


def load_gpu_hours(
    con: Connection, *, window: Window, scope: Scope, settings: Settings
) -> list[GpuHour]:
    """GPU device-hours in ``window`` visible to ``scope``, idle hours marked."""
    scope_sql, params = scope.sql_filter("t.team", "g.namespace")
    rows = con.execute(
        _SQL.format(teams=team_subquery(), scope=scope_sql), [window.start, window.end, *params]
    ).fetchall()
    fallback = settings.allocation.prices.gpu_hour
    threshold = settings.rightsizing.gpu_idle_threshold_pct
    out: list[GpuHour] = []
    for r in rows:
        if r[11] is not None:
            activity, signal = float(r[11]) * 100.0, "engine_active"
        elif r[12] is not None:
            activity, signal = float(r[12]), "util"
        else:
            activity, signal = None, "none"
        price = Decimal(repr(float(r[14]))) if r[14] is not None else fallback
        out.append(
            GpuHour(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                float(r[5]),
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                activity,
                signal,
                r[13],
                price,
                idle=activity is not None and activity < threshold,
            )
        )
    _mark_sustained(out, settings.rightsizing.gpu_idle_min_hours)
    return out


def _series_key(h: GpuHour) -> tuple[Any, ...]:
    return (h.cluster, h.node, h.gpu, h.namespace, h.pod)


def _runs(hours: list[GpuHour]) -> list[list[GpuHour]]:
    """Consecutive idle hours of one device and pod (a missing hour ends a run)."""
    runs: list[list[GpuHour]] = []
    current: list[GpuHour] = []
    for h in sorted(hours, key=lambda x: x.hour):
        if h.idle and current and h.hour - current[-1].hour == timedelta(hours=1):
            current.append(h)
        elif h.idle:
            if current:
                runs.append(current)
            current = [h]
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _by_series(hours: list[GpuHour]) -> dict[tuple[Any, ...], list[GpuHour]]:
    series: dict[tuple[Any, ...], list[GpuHour]] = {}
    for h in hours:
        series.setdefault(_series_key(h), []).append(h)
    return series


def _mark_sustained(hours: list[GpuHour], min_hours: int) -> None:
    for series in _by_series(hours).values():
        for run in _runs(series):
            if len(run) >= min_hours:
                for h in run:
                    h.sustained = True


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def idle_gpus(
    con: Connection, *, window: Window, scope: Scope, settings: Settings
) -> list[IdleGpu]:
    """Devices (or MIG slices) idle for sustained runs: those held by a pod first, then
    unrequested ones; costliest idle time first within each."""
    hours = load_gpu_hours(con, window=window, scope=scope, settings=settings)
    busy_power: dict[str | None, list[float]] = {}
    for h in hours:
        if not h.idle and h.activity is not None and h.power is not None:
            busy_power.setdefault(h.model, []).append(h.power)
    out: list[IdleGpu] = []
    for series in _by_series(hours).values():
        idle = [h for h in series if h.sustained]
        if not idle:
            continue
        first = idle[0]
        idle_power = _mean([h.power for h in idle if h.power is not None])
        busy = _mean(busy_power.get(first.model, []))
        confirms = idle_power <= POWER_RATIO * busy if idle_power is not None and busy else None
        out.append(
            IdleGpu(
                first.cluster,
                first.node,
                first.gpu,
                first.model,
                first.mig_profile,
                first.share,
                first.namespace,
                first.pod,
                first.workload,
                first.team,
                signal=first.signal,
                hours_observed=len(series),
                idle_hours=len(idle),
                longest_idle_run_hours=max(len(r) for r in _runs(series)),
                idle_gpu_hours=round(sum(h.share for h in idle), 6),
                idle_cost=sum((h.cost for h in idle), Decimal("0")),
                avg_idle_activity_pct=round(sum(h.activity or 0.0 for h in idle) / len(idle), 3),
                idle_power_watts=None if idle_power is None else round(idle_power, 1),
                busy_power_watts=None if busy is None else round(busy, 1),
                power_confirms=confirms,
                first_idle=idle[0].hour,
                last_idle=idle[-1].hour,
            )
        )
    # GPUs a pod holds come first: that idle time has an owner who can release it; a GPU
    # no pod requested is node capacity, already in the allocation's __idle__ rows
    out.sort(key=lambda g: (g.pod is None, -g.idle_cost, g.cluster, g.node, g.gpu))
    return out


def _group(h: GpuHour, by: str) -> str:
    value = {
        "pod": f"{h.namespace}/{h.pod}" if h.pod else None,
        "workload": h.workload,
        "namespace": h.namespace,
        "team": h.team,
        "model": h.model,
        "node": f"{h.cluster}/{h.node}",
    }[by]
    return value or "__unassigned__"


def gpu_utilization(
    con: Connection, *, window: Window, by: str, scope: Scope, settings: Settings
) -> list[dict[str, Any]]:
    """GPU-hours, average activity, sustained-idle GPU-hours and their cost per group.

    GPU-hours and cost count each device-hour by its share of the physical GPU, so seven
    1g MIG slices add up to one GPU. Sorted by idle cost, then cost.
    """
    if by not in GROUP_BY:
        raise InputError(
            f"Cannot group GPUs by {by!r}.", hint=f"Use one of: {', '.join(GROUP_BY)}."
        )
    groups: dict[str, dict[str, Any]] = {}
    for h in load_gpu_hours(con, window=window, scope=scope, settings=settings):
        g = groups.setdefault(
            _group(h, by),
            {
                "gpu_hours": 0.0,
                "idle_gpu_hours": 0.0,
                "cost": Decimal("0"),
                "idle_cost": Decimal("0"),
                "_act": 0.0,
                "_actw": 0.0,
                "signals": set(),
                "devices": set(),
            },
        )
        g["gpu_hours"] += h.share
        g["cost"] += h.cost
        g["devices"].add((h.cluster, h.node, h.gpu))
        if h.activity is not None:
            g["_act"] += h.activity * h.share
            g["_actw"] += h.share
            g["signals"].add(h.signal)
        if h.sustained:
            g["idle_gpu_hours"] += h.share
            g["idle_cost"] += h.cost
    rows = []
    for key, g in groups.items():
        rows.append(
            {
                by: key,
                "gpu_hours": round(g["gpu_hours"], 6),
                "avg_activity_pct": round(g["_act"] / g["_actw"], 3) if g["_actw"] else None,
                "idle_gpu_hours": round(g["idle_gpu_hours"], 6),
                "idle_share": round(g["idle_gpu_hours"] / g["gpu_hours"], 4)
                if g["gpu_hours"]
                else 0,
                "cost": to_cents(g["cost"]),
                "idle_cost": to_cents(g["idle_cost"]),
                "devices": len(g["devices"]),
                "signals": sorted(g["signals"]),
            }
        )
    rows.sort(key=lambda r: (-r["idle_cost"], -r["cost"], str(r[by])))
    return rows
