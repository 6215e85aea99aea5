"""One time slice of samples as arrays sorted by (series, time), and the sorting it needs.

Pure numpy helpers of :class:`~assistant.ingest.metrics.openmetrics_samples.SampleStore`:
a slice arrives as per-group runs in the order DuckDB's grouping produced (a series'
samples in any order, a series possibly split over several groups) and leaves sorted by
(series id, time) with the duplicate rule checked, ready for a chunk's window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Slice", "bucket_of", "merge_slices", "series_major"]

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
#: Slices far outside any real window are clipped here, so a timestamp like 1e300 still
#: has a slice number (it can never be read by a chunk).
_CLIP = float(2**62)


class Twins(Exception):
    """A series has two different values at one timestamp (which wins is line order)."""


@dataclass
class Slice:
    """The samples of one slice: ``sid``, ``ts`` (seconds) and ``vs``, sorted by (sid, ts)."""

    sid: I32
    ts: F64
    vs: F64

    def between(self, lo: float, hi: float) -> Slice:
        keep = (self.ts >= lo) & (self.ts <= hi)
        if keep.all():
            return self
        return Slice(self.sid[keep], self.ts[keep], self.vs[keep])


def bucket_of(seconds: float, slice_s: int) -> int:
    """The slice a time falls in: ``floor(seconds / slice_s)``, as the reader's SQL has it."""
    return int(max(-_CLIP, min(_CLIP, math.floor(seconds / slice_s))))


def series_major(row_sids: I32, lengths: I64, ts: F64, vs: F64) -> Slice:
    """Runs of samples (``lengths[i]`` of series ``row_sids[i]``) sorted by (series, time).

    Non-finite values are dropped first (the line reader never keeps them). When each
    series is one run and the runs come in ascending id order, only the runs whose
    times are out of order are sorted; otherwise the slice is sorted whole (stable, so
    ties keep their order). Raises :class:`Twins` on a timestamp with two values.
    """
    sid = np.repeat(row_sids.astype(np.int32, copy=False), lengths)
    finite = np.isfinite(vs)
    if not finite.all():
        sid, ts, vs = sid[finite], ts[finite], vs[finite]
    if len(row_sids) and (row_sids[1:] > row_sids[:-1]).all():
        _sort_within(sid, ts, vs)
    else:
        order = np.lexsort((ts, sid))
        sid, ts, vs = sid[order], ts[order], vs[order]
    same = sid[1:] == sid[:-1]
    twin = same & (ts[1:] == ts[:-1]) & (vs[1:] != vs[:-1])
    if twin.any():
        raise Twins(f"{int(twin.sum())} timestamps with two values")
    return Slice(sid, ts, vs)


def _sort_within(sid: I32, ts: F64, vs: F64) -> None:
    """Sort by time, in place, the series (runs of one id) whose samples are out of order."""
    back = np.flatnonzero((sid[1:] == sid[:-1]) & (ts[1:] < ts[:-1]))
    if not len(back):
        return
    series = np.unique(sid[back])
    lo = np.searchsorted(sid, series, side="left")
    hi = np.searchsorted(sid, series, side="right")
    at = np.repeat(lo - np.cumsum(np.r_[0, (hi - lo)[:-1]]), hi - lo) + np.arange(
        int((hi - lo).sum())
    )
    which = np.repeat(np.arange(len(series)), hi - lo)
    order = at[np.lexsort((ts[at], which))]
    ts[at], vs[at] = ts[order], vs[order]


def merge_slices(parts: list[Slice]) -> Slice:
    """Consecutive slices (each sorted by (sid, ts), times increasing from one to the
    next) as one sorted by (sid, ts): a stable sort by id keeps each series' time order."""
    parts = [p for p in parts if len(p.sid)]
    if not parts:
        return Slice(np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
    if len(parts) == 1:
        return parts[0]
    sid = np.concatenate([p.sid for p in parts])
    order = np.argsort(sid, kind="stable")
    return Slice(
        sid[order],
        np.concatenate([p.ts for p in parts])[order],
        np.concatenate([p.vs for p in parts])[order],
    )
