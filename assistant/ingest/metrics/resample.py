"""The step-grid rule of :func:`metrics_series.resample`, for many series at once (numpy).

Instead of asking, point by point, "which sample is the newest within the lookback?",
each sample works out the run of grid points it answers: from the first point at or
after it to the last point before the next sample of its series, cut at ``lookback``.
The comparisons are the same floating-point expressions ``resample`` evaluates
(``t_k = t0 + k·step``, ``ts ≤ t_k + 1e-9``, ``ts < t_k − lookback − 1e-9``), so the two
give identical points; a property test checks it on random series.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from assistant.ingest.metrics.series import LOOKBACK_S, Grid

__all__ = ["resample_many"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_EPS = 1e-9


def _first_point(ts: F64, t0: float, step: int) -> I64:
    """Smallest k with ``ts <= t0 + k·step + 1e-9`` (the first point that sees the sample)."""
    k = np.ceil((ts - t0 - _EPS) / step)

    def sees(k: F64) -> npt.NDArray[np.bool_]:
        return ts <= (t0 + k * step) + _EPS

    k = np.where(sees(k - 1), k - 1, k)
    k = np.where(sees(k), k, k + 1)
    return k.astype(np.int64)


def _last_in_lookback(ts: F64, t0: float, step: int, lookback: int) -> I64:
    """Largest k with ``not ts < t0 + k·step − lookback − 1e-9``."""
    k = np.floor((ts - t0 + lookback + _EPS) / step)

    def fresh(k: F64) -> npt.NDArray[np.bool_]:
        return ~(ts < ((t0 + k * step) - lookback) - _EPS)

    k = np.where(fresh(k + 1), k + 1, k)
    k = np.where(fresh(k), k, k - 1)
    return k.astype(np.int64)


def resample_many(
    series: npt.NDArray[np.integer],
    ts: F64,
    values: F64,
    grid: Grid,
    lookback_s: int = LOOKBACK_S,
) -> tuple[npt.NDArray[np.integer], I64, F64]:
    """Grid points of many series: ``(series id, k, value)``, sorted by series then k.

    ``series``/``ts``/``values`` are samples sorted by (series, time), ties in file
    order. Samples far outside the grid may be left out by the caller, as long as every
    sample within ``lookback`` before a point and every sample up to the last point is
    present: a point only ever takes the newest sample at or before it.
    """
    if len(ts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return series[:0], empty, values[:0]
    t0, step, n = grid.start_ts, grid.step_s, grid.n
    first = _first_point(ts, t0, step)
    last = _last_in_lookback(ts, t0, step, lookback_s)
    # a sample stops answering where the next sample of its series starts to
    same_next = np.zeros(len(ts), dtype=bool)
    same_next[:-1] = series[1:] == series[:-1]
    next_first = np.empty(len(ts), dtype=np.int64)
    next_first[:-1] = first[1:]
    last = np.where(same_next, np.minimum(last, next_first - 1), last)
    del same_next, next_first  # a day at 20k pods is ~5M samples: 40 MB an array
    lo = np.maximum(first, 0)
    del first
    count = np.maximum(np.minimum(last, n) - lo + 1, 0)
    del last
    if not (count > 1).any():
        # each sample answers at most one point (samples no denser than the step, or
        # denser and mostly unseen): the point of a seen sample is its first
        seen = (count == 1) & ~np.isnan(values)
        return series[seen], lo[seen], values[seen]
    total = int(count.sum())
    idx = np.repeat(np.arange(len(ts)), count)
    starts = np.cumsum(count) - count
    k = np.repeat(lo, count) + (np.arange(total) - np.repeat(starts, count))
    out_series, out_values = series[idx], values[idx]
    keep = ~np.isnan(out_values)
    return out_series[keep], k[keep], out_values[keep]
