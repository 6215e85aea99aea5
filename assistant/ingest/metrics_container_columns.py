"""``container_hours`` as numpy columns: the rules of ``metrics_containers``, set-based.

Every series of a container metric becomes ``(container, k, value)`` arrays; series that
describe one container are merged per point (last series wins for requests and limits,
max for running, memory and the OOM flag, sum for GPU units and counter increases, in
series order as the per-point loops did), and each hour's figures are segment
reductions over the points ``k < n`` of that (container, hour) cell. Containers are
numbered in sorted-key order, so sorted cells are the rows in the order the dict-based
rules produced them. Means are numpy reductions, which may differ from a left-to-right
Python sum in the last bit. NULL is NaN in the float columns (how DuckDB reads them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.ingest.metrics_series import Grid, GridSeries

__all__ = ["COLUMN_NAMES", "column_rows", "container_columns", "gpu_units", "series_arrays"]

Series = Mapping[str, list[GridSeries]]
Key = tuple[str, str, str]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Columns = dict[str, npt.NDArray[Any]]

COLUMN_NAMES = ("namespace", "pod", "container", "node", "hour", "running_hours",
                "cpu_request_cores", "cpu_limit_cores", "cpu_usage_cores",
                "cpu_usage_max_cores", "ram_request_bytes", "ram_limit_bytes",
                "ram_usage_bytes", "ram_usage_max_bytes", "gpu_request", "restarts",
                "oom_kills")
_MIG_RES_RE = re.compile(r"^nvidia_com_mig_(\d+)g_\d+gb$")


def gpu_units(resource: str) -> float | None:
    """GPUs per unit of an extended resource: nvidia_com_gpu = 1, a MIG 3g slice = 3/7."""
    if resource == "nvidia_com_gpu":
        return 1.0
    m = _MIG_RES_RE.match(resource)
    return int(m[1]) / 7.0 if m else None


def series_arrays(s: GridSeries) -> tuple[I64, F64]:
    """A series' points as (k, value) arrays sorted by k (cached when the source made them)."""
    cached = getattr(s, "arrays", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    ks = np.fromiter(s.points.keys(), dtype=np.int64, count=len(s.points))
    vs = np.fromiter(s.points.values(), dtype=np.float64, count=len(s.points))
    order = np.argsort(ks, kind="stable")
    return ks[order], vs[order]


def _ckey(labels: dict[str, str]) -> Key | None:
    if not labels.get("namespace") or not labels.get("pod") or \
            labels.get("container", "") in ("", "POD"):
        return None
    return labels["namespace"], labels["pod"], labels["container"]


class _Points:
    """Points of many series of one metric, by container id, in series order."""

    def __init__(self) -> None:
        self.cid: list[int] = []
        self.k: list[I64] = []
        self.v: list[F64] = []

    def add(self, cid: int, ks: I64, vs: F64) -> None:
        self.cid.append(cid)
        self.k.append(ks)
        self.v.append(vs)

    def arrays(self, rank: I64, *, increases: bool = False) -> tuple[I64, I64, F64]:
        """(container rank, k, value); with ``increases``, each series' counter increases
        over [k, k+1) where both ends exist, a drop counting as a reset from zero."""
        if not self.k:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        lengths = np.array([len(k) for k in self.k], dtype=np.int64)
        who = np.repeat(rank[np.array(self.cid, dtype=np.int64)], lengths)
        ks, vs = np.concatenate(self.k), np.concatenate(self.v)
        if increases:
            sid = np.repeat(np.arange(len(self.k)), lengths)
            both = np.flatnonzero((sid[1:] == sid[:-1]) & (ks[1:] == ks[:-1] + 1))
            cur, nxt = vs[both], vs[both + 1]
            return who[both], ks[both], np.where(nxt >= cur, nxt - cur, nxt)
        return who, ks, vs

    def holders(self) -> set[int]:
        return set(self.cid)


def _merge(who: I64, ks: I64, vs: F64, width: int, how: str) -> tuple[I64, F64]:
    """One value per (container, k), as code = rank·width + k: last, max or sum."""
    if not len(ks):
        return np.zeros(0, dtype=np.int64), vs
    code = who * width + ks
    order = np.argsort(code, kind="stable")           # stable: series order within a point
    code, vs = code[order], vs[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    if how == "last":
        return code[starts], vs[np.r_[starts[1:], len(code)] - 1]
    ufunc = np.maximum if how == "max" else np.add
    return code[starts], ufunc.reduceat(vs, starts)


class _Cells:
    """Reductions per (container, hour) cell over points k < n, cells sorted."""

    def __init__(self, grid: Grid) -> None:
        self.per_hour, self.n, self.width = grid.per_hour, grid.n, grid.n + 2
        self.hours = -(-grid.n // grid.per_hour) + 1

    def group(self, code: I64, vs: F64) -> tuple[I64, I64, F64]:
        who, k = np.divmod(code, self.width)
        keep = k < self.n
        cell = who[keep] * self.hours + k[keep] // self.per_hour
        vs = vs[keep]
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]) if len(cell) \
            else np.zeros(0, dtype=np.int64)
        return cell, starts, vs

    def reduce(self, code: I64, vs: F64) -> tuple[I64, F64, F64, F64, F64]:
        """(cells, mean, max, sum, count)."""
        cell, starts, vs = self.group(code, vs)
        if not len(cell):
            z = np.zeros(0)
            return np.zeros(0, dtype=np.int64), z, z, z, z
        total = np.add.reduceat(vs, starts)
        count = np.diff(np.r_[starts, len(cell)]).astype(np.float64)
        return cell[starts], total / count, np.maximum.reduceat(vs, starts), total, count


def _lookup(cells: I64, at: I64, values: F64, missing: float = np.nan) -> F64:
    """``values`` of ``cells`` (sorted) at ``at``; ``missing`` where absent."""
    if not len(cells):
        return np.full(len(at), missing)
    i = np.minimum(np.searchsorted(cells, at), len(cells) - 1)
    return np.where(cells[i] == at, values[i], missing)


def container_columns(series: Series, grid: Grid,
                      pod_nodes: Mapping[tuple[str, str], str]) -> Columns:
    """``container_hours`` columns (m003 names, without cluster and ingest_id)."""
    ids: dict[Key, int] = {}
    pts = {name: _Points() for name in ("running", "req_cpu", "req_mem", "req_gpu",
                                        "lim_cpu", "lim_mem", "mem", "cpu", "restarts",
                                        "oom")}
    nodes: dict[int, str] = {}

    def collect(metric: str, target: str,
                scale: Callable[[dict[str, str]], float | None] | None = None) -> None:
        for s in series.get(metric, []):
            factor = scale(s.labels) if scale is not None else 1.0
            key = _ckey(s.labels) if factor is not None else None
            if key is None or factor is None:
                continue
            cid = ids.setdefault(key, len(ids))
            ks, vs = series_arrays(s)
            pts[target].add(cid, ks, vs if factor == 1.0 else vs * factor)

    def only(label: str, value: str) -> Callable[[dict[str, str]], float | None]:
        return lambda labels: 1.0 if labels.get(label) == value else None

    collect("kube_pod_container_status_running", "running")
    requests, limits = ("kube_pod_container_resource_requests",
                        "kube_pod_container_resource_limits")
    collect(requests, "req_cpu", only("resource", "cpu"))
    collect(requests, "req_mem", only("resource", "memory"))
    collect(requests, "req_gpu", lambda labels: gpu_units(labels.get("resource", "")))
    collect(limits, "lim_cpu", only("resource", "cpu"))
    collect(limits, "lim_mem", only("resource", "memory"))
    collect("container_memory_working_set_bytes", "mem")
    collect("container_cpu_usage_seconds_total", "cpu")
    collect("kube_pod_container_status_restarts_total", "restarts")
    collect("kube_pod_container_status_last_terminated_reason", "oom",
            only("reason", "OOMKilled"))
    for metric in ("container_cpu_usage_seconds_total", requests):
        for s in series.get(metric, []):
            key = _ckey(s.labels)
            where = s.labels.get("node") or s.labels.get("instance")
            if key is not None and where:
                nodes[ids.setdefault(key, len(ids))] = where

    keys = sorted(ids)
    rank = np.zeros(len(ids), dtype=np.int64)
    for r, key in enumerate(keys):
        rank[ids[key]] = r
    width, cells = grid.n + 2, _Cells(grid)

    def merged(name: str, how: str, increases: bool = False, divide: int = 1) \
            -> tuple[I64, F64]:
        who, ks, vs = pts[name].arrays(rank, increases=increases)
        return _merge(who, ks, vs / divide if divide != 1 else vs, width, how)

    run_code, run_v = merged("running", "max")
    cpu_code, cpu_v = merged("cpu", "sum", increases=True, divide=grid.step_s)
    mem_code, mem_v = merged("mem", "max")
    # a container without status series runs where cAdvisor reports usage for it
    with_status = np.array(sorted(rank[c] for c in pts["running"].holders()), dtype=np.int64)
    usage_code = np.union1d(cpu_code, mem_code)
    usage_code = usage_code[~np.isin(usage_code // width, with_status)]
    running_code = np.union1d(run_code[run_v >= 1], usage_code)
    run = cells.reduce(running_code, np.ones(len(running_code)))
    rate = cells.reduce(cpu_code, cpu_v)
    mem = cells.reduce(mem_code, mem_v)
    at = np.union1d(np.union1d(run[0], rate[0]), mem[0])
    restart_code, restart_v = merged("restarts", "sum", increases=True)
    oom_code, oom_v = merged("oom", "max")
    restarts = cells.reduce(restart_code, restart_v)
    # OOM kills: intervals [k, k+1) whose end has the flag set count their restarts, or
    # one when the flag rose without a visible restart
    ends = oom_code[oom_v >= 1]
    k_code = ends - 1
    k_code = k_code[(k_code % width) < grid.n]
    rose = _lookup(oom_code, k_code, oom_v, 0.0) < 1
    ooms = cells.reduce(k_code, np.maximum(_lookup(restart_code, k_code, restart_v, 0.0),
                                           rose.astype(np.float64)))

    who, h = np.divmod(at, cells.hours)
    ns = np.array([k[0] for k in keys], dtype=object)
    pod = np.array([k[1] for k in keys], dtype=object)
    cont = np.array([k[2] for k in keys], dtype=object)
    node = np.array([nodes.get(ids[k]) or pod_nodes.get((k[0], k[1])) for k in keys],
                    dtype=object)
    with_restarts = np.zeros(len(keys), dtype=bool)
    with_restarts[[rank[c] for c in pts["restarts"].holders()]] = True
    with_oom = with_restarts.copy()
    with_oom[np.unique(oom_code // width)] = True

    def mean_of(name: str, how: str = "last") -> F64:
        code, v = merged(name, how)
        got = cells.reduce(code, v)
        return _lookup(got[0], at, got[1])

    restart_n = np.round(_lookup(restarts[0], at, restarts[3], 0.0))
    oom_n = np.round(_lookup(ooms[0], at, ooms[3], 0.0))
    hour = np.datetime64(grid.start, "us") + (h * 3600 * 1_000_000).astype("timedelta64[us]")
    return {
        "namespace": ns[who], "pod": pod[who], "container": cont[who], "node": node[who],
        "hour": hour,
        "running_hours": _lookup(run[0], at, run[4], 0.0) / grid.per_hour,
        "cpu_request_cores": mean_of("req_cpu"),
        "cpu_limit_cores": mean_of("lim_cpu"),
        "cpu_usage_cores": _lookup(rate[0], at, rate[1]),
        "cpu_usage_max_cores": _lookup(rate[0], at, rate[2]),
        "ram_request_bytes": mean_of("req_mem"),
        "ram_limit_bytes": mean_of("lim_mem"),
        "ram_usage_bytes": _lookup(mem[0], at, mem[1]),
        "ram_usage_max_bytes": _lookup(mem[0], at, mem[2]),
        "gpu_request": mean_of("req_gpu", "sum"),
        "restarts": np.where(with_restarts[who], restart_n, np.nan),
        "oom_kills": np.where(with_oom[who], oom_n, np.nan),
    }


def column_rows(cols: Columns) -> list[dict[str, Any]]:
    """The columns as row dicts (NaN → None, whole counts → int), for callers and tests."""
    out: dict[str, list[Any]] = {}
    for name, arr in cols.items():
        if arr.dtype.kind == "f":
            values = arr.tolist()
            if name in ("restarts", "oom_kills"):
                out[name] = [None if v != v else int(v) for v in values]
            else:
                out[name] = [None if v != v else v for v in values]
        elif arr.dtype.kind == "M":
            out[name] = arr.astype("datetime64[us]").tolist()
        else:
            out[name] = arr.tolist()
    n = len(next(iter(out.values()))) if out else 0
    return [{name: out[name][i] for name in COLUMN_NAMES} for i in range(n)]
