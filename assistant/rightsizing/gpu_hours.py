"""GPU-hours and their dollars, read from the allocation, with DCGM's activity beside them.

Quantities and money come from the allocation, never recomputed: a pod's GPU-hours are
its ``gpu_hours`` (requested physical GPUs × running hours, ``ingest.metrics.gpu_share``)
and its GPU cost the ``gpu_cost`` the bill paid for them; the GPU capacity no pod
requested is the node's idle GPU (``__idle__`` rows, resource ``gpu``), with capacity −
requested GPU-hours. So the GPU tool's rows add up to the GPU column of ``penny costs``
exactly, and a MIG slice or a time-sliced GPU counts the same everywhere.

DCGM (``gpu_hours``) says how busy each device was. A pod-hour's GPU cost is split among
the devices DCGM saw it on, by their share of a physical GPU (exact, ``split_exact``); the
node-hour's unrequested cost among the devices DCGM saw without a pod. A device-hour whose
pod has no allocated GPU that hour costs nothing here (the allocation billed none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from assistant.allocation.costmath import split_exact
from assistant.allocation.freshness import require_fresh
from assistant.config import Settings
from assistant.core.placeholders import UNLABELED
from assistant.core.scope import Scope
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = ["DeviceHour", "GpuLoad", "PodGpuHour", "load_gpu"]

_ZERO = Decimal(0)


@dataclass
class DeviceHour:
    """One DCGM device (or MIG instance) in one hour, with its part of the allocated cost."""

    cluster: str
    node: str
    gpu: str
    model: str | None
    mig_profile: str | None
    share: float  # of a physical GPU
    namespace: str | None
    pod: str | None
    workload: str | None
    team: str | None
    hour: datetime
    activity: float | None  # percent, 0..100
    signal: str  # engine_active | util | none
    power: float | None
    cost: Decimal = _ZERO
    idle: bool = False  # below the threshold this hour
    sustained: bool = False  # part of a run ≥ gpu_idle_min_hours


@dataclass
class PodGpuHour:
    """The allocation's GPU for one pod-hour, or a node-hour's unrequested capacity
    (``pod`` None)."""

    cluster: str
    node: str | None
    hour: datetime
    namespace: str | None
    pod: str | None
    workload: str | None
    team: str | None
    gpu_hours: float
    cost: Decimal  # on the bill (price_source bill)
    estimated: Decimal  # priced from the price list: not on the bill
    devices: list[DeviceHour] = field(default_factory=list)


@dataclass
class GpuLoad:
    pods: list[PodGpuHour]
    devices: list[DeviceHour]  # every DCGM device-hour visible, cost attached


_ALLOC_SQL = """
SELECT a.cluster, a.node, a.hour, a.kind,
       CASE WHEN a.kind = 'workload' THEN a.namespace END,
       CASE WHEN a.kind = 'workload' THEN a.pod END,
       CASE WHEN a.kind = 'workload' THEN a.namespace || '/' || coalesce(a.controller_kind,
            'Pod') || '/' || coalesce(a.controller_name, a.pod) END,
       CASE WHEN a.kind = 'workload' THEN coalesce(a.team, {unlabeled}) END,
       sum(coalesce(a.gpu_hours, 0)),
       sum(a.gpu_cost) FILTER (WHERE a.price_source = 'bill'),
       sum(a.gpu_cost) FILTER (WHERE a.price_source <> 'bill')
FROM allocations a
WHERE a.hour >= ? AND a.hour < ?
  AND ((a.kind = 'workload' AND (a.gpu_hours > 0 OR a.gpu_cost <> 0) AND {visible})
       OR (a.kind = 'idle' AND a.resource = 'gpu' AND {admin}))
GROUP BY ALL
"""

_CAPACITY_SQL = """
SELECT cluster, node, hour, gpu_count FROM node_cost_hours
WHERE hour >= ? AND hour < ? AND gpu_count > 0
"""

_DCGM_SQL = """
SELECT g.cluster, g.node, g.gpu, g.model, g.mig_profile, coalesce(g.gpu_share, 1.0),
       g.namespace, g.pod, g.hour, g.engine_active, g.util_pct, g.power_watts
FROM gpu_hours g
WHERE g.hour >= ? AND g.hour < ?
ORDER BY g.cluster, g.node, g.gpu, g.hour
"""


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def load_gpu(con: Connection, *, window: Window, scope: Scope, settings: Settings) -> GpuLoad:
    """The allocation's GPU pod-hours and DCGM's device-hours in ``window``, for ``scope``.

    A scoped asker sees its own pods' GPUs (and the devices they used); unrequested
    capacity, like every idle row, only with an unrestricted scope.
    """
    require_fresh(con, window, settings)
    scope_sql, scope_params = scope.sql_filter("a.team", "a.namespace")
    params: list[Any] = [window.start, window.end, *scope_params]
    sql = _ALLOC_SQL.format(
        visible=scope_sql, admin="TRUE" if scope.admin else "FALSE", unlabeled=lit(UNLABELED)
    )
    pods: list[PodGpuHour] = []
    requested: dict[tuple[str, str, datetime], float] = defaultdict(float)
    idle_rows: list[PodGpuHour] = []
    for r in con.execute(sql, params).fetchall():
        row = PodGpuHour(
            cluster=r[0],
            node=r[1],
            hour=r[2],
            namespace=r[4],
            pod=r[5],
            workload=r[6],
            team=r[7],
            gpu_hours=float(r[8] or 0.0),
            cost=_dec(r[9]),
            estimated=_dec(r[10]),
        )
        if r[3] == "idle":
            idle_rows.append(row)
        else:
            pods.append(row)
            requested[(row.cluster, row.node or "", row.hour)] += row.gpu_hours
    if scope.admin:
        capacity = {
            (c, n, h): float(g)
            for c, n, h, g in con.execute(_CAPACITY_SQL, [window.start, window.end]).fetchall()
        }
        for row in idle_rows:
            key = (row.cluster, row.node or "", row.hour)
            row.gpu_hours = max(capacity.get(key, 0.0) - requested.get(key, 0.0), 0.0)
        pods.extend(idle_rows)
    devices = _devices(con, window, settings)
    _attach(pods, devices)
    visible = sorted(
        (d for p in pods for d in p.devices),
        key=lambda d: (d.cluster, d.node, d.gpu, d.namespace or "", d.pod or "", d.hour),
    )
    return GpuLoad(pods=pods, devices=visible)


def _devices(con: Connection, window: Window, settings: Settings) -> list[DeviceHour]:
    threshold = settings.rightsizing.gpu_idle_threshold_pct
    out = []
    for r in con.execute(_DCGM_SQL, [window.start, window.end]).fetchall():
        if r[9] is not None:
            activity, signal = float(r[9]) * 100.0, "engine_active"
        elif r[10] is not None:
            activity, signal = float(r[10]), "util"
        else:
            activity, signal = None, "none"
        out.append(
            DeviceHour(
                cluster=r[0],
                node=r[1],
                gpu=r[2],
                model=r[3],
                mig_profile=r[4],
                share=float(r[5]),
                namespace=r[6],
                pod=r[7],
                workload=None,
                team=None,
                hour=r[8],
                activity=activity,
                signal=signal,
                power=r[11],
                idle=activity is not None and activity < threshold,
            )
        )
    return out


def _attach(pods: list[PodGpuHour], devices: list[DeviceHour]) -> None:
    """Give each pod-hour the devices DCGM saw it on and split its cost among them."""
    by_pod: dict[tuple[Any, ...], list[DeviceHour]] = defaultdict(list)
    for d in devices:
        if d.pod is None:
            by_pod[(d.cluster, d.node, None, None, d.hour)].append(d)
        else:
            by_pod[(d.cluster, d.namespace, d.pod, d.hour)].append(d)
    for p in pods:
        key: tuple[Any, ...] = (
            (p.cluster, p.node, None, None, p.hour)
            if p.pod is None
            else (p.cluster, p.namespace, p.pod, p.hour)
        )
        found = by_pod.get(key, [])
        p.devices = found
        for d in found:
            d.workload, d.team = p.workload, p.team
        if not found:
            continue
        weights = {str(i): Decimal(repr(d.share)) for i, d in enumerate(found)}
        for i, part in split_exact(p.cost, weights).items():
            found[int(i)].cost = part
