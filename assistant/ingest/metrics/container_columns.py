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

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.ingest.metrics.chunk import ChunkSeries
from assistant.ingest.metrics.container_points import (
    collect_chunk,
    collect_series,
    gpu_units,
    series_arrays,
)
from assistant.ingest.metrics.series import Grid, GridSeries

__all__ = ["COLUMN_NAMES", "column_rows", "container_columns", "gpu_units", "series_arrays"]

Series = Mapping[str, list[GridSeries]]
Key = tuple[str, str, str]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Columns = dict[str, npt.NDArray[Any]]

COLUMN_NAMES = (
    "namespace",
    "pod",
    "container",
    "node",
    "hour",
    "running_hours",
    "cpu_request_cores",
    "cpu_limit_cores",
    "cpu_usage_cores",
    "cpu_usage_max_cores",
    "ram_request_bytes",
    "ram_limit_bytes",
    "ram_usage_bytes",
    "ram_usage_max_bytes",
    "gpu_request",
    "restarts",
    "oom_kills",
)


def _merge(who: I64, ks: I64, vs: F64, width: int, how: str) -> tuple[I64, F64]:
    """One value per (container, k), as code = rank·width + k: last, max or sum."""
    if not len(ks):
        return np.zeros(0, dtype=np.int64), vs
    code = who * width + ks
    order = np.argsort(code, kind="stable")  # stable: series order within a point
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
        starts = (
            np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
            if len(cell)
            else np.zeros(0, dtype=np.int64)
        )
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


def _union(*arrays: I64) -> I64:
    """Sorted union of sorted unique arrays (a merge: ``np.union1d`` hashes, slower here)."""
    out = np.concatenate(arrays)
    out.sort(kind="stable")  # timsort merges the sorted runs
    return out[np.r_[True, out[1:] != out[:-1]]] if len(out) else out


def _lookup(cells: I64, at: I64, values: F64, missing: float = np.nan) -> F64:
    """``values`` of ``cells`` (sorted) at ``at``; ``missing`` where absent."""
    if not len(cells):
        return np.full(len(at), missing)
    i = np.minimum(np.searchsorted(cells, at), len(cells) - 1)
    return np.where(cells[i] == at, values[i], missing)


def container_columns(
    series: Series, grid: Grid, pod_nodes: Mapping[tuple[str, str], str]
) -> Columns:
    """``container_hours`` columns (m003 names, without cluster and ingest_id)."""
    got = collect_chunk(series) if isinstance(series, ChunkSeries) else collect_series(series)
    ids, pts, nodes = got.ids, got.pts, got.nodes
    keys = sorted(ids)
    rank = np.zeros(max(ids.values(), default=-1) + 1, dtype=np.int64)
    for r, key in enumerate(keys):
        rank[ids[key]] = r
    width, cells = grid.n + 2, _Cells(grid)

    def merged(name: str, how: str, increases: bool = False, divide: int = 1) -> tuple[I64, F64]:
        who, ks, vs = pts[name].arrays(rank, increases=increases)
        return _merge(who, ks, vs / divide if divide != 1 else vs, width, how)

    run_code, run_v = merged("running", "max")
    cpu_code, cpu_v = merged("cpu", "sum", increases=True, divide=grid.step_s)
    mem_code, mem_v = merged("mem", "max")
    # a container without status series runs where cAdvisor reports usage for it
    with_status = np.zeros(len(keys), dtype=bool)
    with_status[[rank[c] for c in pts["running"].holders()]] = True
    usage_code = _union(cpu_code, mem_code)
    usage_code = usage_code[~with_status[usage_code // width]]
    running_code = _union(run_code[run_v >= 1], usage_code)
    run = cells.reduce(running_code, np.ones(len(running_code)))
    rate = cells.reduce(cpu_code, cpu_v)
    mem = cells.reduce(mem_code, mem_v)
    at = _union(run[0], rate[0], mem[0])
    restart_code, restart_v = merged("restarts", "sum", increases=True)
    oom_code, oom_v = merged("oom", "max")
    restarts = cells.reduce(restart_code, restart_v)
    # OOM kills: intervals [k, k+1) whose end has the flag set count their restarts, or
    # one when the flag rose without a visible restart
    ends = oom_code[oom_v >= 1]
    k_code = ends - 1
    k_code = k_code[(k_code % width) < grid.n]
    rose = _lookup(oom_code, k_code, oom_v, 0.0) < 1
    ooms = cells.reduce(
        k_code, np.maximum(_lookup(restart_code, k_code, restart_v, 0.0), rose.astype(np.float64))
    )

    who, h = np.divmod(at, cells.hours)
    ns = np.array([k[0] for k in keys], dtype=object)
    pod = np.array([k[1] for k in keys], dtype=object)
    cont = np.array([k[2] for k in keys], dtype=object)
    node = np.array([nodes.get(ids[k]) or pod_nodes.get((k[0], k[1])) for k in keys], dtype=object)
    with_restarts = np.zeros(len(keys), dtype=bool)
    with_restarts[[rank[c] for c in pts["restarts"].holders()]] = True
    with_oom = with_restarts.copy()
    with_oom[oom_code // width] = True

    def mean_of(name: str, how: str = "last") -> F64:
        code, v = merged(name, how)
        got = cells.reduce(code, v)
        return _lookup(got[0], at, got[1])

    restart_n = np.round(_lookup(restarts[0], at, restarts[3], 0.0))
    oom_n = np.round(_lookup(ooms[0], at, ooms[3], 0.0))
    hour = np.datetime64(grid.start, "us") + (h * 3600 * 1_000_000).astype("timedelta64[us]")
    return {
        "namespace": ns[who],
        "pod": pod[who],
        "container": cont[who],
        "node": node[who],
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
