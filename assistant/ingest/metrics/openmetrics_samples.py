"""Samples of metrics files read set-based by DuckDB, kept on disk in time slices.

Reading a multi-gigabyte OpenMetrics file line by line in Python costs about 5 µs a
line. DuckDB reads the same lines in parallel (split at spaces, no quoting), takes the
last two tokens as value and timestamp and casts them. One pass groups the lines by
time slice (a UTC day by default) and by a hash of their ``name{labels}`` text and
writes the groups to Parquet, one directory per slice
(:func:`~assistant.ingest.metrics.openmetrics_sql.sliced_groups`). A summary per series
over all slices then checks the whole file before anything is mapped, and assigns
series ids (labels parsed once per series). A time chunk reads only the slices its
points can see, as numpy arrays sorted by (series, time); the slices behind the chunk
are dropped. So memory follows a slice, not the file: a 20k-pod month is 30 slices of
~5M samples, and the file's size only costs disk.

The fast reader is deliberately strict: a line it is not sure it reads exactly as the
line-by-line reader would (exemplars, irregular spacing, values DuckDB will not cast,
invalid names, a hash collision, unreadable bytes, a series with two different values
at one timestamp: grouping does not keep line order, which decides such a tie) makes
it give up (:class:`Unsure`), and the caller falls back to
:func:`assistant.ingest.metrics.openmetrics.read_file`, which either reads the file or
raises the precise ``ImportFileError`` with file and line. A tie is only seen when its
slice is read, i.e. during the ingest, whose transaction then rolls back.
"""

from __future__ import annotations

import gzip
import math
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from assistant.errors import ImportFileError
from assistant.ingest.metrics import plausible
from assistant.ingest.metrics.openmetrics_sql import PART_META, sliced_groups
from assistant.ingest.metrics.sample_slices import (
    Slice,
    Twins,
    bucket_of,
    merge_slices,
    series_major,
)
from assistant.warehouse.sql_text import path_lit

__all__ = ["SLICE_S", "SampleStore", "Unsure"]

LabelKey = tuple[tuple[str, str], ...]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
#: Width of a time slice in seconds: a UTC day, the default chunk.
SLICE_S = 86_400
#: DuckDB memory for the grouping pass. Its hash table holds every (slice, series) group
#: of the file with its two lists until the pass ends: ~1.9 GB at 5k pods × 30 days
#: hourly (1.7M groups, 40.7M samples), so a file that size spills whatever the limit is
#: set to below that, and the spill is what costs: at 5k pods the pass took 33.5 s CPU
#: (97 s wall, load ≈ 10) at 1 GB, 27.7 s (55 s) at 1.5 GB, 24.4 s (52 s) unspilled at
#: 3 GB. The process's RSS follows the limit once the pass spills (1.61 GB at 1.5 GB at
#: 5k pods), so this is what keeps a 20k-pod month's read pass under the 2 GB target.
READ_MEMORY = "1536MB"
#: DuckDB memory once the file is read (slices are small; the grouping had more).
_SLICE_MEMORY = "256MB"


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


def guess_scale(path: Path) -> float:
    """Seconds per file time unit, guessed cheaply: 1 for OpenMetrics (ends in ``# EOF``),
    0.001 for the Prometheus text format (milliseconds). Only the slicing uses the guess;
    the reader checks it against the whole file and re-slices when it was wrong."""
    try:
        if path.suffix != ".gz":
            with path.open("rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - 4096))
                tail = fh.read().decode("utf-8", "replace").splitlines()
            return 1.0 if any(line.strip() == "# EOF" for line in tail) else 0.001
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as gz:
            for line in gz:
                if line.strip() and not line.startswith("#"):
                    return 0.001 if float(line.split()[-1]) > 1e11 else 1.0
    except (OSError, ValueError, IndexError, EOFError):
        pass
    return 1.0


@dataclass
class _Part:
    """One file's samples on disk: groups with lists (fast reader) or plain rows."""

    root: Path
    kind: str  # groups | rows
    scale: float = 1.0
    #: a groups part's wanted series: their hashes, sorted, and the series id of each
    hashes: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    sids: I32 = field(default_factory=lambda: np.zeros(0, np.int32))


@dataclass
class SampleStore:
    """Every sample of the wanted metrics, keyed by a dense series id, sliced by time.

    Files add parts (:meth:`read_file`, or :meth:`add_sorted` for what the line reader
    read); :meth:`window` hands out a time range's samples sorted by (series, time),
    reading and caching the slices it spans and dropping the slices before it.
    """

    con: duckdb.DuckDBPyConnection
    keys: list[tuple[str, LabelKey]]  # series id → (metric, sorted labels)
    first_ts: float | None
    last_ts: float | None

    tmp: tempfile.TemporaryDirectory[str] | None = None
    slice_s: int = SLICE_S
    index: dict[tuple[str, LabelKey], int] = field(default_factory=dict)
    parts: list[_Part] = field(default_factory=list)
    buckets: set[int] = field(default_factory=set)
    samples_kept: int = 0
    read_memory: str = READ_MEMORY
    _cache: dict[int, Slice] = field(default_factory=dict)

    @classmethod
    def create(cls, memory_limit: str = READ_MEMORY, slice_s: int = SLICE_S) -> SampleStore:
        """A store reading with DuckDB; ``memory_limit`` bounds each file's grouping, which
        spills beyond it to the store's temporary directory, where the slices also live."""
        tmp = tempfile.TemporaryDirectory(prefix="penny-samples-")
        con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": tmp.name})
        con.execute("SET enable_progress_bar = false")  # Penny draws its own
        return cls(con, [], None, None, tmp, slice_s, read_memory=memory_limit)

    def close(self) -> None:
        self.con.close()
        self.parts.clear()
        self._cache.clear()
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

    def _new_dir(self) -> Path:
        assert self.tmp is not None
        return Path(tempfile.mkdtemp(prefix="part-", dir=self.tmp.name))

    def _span(self, lo: float, hi: float, n: int) -> None:
        if n:
            self.first_ts = lo if self.first_ts is None else min(self.first_ts, lo)
            self.last_ts = hi if self.last_ts is None else max(self.last_ts, hi)
            self.samples_kept += n

    def add_sorted(
        self, keys: list[tuple[str, LabelKey]], lengths: list[int], ts: F64, values: F64
    ) -> None:
        """Append series read line by line (``lengths[i]`` samples of ``keys[i]``, each
        series stably sorted by time, in seconds). Of samples sharing a timestamp only
        the last is kept: it is the one a grid point picks (``bisect_right``)."""
        row_sids = np.array([self._id(k) for k in keys], dtype=np.int32)
        sids = np.repeat(row_sids, lengths)
        shadowed = np.zeros(len(ts), dtype=bool)
        shadowed[:-1] = (sids[1:] == sids[:-1]) & (ts[1:] == ts[:-1])
        keep = ~shadowed & np.isfinite(values)
        sids, ts, values = sids[keep], ts[keep], values[keep]
        if not len(ts):
            return
        b = np.clip(np.floor(ts / self.slice_s), -(2.0**62), 2.0**62).astype(np.int64)
        root = self._new_dir()
        self.con.register("rows_in", {"b": b, "sid": sids, "t": ts, "v": values})
        try:
            self.con.execute(
                f"COPY (SELECT * FROM rows_in) TO {path_lit(root)} "
                "(FORMAT parquet, PARTITION_BY (b))"
            )
        finally:
            self.con.unregister("rows_in")
        self.parts.append(_Part(root, "rows"))
        self.buckets.update(np.unique(b).tolist())
        self._span(float(ts.min()), float(ts.max()), len(ts))

    def read_file(
        self, path: Path, wanted: frozenset[str], parse_labels: Callable[[str, str, int], LabelKey]
    ) -> int:
        """Slice ``path``'s samples of ``wanted`` metrics set-based; Unsure if not exact."""
        compression = "gzip" if path.suffix == ".gz" else "none"
        scale = guess_scale(path)
        # every file groups with the read limit (the previous file's left the slice one)
        self.con.execute(f"SET memory_limit = '{self.read_memory}'")
        for _ in range(2):
            root = self._new_dir()
            try:
                self.con.execute(
                    sliced_groups(str(root), scale, self.slice_s), [str(path), compression]
                )
                meta = (
                    self.con.execute(PART_META, [_glob(root)]).fetchall()
                    if any(root.rglob("*.parquet"))
                    else []
                )
            except duckdb.Error as exc:
                raise Unsure(str(exc)) from exc
            eof = any(
                line is not None and line.strip() == "# EOF" for m in meta for line in m[5] or ()
            )
            if (1.0 if eof else 0.001) == scale:
                break
            shutil.rmtree(root)  # the guess was wrong: slice again with the file's unit
            scale = 1.0 if eof else 0.001
        bad = sum(int(m[4] or 0) for m in meta)
        if bad:
            raise Unsure(f"{bad} lines need the exact reader")
        if any(m[2] != m[3] for m in meta):
            raise Unsure("two series texts with one 64-bit hash")
        hs: list[int] = []
        sids: list[int] = []
        lo, hi, n = np.inf, -np.inf, 0
        for h, key, _, _, _, _, n_finite, t_min, t_max, v_min, v_max, n_inf in meta:
            if h is None:  # the comment lines' group
                continue
            name, label_text = _split_prefix(key)
            if name not in wanted:
                continue
            try:
                labels = parse_labels(label_text, str(path), 0) if label_text else ()
            except ImportFileError as exc:
                raise Unsure(str(exc)) from exc
            # infinities and implausible values or times: the line reader names the line
            low, high = plausible.bounds(name, labels)
            if n_inf or (n_finite and (v_min < low or v_max > high)):
                raise Unsure("a value the line reader refuses")
            hs.append(h)
            sids.append(self._id((name, labels)))
            if n_finite:
                n += int(n_finite)
                lo, hi = min(lo, t_min * scale), max(hi, t_max * scale)
        if n and (lo < plausible.TS_MIN or hi >= plausible.TS_MAX):
            raise Unsure("a timestamp outside the years Penny keeps")
        h_arr = np.array(hs, dtype=np.uint64)
        order = np.argsort(h_arr)
        self.parts.append(
            _Part(root, "groups", scale, h_arr[order], np.array(sids, dtype=np.int32)[order])
        )
        self.buckets.update(_slices_in(root))
        self._span(float(lo), float(hi), n)
        self.con.execute(f"SET memory_limit = '{_SLICE_MEMORY}'")
        return n

    def finish(self) -> None:
        """Nothing left to join: slices are read when a window needs them. Kept so the
        readers' callers need not know the store is sliced."""

    def count(self) -> int:
        """Samples kept (finite values of wanted series)."""
        return self.samples_kept

    def check_ties(self) -> None:
        """Unsure when a series has two different values at one timestamp (reads every slice)."""
        for b in sorted(self.buckets):
            self._load(b)

    def _load(self, b: int) -> Slice:
        """Slice ``b`` of every part, sorted by (series, time); Unsure on a tie."""
        row_sids: list[I32] = []
        lengths: list[npt.NDArray[np.int64]] = []
        ts: list[F64] = []
        vs: list[F64] = []
        for part in self.parts:
            folder = part.root / f"b={b}"
            if not folder.is_dir():
                continue
            src = f"read_parquet({path_lit(folder / '*.parquet')})"
            if part.kind == "rows":
                got = self.con.execute(f"SELECT sid, t, v FROM {src}").fetchnumpy()
                row_sids.append(np.asarray(got["sid"], dtype=np.int32))
                lengths.append(np.ones(len(got["sid"]), dtype=np.int64))
                ts.append(np.asarray(got["t"], dtype=np.float64))
                vs.append(np.asarray(got["v"], dtype=np.float64))
                continue
            # the groups' hashes and lengths, then their samples, in the files' order (two
            # scans of the same files; DuckDB keeps insertion order); series ids by a binary
            # search of the wanted hashes, then one gather into series order
            head = self.con.execute(f"SELECT h, len(ts) AS n FROM {src}").fetchnumpy()
            got = self.con.execute(
                f"SELECT unnest(ts) AS t, unnest(vs) AS v FROM {src}"
            ).fetchnumpy()
            h = np.asarray(head["h"], dtype=np.uint64)
            n = np.asarray(head["n"], dtype=np.int64)
            at = np.searchsorted(part.hashes, h).clip(0, max(len(part.hashes) - 1, 0))
            known = (part.hashes[at] == h) if len(part.hashes) else np.zeros(len(h), bool)
            group_sid = np.where(known, part.sids[at] if len(part.sids) else -1, -1)
            keep = np.flatnonzero(group_sid >= 0)
            keep = keep[np.argsort(group_sid[keep], kind="stable")]
            starts = np.cumsum(n) - n
            index = np.repeat(starts[keep] - np.cumsum(np.r_[0, n[keep][:-1]]), n[keep])
            index += np.arange(int(n[keep].sum()))
            t = np.asarray(got["t"], dtype=np.float64)[index]
            if part.scale != 1.0:
                t *= part.scale
            row_sids.append(group_sid[keep].astype(np.int32))
            lengths.append(n[keep])
            ts.append(t)
            vs.append(np.asarray(got["v"], dtype=np.float64)[index])
            del got, head, index, t  # a day at 20k pods: ~85 MB of lists per part
        if not ts:
            return merge_slices([])
        try:
            return series_major(_joined(row_sids), _joined(lengths), _joined(ts), _joined(vs))
        except Twins as exc:
            raise Unsure(str(exc)) from exc

    def samples(self) -> tuple[I32, F64, F64]:
        """Every sample as (series id, time, value), sorted by (series, time)."""
        every = merge_slices([self._load(b) for b in sorted(self.buckets)])
        return every.sid, every.ts, every.vs

    def held(self) -> tuple[int, float | None]:
        """(samples kept in memory for later windows, the earliest one's time)."""
        kept = [c for c in self._cache.values() if len(c.ts)]
        n = sum(len(c.ts) for c in kept)
        return n, min((float(c.ts.min()) for c in kept), default=None)

    def window(self, lo: float, hi: float, keep_from: float | None = None) -> tuple[I32, F64, F64]:
        """Samples with ``lo <= t <= hi``, sorted by (series, time).

        Reads the slices the window spans (once each: windows come in time order) and
        forgets the slices that end before ``lo``. ``keep_from``, where the caller's next
        window will start (none may start before it), trims what stays cached to the
        samples at or after it: otherwise a whole slice stays in memory for the few
        minutes of lookback the next chunk reads from it (at 20k pods a day's slice is
        ~5M samples, 100 MB and more).
        """
        b_lo, b_hi = bucket_of(lo, self.slice_s), bucket_of(hi, self.slice_s)
        for b in [b for b in self._cache if b < b_lo]:
            del self._cache[b]
        parts = []
        for b in sorted(x for x in self.buckets if b_lo <= x <= b_hi):
            if b not in self._cache:
                self._cache[b] = self._load(b)
            parts.append(self._cache[b].between(lo, hi))
        got = merge_slices(parts)
        del parts
        if keep_from is not None:
            # an emptied slice stays cached (as empty): reading it again would be waste
            for b, cached in self._cache.items():
                self._cache[b] = cached.between(keep_from, math.inf)
        return got.sid, got.ts, got.vs


def _joined(arrays: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """The parts' arrays as one; a single part as it is (no copy)."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _slices_in(root: Path) -> set[int]:
    """Slice numbers of a part's ``b=N`` folders (not the NULL one of comment lines)."""
    return {
        int(d.name[2:])
        for d in root.iterdir()
        if d.name.startswith("b=") and d.name[2:].lstrip("-").isdigit()
    }


def _glob(root: Path) -> str:
    return str(root / "**" / "*.parquet")
