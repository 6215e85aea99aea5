"""The points of every container metric, per target figure and container, as arrays.

:func:`~assistant.ingest.metrics.container_columns.container_columns` needs, for each
figure (running, CPU request, memory limit, …), the points of the series feeding it,
labelled with the container they describe, in series order. Two collectors give the
same :class:`Collected`: :func:`collect_series` walks series objects (the Prometheus
path, tests), :func:`collect_chunk` reads a :class:`ChunkSeries`' arrays with the
per-series container key and factor worked out once per ingest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.ingest.metrics.chunk import ChunkSeries
from assistant.ingest.metrics.gpu_share import gpu_units
from assistant.ingest.metrics.series import GridSeries

__all__ = [
    "TARGETS",
    "Collected",
    "Points",
    "collect_chunk",
    "collect_series",
    "gpu_units",
    "series_arrays",
]

Key = tuple[str, str, str]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Rule = tuple[str, str] | str | None

_REQUESTS = "kube_pod_container_resource_requests"
_LIMITS = "kube_pod_container_resource_limits"
_CPU = "container_cpu_usage_seconds_total"

#: (metric, figure, rule): a series feeds the figure with its values × the rule's factor;
#: None = 1, (label, value) = 1 where the label has that value, "gpu" = GPUs per unit.
TARGETS: tuple[tuple[str, str, Rule], ...] = (
    ("kube_pod_container_status_running", "running", None),
    (_REQUESTS, "req_cpu", ("resource", "cpu")),
    (_REQUESTS, "req_mem", ("resource", "memory")),
    (_REQUESTS, "req_gpu", "gpu"),
    (_LIMITS, "lim_cpu", ("resource", "cpu")),
    (_LIMITS, "lim_mem", ("resource", "memory")),
    ("container_memory_working_set_bytes", "mem", None),
    (_CPU, "cpu", None),
    ("kube_pod_container_status_restarts_total", "restarts", None),
    ("kube_pod_container_status_last_terminated_reason", "oom", ("reason", "OOMKilled")),
)


def ckey(labels: dict[str, str]) -> Key | None:
    """(namespace, pod, container); None for cAdvisor's pod-level series."""
    if (
        not labels.get("namespace")
        or not labels.get("pod")
        or labels.get("container", "") in ("", "POD")
    ):
        return None
    return labels["namespace"], labels["pod"], labels["container"]


def factor(rule: Rule, labels: dict[str, str]) -> float | None:
    if rule is None:
        return 1.0
    if rule == "gpu":
        return gpu_units(labels.get("resource", ""))
    assert isinstance(rule, tuple)
    label, value = rule
    return 1.0 if labels.get(label) == value else None


def _where(labels: dict[str, str]) -> str | None:
    return labels.get("node") or labels.get("instance") or None


def _distinct(ids: I64) -> I64:
    """Sorted distinct non-negative ids (a bitmap: ``np.unique`` hashes, slower here)."""
    if not len(ids):
        return ids
    seen = np.zeros(int(ids.max()) + 1, dtype=bool)
    seen[ids] = True
    return np.flatnonzero(seen)


class Points:
    """Points of many series of one figure: container id, series id, k, value."""

    def __init__(self) -> None:
        self.parts: list[tuple[I64, I64, I64, F64]] = []
        self.holding: set[int] = set()
        self._series = 0

    def add(self, cid: int, ks: I64, vs: F64) -> None:
        """One series' points (series numbered in the order they are added)."""
        self._series -= 1  # negative ids: never equal to a chunk's series id
        n = len(ks)
        self.parts.append(
            (np.full(n, cid, dtype=np.int64), np.full(n, self._series, dtype=np.int64), ks, vs)
        )
        self.holding.add(cid)

    def add_many(self, cids: I64, sids: I64, ks: I64, vs: F64) -> None:
        """Points of many series at once, sorted by series then k."""
        self.parts.append((cids, sids, ks, vs))
        self.holding.update(_distinct(cids).tolist())

    def arrays(self, rank: I64, *, increases: bool = False) -> tuple[I64, I64, F64]:
        """(container rank, k, value); with ``increases``, each series' counter increases
        over [k, k+1) where both ends exist, a drop counting as a reset from zero."""
        if not self.parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        cid, sid, ks, vs = (np.concatenate([p[i] for p in self.parts]) for i in range(4))
        who = rank[cid]
        if increases:
            both = np.flatnonzero((sid[1:] == sid[:-1]) & (ks[1:] == ks[:-1] + 1))
            cur, nxt = vs[both], vs[both + 1]
            return who[both], ks[both], np.where(nxt >= cur, nxt - cur, nxt)
        return who, ks, vs

    def holders(self) -> set[int]:
        return self.holding


@dataclass
class Collected:
    """Container ids (any numbering), each figure's points, and a node per container."""

    ids: dict[Key, int] = field(default_factory=dict)
    pts: dict[str, Points] = field(
        default_factory=lambda: {target: Points() for _, target, _ in TARGETS}
    )
    nodes: dict[int, str] = field(default_factory=dict)


def series_arrays(s: GridSeries) -> tuple[I64, F64]:
    """A series' points as (k, value) arrays sorted by k (cached when the source made them)."""
    cached = getattr(s, "arrays", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    ks = np.fromiter(s.points.keys(), dtype=np.int64, count=len(s.points))
    vs = np.fromiter(s.points.values(), dtype=np.float64, count=len(s.points))
    order = np.argsort(ks, kind="stable")
    return ks[order], vs[order]


def collect_series(series: Mapping[str, list[GridSeries]]) -> Collected:
    """Walk the series objects in order: container ids numbered as keys are met."""
    out = Collected()
    ids = out.ids
    for metric, target, rule in TARGETS:
        for s in series.get(metric, []):
            f = factor(rule, s.labels)
            key = ckey(s.labels) if f is not None else None
            if key is None or f is None:
                continue
            cid = ids.setdefault(key, len(ids))
            ks, vs = series_arrays(s)
            out.pts[target].add(cid, ks, vs if f == 1.0 else vs * f)
    for metric in (_CPU, _REQUESTS):  # the node: the last such series naming one
        for s in series.get(metric, []):
            key, where = ckey(s.labels), _where(s.labels)
            if key is not None and where:
                out.nodes[ids.setdefault(key, len(ids))] = where
    return out


def _keys(labels: list[dict[str, str]]) -> tuple[I64, list[Key], I64, list[str]]:
    """Per series id: container id (-1: none) and node id (-1: none), with their tables."""
    index: dict[Key, int] = {}
    wheres: dict[str, int] = {}
    gid = np.full(len(labels), -1, dtype=np.int64)
    wid = np.full(len(labels), -1, dtype=np.int64)
    for i, lab in enumerate(labels):
        key = ckey(lab)
        if key is not None:
            gid[i] = index.setdefault(key, len(index))
            where = _where(lab)
            if where:
                wid[i] = wheres.setdefault(where, len(wheres))
    return gid, list(index), wid, list(wheres)


def _factors(rule: Rule) -> Any:
    def build(labels: list[dict[str, str]]) -> F64:
        got = (factor(rule, lab) for lab in labels)
        return np.array([np.nan if f is None else f for f in got], dtype=np.float64)

    return build


def collect_chunk(chunk: ChunkSeries) -> Collected:
    """:func:`collect_series` over a chunk's arrays: same ids per key, points, nodes."""
    gid, gkeys, wid, wheres = chunk.table.cached("container_keys", _keys)
    out = Collected()
    present: list[I64] = []
    for metric, target, rule in TARGETS:
        sid, ks, vs = chunk.points(metric)
        if not len(sid):
            continue
        f = chunk.table.cached(f"container_factor:{rule}", _factors(rule))[sid]
        g = gid[sid]
        keep = (g >= 0) & ~np.isnan(f)
        if not keep.all():
            sid, ks, vs, g, f = sid[keep], ks[keep], vs[keep], g[keep], f[keep]
        if len(sid):
            out.pts[target].add_many(g, sid.astype(np.int64), ks, vs * f)
            present.append(g)
    seg = np.concatenate([chunk.series_ids(_CPU), chunk.series_ids(_REQUESTS)])
    g, w = gid[seg], wid[seg]
    named = (g >= 0) & (w >= 0)
    g, w = g[named][::-1], w[named][::-1]
    order = np.argsort(g, kind="stable")  # reversed: first of each id = last named
    g_sorted = g[order]
    head = np.r_[True, g_sorted[1:] != g_sorted[:-1]] if len(g) else np.zeros(0, bool)
    last_g, first = g_sorted[head], order[head]
    out.nodes = dict(zip(last_g.tolist(), (wheres[i] for i in w[first].tolist()), strict=True))
    present.append(g)
    every = _distinct(np.concatenate(present)) if present else np.zeros(0, dtype=np.int64)
    out.ids = {gkeys[i]: i for i in every.tolist()}
    return out
