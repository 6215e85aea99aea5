"""Samples of metrics files read set-based by DuckDB, held as series-major numpy arrays.

Reading a multi-gigabyte OpenMetrics file line by line in Python costs about 5 µs a
line. DuckDB reads the same lines in parallel (split at spaces, no quoting), takes
the last two tokens as value and timestamp and casts them. One pass groups the lines by a hash of
their ``name{labels}`` text: per series the smallest and largest text (they differ
only on a hash collision), how many lines the fast reader cannot vouch for, and the
series' timestamps and values as two lists. Only the per-series table goes to Python
as rows (labels parsed once per series); the samples come out as flat numpy arrays,
series by series, which is the order every time chunk needs them in (series, then
time): a chunk's window is a mask over the time array, not a sort.

The fast reader is deliberately strict: a line it is not sure it reads exactly as the
line-by-line reader would (exemplars, irregular spacing, values DuckDB will not cast,
invalid names, a hash collision, unreadable bytes, a series with two different values
at one timestamp: grouping does not keep line order, which decides such a tie) makes
it give up, and the caller falls back to :func:`assistant.ingest.metrics.openmetrics.read_file`,
which either reads the file or raises the precise ``ImportFileError`` with file and line.

Memory: 16 bytes per sample (time and value as doubles) plus 8 per series, about 650 MB
for 40 million samples; DuckDB's grouping spills to a temporary directory.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from assistant.errors import ImportFileError
from assistant.ingest.metrics import plausible
from assistant.ingest.metrics.openmetrics_sql import GROUPS

__all__ = ["SampleStore", "Unsure"]

LabelKey = tuple[tuple[str, str], ...]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
#: Series fetched from DuckDB per statement when unnesting their samples.
_FETCH_SERIES = 8192


class Unsure(Exception):
    """The fast reader cannot vouch for this file; read it line by line instead."""


def _split_prefix(prefix: str) -> tuple[str, str | None]:
    """(name, label text) exactly as the line reader splits it, or Unsure."""
    brace = prefix.find("{")
    if brace < 0:
        name, labels = prefix, None
    else:
        if not prefix.endswith("}"):
            raise Unsure(prefix)
        name, labels = prefix[:brace], prefix[brace + 1 : -1]
    if not _NAME_RE.fullmatch(name):
        raise Unsure(prefix)
    return name, labels


@dataclass
class SampleStore:
    """Every sample of the wanted metrics, keyed by a dense series id.

    Files add parts (runs of series: their ids, lengths, then all their samples); the
    first :meth:`window` (or :meth:`finish`) joins them into one array pair sorted by
    (series, time), ``starts[sid]`` being the first sample of each series.
    """

    con: duckdb.DuckDBPyConnection
    keys: list[tuple[str, LabelKey]]  # series id → (metric, sorted labels)
    first_ts: float | None
    last_ts: float | None

    tmp: tempfile.TemporaryDirectory[str] | None = None
    index: dict[tuple[str, LabelKey], int] = field(default_factory=dict)
    parts: list[tuple[I32, I64, F64, F64]] = field(default_factory=list)
    ts: F64 | _Seconds | None = None
    values: F64 | None = None
    starts: I64 | None = None

    @classmethod
    def create(cls, memory_limit: str = "1GB") -> SampleStore:
        """A store reading with DuckDB; ``memory_limit`` bounds the grouping, which spills
        beyond it (at 256 MB a 40M-line file's grouping took 1.6× as long as at 1 GB); the
        connection is closed as soon as the samples are joined, before any rows are written.
        """
        tmp = tempfile.TemporaryDirectory(prefix="penny-samples-")
        con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": tmp.name})
        con.execute("SET enable_progress_bar = false")  # Penny draws its own
        return cls(con, [], None, None, tmp)

    def close(self) -> None:
        self.con.close()
        self.parts.clear()
        self.ts = self.values = self.starts = None
        if self.tmp is not None:
            self.tmp.cleanup()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _id(self, key: tuple[str, LabelKey]) -> int:
        sid = self.index.get(key)
        if sid is None:
            sid = self.index[key] = len(self.keys)
            self.keys.append(key)
        return sid

    def add_sorted(
        self, keys: list[tuple[str, LabelKey]], lengths: list[int], ts: F64, values: F64
    ) -> None:
        """Append series read line by line (``lengths[i]`` samples of ``keys[i]``, each
        series stably sorted by time). Of samples sharing a timestamp only the last is
        kept: it is the one a grid point picks (``bisect_right``)."""
        row_sids = np.array([self._id(k) for k in keys], dtype=np.int32)
        sids = np.repeat(np.arange(len(keys)), lengths)
        shadowed = np.zeros(len(ts), dtype=bool)
        shadowed[:-1] = (sids[1:] == sids[:-1]) & (ts[1:] == ts[:-1])
        keep = ~shadowed & np.isfinite(values)
        kept = np.bincount(sids[keep], minlength=len(keys)).astype(np.int64)
        self._add(row_sids, kept, ts[keep], values[keep])

    def _add(self, row_sids: I32, lengths: I64, ts: F64, values: F64) -> None:
        if self.ts is not None:
            raise RuntimeError("samples were already joined; add files before reading")
        self.parts.append((row_sids, lengths, ts, values))
        if len(ts):
            lo, hi = float(ts.min()), float(ts.max())
            self.first_ts = lo if self.first_ts is None else min(self.first_ts, lo)
            self.last_ts = hi if self.last_ts is None else max(self.last_ts, hi)

    def read_file(
        self, path: Path, wanted: frozenset[str], parse_labels: Callable[[str, str, int], LabelKey]
    ) -> int:
        """Load ``path``'s samples of ``wanted`` metrics set-based; Unsure if not exact."""
        compression = "gzip" if path.suffix == ".gz" else "none"
        con = self.con
        try:
            con.execute("DROP TABLE IF EXISTS file_series")
            con.execute(GROUPS, [str(path), compression])
            groups = con.execute(
                "SELECT rowid, h, key, h2_min, h2_max, bad, eof, len(ts) FROM file_series "
                "ORDER BY rowid"
            ).fetchall()
        except duckdb.Error as exc:
            raise Unsure(str(exc)) from exc
        bad = sum(g[5] for g in groups)
        if bad:
            raise Unsure(f"{bad} lines need the exact reader")
        if any(g[3] != g[4] for g in groups):
            raise Unsure("two series texts with one 64-bit hash")
        eof = any(line.strip() == "# EOF" for g in groups for line in g[6] or ())
        scale = 1.0 if eof else 0.001
        sids = np.full(len(groups), -1, dtype=np.int32)
        low, high = np.zeros(len(groups)), np.zeros(len(groups))  # plausible values
        for i, (_, h, key, _, _, _, _, _) in enumerate(groups):
            if h is None:  # the comment lines' group
                continue
            name, label_text = _split_prefix(key)
            if name not in wanted:
                continue
            try:
                labels = parse_labels(label_text, str(path), 0) if label_text else ()
            except ImportFileError as exc:
                raise Unsure(str(exc)) from exc
            sids[i] = self._id((name, labels))
            low[i], high[i] = plausible.bounds(name, labels)
        lengths = np.array([g[7] for g in groups], dtype=np.int64)
        wanted_rows = sids >= 0
        total = int(lengths[wanted_rows].sum())
        ts_all, vs_all = np.empty(total), np.empty(total)  # filled slice by slice
        kept = np.zeros(len(groups), dtype=np.int64)  # finite samples per series
        filled = 0
        rowids = [g[0] for g in groups]
        for a in range(0, len(groups), _FETCH_SERIES):
            b = min(a + _FETCH_SERIES, len(groups))
            rows = np.flatnonzero(wanted_rows[a:b]) + a
            if not len(rows) or not lengths[rows].sum():
                continue
            try:
                got = con.execute(
                    "SELECT unnest(ts) AS t, unnest(vs) AS v FROM file_series "
                    "WHERE rowid >= ? AND rowid <= ? AND h IS NOT NULL",
                    [rowids[a], rowids[b - 1]],
                ).fetchnumpy()
            except duckdb.Error as exc:
                raise Unsure(str(exc)) from exc
            ts, vs = np.asarray(got["t"], dtype=np.float64), np.asarray(got["v"], dtype=np.float64)
            in_slice = np.array([g[1] is not None for g in groups[a:b]])
            keep = np.repeat(wanted_rows[a:b][in_slice], lengths[a:b][in_slice])
            if len(keep) != len(ts):
                raise Unsure("series and samples out of step")
            # implausible values and infinities: the line reader names the line
            rows_of = np.repeat(np.arange(a, b)[in_slice], lengths[a:b][in_slice])[keep]
            wanted_vs = vs[keep]
            with np.errstate(invalid="ignore"):
                out = (wanted_vs < low[rows_of]) | (wanted_vs > high[rows_of])
            if out.any():
                raise Unsure("a value outside its plausible range")
            del rows_of, wanted_vs, out
            finite = np.isfinite(vs)
            if finite.all():
                kept[rows] = lengths[rows]
            else:
                keep &= finite
                row_of = np.repeat(np.arange(a, b)[in_slice], lengths[a:b][in_slice])
                kept += np.bincount(row_of[keep], minlength=len(groups))
            if not keep.all():
                ts, vs = ts[keep], vs[keep]
            n = len(ts)
            ts_all[filled : filled + n] = ts
            vs_all[filled : filled + n] = vs
            filled += n
            del got, ts, vs, keep, finite
        con.execute("DROP TABLE file_series")
        ts_all, vs_all = ts_all[:filled], vs_all[:filled]
        if scale != 1.0:
            ts_all *= scale
        if filled and (ts_all.min() < plausible.TS_MIN or ts_all.max() >= plausible.TS_MAX):
            raise Unsure("a timestamp outside the years Penny keeps")
        self._add(sids[wanted_rows], kept[wanted_rows], ts_all, vs_all)
        return filled

    def finish(self) -> None:
        """Join the parts, sorted by (series, time); Unsure on a timestamp with two values.

        A single file's series come once each in ascending id order, so its samples are
        already series-major and only a few series (grouping's threads) need sorting by
        time; anything else (several files, one series split across parts) is sorted whole.
        """
        if self.ts is not None:
            return
        parts, n_keys = self.parts, len(self.keys)
        row_sids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        lengths = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        if len(parts) == 1:
            ts, vs = parts[0][2], parts[0][3]
        else:
            ts = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
            vs = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0)
        parts.clear()
        if (row_sids[1:] > row_sids[:-1]).all():
            starts = np.zeros(n_keys + 1, dtype=np.int64)
            starts[row_sids.astype(np.int64) + 1] = lengths
            starts = np.cumsum(starts)
            self._sort_within(starts, ts, vs)
        else:
            sids = np.repeat(row_sids, lengths)
            order = np.lexsort((ts, sids))
            sids, ts, vs = sids[order], ts[order], vs[order]
            starts = np.searchsorted(sids, np.arange(n_keys + 1)).astype(np.int64)
            del sids, order
        inner = np.ones(max(len(ts) - 1, 0), dtype=bool)
        inner[starts[1:-1][(starts[1:-1] > 0) & (starts[1:-1] < len(ts))] - 1] = False
        twin = inner & (ts[1:] == ts[:-1]) & (vs[1:] != vs[:-1])
        if twin.any():
            raise Unsure(f"{int(twin.sum())} timestamps with two values")
        self.con.close()  # reading is over: hand DuckDB's memory back
        self.starts, self.ts, self.values = starts, _compact(ts), vs

    @staticmethod
    def _sort_within(starts: I64, ts: F64, vs: F64) -> None:
        """Sort by time, in place, the series whose samples are not in time order."""
        inner = np.ones(max(len(ts) - 1, 0), dtype=bool)
        cut = starts[1:-1]
        inner[cut[(cut > 0) & (cut < len(ts))] - 1] = False
        back = np.flatnonzero(inner & (ts[1:] < ts[:-1]))
        if not len(back):
            return
        series = np.unique(np.searchsorted(starts, back + 1, side="right") - 1)
        lo, hi = starts[series], starts[series + 1]
        at = np.repeat(lo - np.cumsum(np.r_[0, (hi - lo)[:-1]]), hi - lo) + np.arange(
            int((hi - lo).sum())
        )
        which = np.repeat(np.arange(len(series)), hi - lo)
        order = at[np.lexsort((ts[at], which))]
        ts[at], vs[at] = ts[order], vs[order]

    def count(self) -> int:
        if self.ts is not None:
            return len(self.ts.offsets if isinstance(self.ts, _Seconds) else self.ts)
        return sum(len(p[2]) for p in self.parts)

    def check_ties(self) -> None:
        """Unsure when a series has two different values at one timestamp."""
        self.finish()

    def samples(self) -> tuple[I32, F64, F64]:
        """Every sample as (series id, time, value), sorted by (series, time)."""
        self.finish()
        assert self.ts is not None and self.values is not None and self.starts is not None
        sids = np.repeat(np.arange(len(self.keys), dtype=np.int32), np.diff(self.starts))
        stored = self.ts
        ts: F64 = (
            (stored.offsets + stored.base).astype(np.float64)
            if isinstance(stored, _Seconds)
            else stored
        )
        return sids, ts, self.values

    def window(self, lo: float, hi: float) -> tuple[I32, F64, F64]:
        """Samples with ``lo <= t <= hi``, sorted by (series, time).

        Each series' first sample ``>= lo`` and first ``> hi`` come from a binary search
        run for all series at once, so a chunk costs its own samples, not the file's.
        """
        self.finish()
        stored, starts = self.ts, self.starts
        assert stored is not None and self.values is not None and starts is not None
        base = 0.0
        ts: F64 | npt.NDArray[np.int32]
        if isinstance(stored, _Seconds):  # search the offsets: same order, exact values
            base, ts = stored.base, stored.offsets
            lo, hi = math.ceil(lo - base), math.floor(hi - base)
        else:
            ts = stored
        first = _search(ts, starts[:-1], starts[1:], lo, right=False)
        end = _search(ts, first, starts[1:], hi, right=True)
        count = end - first
        total = int(count.sum())
        offsets = np.cumsum(count) - count
        idx = np.repeat(first - offsets, count) + np.arange(total)
        sid = np.repeat(np.arange(len(count), dtype=np.int32), count)
        got: F64 = (ts[idx] + base).astype(np.float64, copy=False)
        return sid, got, self.values[idx]


@dataclass
class _Seconds:
    """Timestamps that are whole seconds within 68 years of ``base``, kept as int32
    offsets (half the memory of doubles; ``base + offset`` gives each double back)."""

    base: float
    offsets: npt.NDArray[np.int32]


def _compact(ts: F64, block: int = 1 << 22) -> F64 | _Seconds:
    """``ts`` as :class:`_Seconds` when that is exact, else unchanged."""
    if not len(ts):
        return ts
    base = float(np.floor(ts.min()))
    if not float(ts.max()) - base < 2**31 - 1:
        return ts
    offsets = np.empty(len(ts), dtype=np.int32)
    for a in range(0, len(ts), block):  # bounded temporaries
        off = ts[a : a + block] - base
        whole = off.astype(np.int32)
        if not np.array_equal(whole + base, ts[a : a + block]):
            return ts
        offsets[a : a + block] = whole
    return _Seconds(base, offsets)


def _search(ts: F64 | npt.NDArray[np.int32], lo: I64, hi: I64, value: float, *, right: bool) -> I64:
    """Per series ``[lo, hi)`` (sorted): the first index with ``ts > value`` (``right``)
    or ``ts >= value``, found for every series together."""
    lo, hi = lo.copy(), hi.copy()
    open_ = lo < hi
    while open_.any():
        mid = (lo + hi) // 2
        probe = ts[np.where(open_, mid, 0)]
        below = (probe <= value) if right else (probe < value)
        go_right = open_ & below
        lo = np.where(go_right, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)
        open_ = lo < hi
    return lo
