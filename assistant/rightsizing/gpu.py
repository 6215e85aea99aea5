"""GPU waste: idle GPUs per pod and device, and utilisation rolled up, in dollars.

An hour is idle when the GPU's activity is below ``gpu_idle_threshold_pct``: DCGM's
``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (graphics-engine busy fraction, the better signal)
where profiling metrics exist, else ``DCGM_FI_DEV_GPU_UTIL``. Only runs of at least
``gpu_idle_min_hours`` consecutive idle hours count, so a training job's short gaps
between epochs are not "waste". Power draw is the second signal: idle hours should
draw well under what busy GPUs of the same model draw.

GPU-hours and dollars are the allocation's (``gpu_hours``): a MIG slice or a
time-sliced GPU counts by its share of a physical GPU, defined once at ingest, and the
rows add up to the GPU cost ``penny costs`` reports. GPU capacity no pod requested is
idle by definition (its own ``__unassigned__`` group, or part of its node's row).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from assistant.config import Settings
from assistant.core.money import cents
from assistant.core.placeholders import UNASSIGNED
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.rightsizing.gpu_hours import DeviceHour, PodGpuHour, load_gpu
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["GROUP_BY", "IdleGpu", "fold_gpu_groups", "gpu_utilization", "idle_gpus"]

GROUP_BY = ("pod", "workload", "namespace", "team", "model", "node")
GroupBy = Literal["pod", "workload", "namespace", "team", "model", "node"]
POWER_RATIO = 0.5  # idle draw at most half of busy draw confirms idleness
_ZERO = Decimal(0)
_MICRO = Decimal("0.000001")


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
        d["idle_cost"] = str(cents(self.idle_cost))
        d["first_idle"] = self.first_idle.isoformat() + "Z"
        d["last_idle"] = self.last_idle.isoformat() + "Z"
        return d


def _series_key(h: DeviceHour) -> tuple[Any, ...]:
    return (h.cluster, h.node, h.gpu, h.namespace, h.pod)


def _runs(hours: list[DeviceHour]) -> list[list[DeviceHour]]:
    """Consecutive idle hours of one device and pod (a missing hour ends a run)."""
    runs: list[list[DeviceHour]] = []
    current: list[DeviceHour] = []
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


def _by_series(hours: list[DeviceHour]) -> dict[tuple[Any, ...], list[DeviceHour]]:
    series: dict[tuple[Any, ...], list[DeviceHour]] = {}
    for h in hours:
        series.setdefault(_series_key(h), []).append(h)
    return series


def _mark_sustained(hours: list[DeviceHour], min_hours: int) -> None:
    for series in _by_series(hours).values():
        for run in _runs(series):
            if len(run) >= min_hours:
                for h in run:
                    h.sustained = True


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _load(con: Connection, window: Window, scope: Scope, settings: Settings) -> list[PodGpuHour]:
    load = load_gpu(con, window=window, scope=scope, settings=settings)
    _mark_sustained(load.devices, settings.rightsizing.gpu_idle_min_hours)
    return load.pods


def _load_devices(
    con: Connection, window: Window, scope: Scope, settings: Settings
) -> list[DeviceHour]:
    """Every visible device-hour, in (device, pod, hour) order, sustained runs marked."""
    load = load_gpu(con, window=window, scope=scope, settings=settings)
    _mark_sustained(load.devices, settings.rightsizing.gpu_idle_min_hours)
    return load.devices


def idle_gpus(
    con: Connection, *, window: Window, scope: Scope, settings: Settings
) -> list[IdleGpu]:
    """Devices (or MIG slices) idle for sustained runs: those held by a pod first, then
    unrequested ones; costliest idle time first within each. Idle cost is the device's
    part of the allocated GPU cost in its idle hours."""
    hours = _load_devices(con, window, scope, settings)
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
                idle_cost=sum((h.cost for h in idle), _ZERO),
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


def _model(p: PodGpuHour) -> str | None:
    return next((d.model for d in p.devices if d.model), None)


def _group(p: PodGpuHour, by: str, node_models: dict[tuple[str, str | None], str]) -> str:
    if by == "node":
        return f"{p.cluster}/{p.node}"
    if by == "model":
        return _model(p) or node_models.get((p.cluster, p.node)) or UNASSIGNED
    if p.pod is None:
        return UNASSIGNED
    value = {
        "pod": f"{p.namespace}/{p.pod}",
        "workload": p.workload,
        "namespace": p.namespace,
        "team": p.team,
    }[by]
    return value or UNASSIGNED


def gpu_utilization(
    con: Connection, *, window: Window, by: str, scope: Scope, settings: Settings
) -> list[dict[str, Any]]:
    """GPU-hours, average activity, sustained-idle GPU-hours and their cost per group.

    GPU-hours and cost are the allocation's, so the groups add up to the GPU cost of
    ``penny costs`` (bill-priced; anything priced from the price list is in
    ``estimated_cost``, never in ``cost``). A pod-hour is idle in the proportion of its
    devices (by share) in a sustained idle run; unrequested capacity is idle throughout.
    Sorted by idle cost, then cost.
    """
    if by not in GROUP_BY:
        raise InputError(
            f"Cannot group GPUs by {by!r}.", hint=f"Use one of: {', '.join(GROUP_BY)}."
        )
    pods = _load(con, window, scope, settings)
    node_models = {(p.cluster, p.node): m for p in pods if (m := _model(p))}
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "gpu_hours": 0.0,
            "idle_gpu_hours": 0.0,
            "cost": _ZERO,
            "estimated_cost": _ZERO,
            "idle_cost": _ZERO,
            "_act": 0.0,
            "_actw": 0.0,
            "signals": set(),
            "devices": set(),
        }
    )
    for p in pods:
        g = groups[_group(p, by, node_models)]
        g["gpu_hours"] += p.gpu_hours
        g["cost"] += p.cost
        g["estimated_cost"] += p.estimated
        share = sum(d.share for d in p.devices)
        idle_share = sum(d.share for d in p.devices if d.sustained)
        for d in p.devices:
            g["devices"].add((d.cluster, d.node, d.gpu))
            if d.activity is not None:
                g["_act"] += d.activity * d.share
                g["_actw"] += d.share
                g["signals"].add(d.signal)
        if p.pod is None:  # unrequested capacity: idle whether or not DCGM saw it
            g["idle_gpu_hours"] += p.gpu_hours
            g["idle_cost"] += p.cost
        elif idle_share > 0 and share > 0:
            g["idle_gpu_hours"] += p.gpu_hours * idle_share / share
            g["idle_cost"] += sum((d.cost for d in p.devices if d.sustained), _ZERO)
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
                "cost": g["cost"].quantize(_MICRO),
                "estimated_cost": g["estimated_cost"].quantize(_MICRO),
                "idle_cost": g["idle_cost"].quantize(_MICRO),
                "devices": len(g["devices"]),
                "signals": sorted(g["signals"]),
            }
        )
    rows.sort(key=lambda r: (-r["idle_cost"], -r["cost"], str(r[by])))
    return rows


def fold_gpu_groups(rest: list[dict[str, Any]], by: str) -> dict[str, Any]:
    """'and N more': groups past a top N summed (activity weighted by GPU-hours), so the
    rows shown still add up to the total."""
    hours = sum(r["gpu_hours"] for r in rest)
    weighted = [(r["avg_activity_pct"], r["gpu_hours"]) for r in rest if r["avg_activity_pct"]]
    weight = sum(w for _, w in weighted)
    idle_hours = sum(r["idle_gpu_hours"] for r in rest)
    return {
        by: f"and {len(rest)} more",
        "gpu_hours": round(hours, 6),
        "avg_activity_pct": round(sum(a * w for a, w in weighted) / weight, 3) if weight else None,
        "idle_gpu_hours": round(idle_hours, 6),
        "idle_share": round(idle_hours / hours, 4) if hours else 0,
        "cost": sum((r["cost"] for r in rest), _ZERO),
        "estimated_cost": sum((r["estimated_cost"] for r in rest), _ZERO),
        "idle_cost": sum((r["idle_cost"] for r in rest), _ZERO),
        "devices": sum(r["devices"] for r in rest),
        "signals": sorted({s for r in rest for s in r["signals"]}),
    }
