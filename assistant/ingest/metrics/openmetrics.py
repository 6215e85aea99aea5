"""Metrics from OpenMetrics / Prometheus text files with timestamps, without a Prometheus.

The files are what ``promtool tsdb create-blocks-from openmetrics`` accepts: one
sample per line, ``name{label="value",…} value timestamp``. A file ending in ``# EOF``
is OpenMetrics (timestamps in seconds); otherwise it is the Prometheus text format
(timestamps in milliseconds). ``.gz`` files are read transparently.

Samples are resampled onto the same step grid a Prometheus range query would use
(:func:`assistant.ingest.metrics.series.resample`, vectorised in
:mod:`assistant.ingest.metrics.resample`) and go through the same hourly mapping, so a
file gives the same rows as the Prometheus it was backfilled into.

Files are read set-based by DuckDB (:mod:`assistant.ingest.metrics.openmetrics_samples`);
:func:`read_file`, the line-by-line reader, is the exact fallback for anything that
reader will not vouch for, and the one that names the file and line of a bad sample.
"""

from __future__ import annotations

import gzip
import itertools
import math
import re
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import numpy as np

from assistant.config import Settings
from assistant.core.timestamps import minute
from assistant.errors import DataGap, ImportFileError, InputError
from assistant.ingest.after import AfterIngest
from assistant.ingest.metrics import plausible
from assistant.ingest.metrics.chunk import ChunkSeries, SeriesTable
from assistant.ingest.metrics.openmetrics_samples import SLICE_S, SampleStore, Unsure
from assistant.ingest.metrics.resample import resample_many
from assistant.ingest.metrics.series import (
    LOOKBACK_S,
    METRICS,
    Grid,
    ceil_hour,
    floor_hour,
    naive_utc,
    parse_step,
    time_chunks,
)
from assistant.ingest.metrics.store import MetricsIngestReport, write_metrics
from assistant.ingest.metrics.units import (
    UnitRow,
    on_grid,
    read_file_series,
    unit_rows,
    write_unit_rows,
)
from assistant.ingest.text_check import first_bad_utf8

__all__ = ["RawSeries", "ingest_openmetrics", "load_samples", "parse_files", "read_file"]

_LINE_RE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)"
    r"(?:\s+(?P<ts>\S+))?\s*(?:#.*)?$"
)
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
#: A whole label list: the pairs ``_LABEL_RE`` takes one after another, nothing else. Its
#: tokens cannot be split two ways, so a full match means the loop would succeed and
#: ``findall`` gives the loop's pairs.
_LABELS_RE = re.compile(r'(?:\s*[a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"(?:[^"\\]|\\.)*"\s*(?:,|$))*')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_WANTED = frozenset(METRICS)

LabelKey = tuple[tuple[str, str], ...]
#: (name, labels) → (timestamps in seconds, values); compact double arrays, not lists.
RawSeries = dict[tuple[str, LabelKey], tuple["array[float]", "array[float]"]]


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r'\\[\\"n]', lambda m: _ESCAPES[m[0]], text)


def _parse_labels(text: str, file: str, row: int) -> LabelKey:
    text = text.strip()
    if _LABELS_RE.fullmatch(text):  # one C-level pass; the loop below names the error
        return tuple(sorted((name, _unescape(value)) for name, value in _LABEL_RE.findall(text)))
    labels: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _LABEL_RE.match(text, pos)
        if not m:
            raise ImportFileError(
                f"cannot parse labels {{{text}}}",
                file=file,
                row=row,
                hint='Labels must look like name="value", separated by commas.',
            )
        labels.append((m[1], _unescape(m[2])))
        pos = m.end()
    return tuple(sorted(labels))


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _split(line: str) -> tuple[str, str | None, list[str]]:
    """(name, label text or None, [value, timestamp?]) without regexes: the hot path."""
    if " # " in line:  # OpenMetrics exemplar
        line = line[: line.index(" # ")]
    brace = line.find("{")
    if brace < 0:
        parts = line.split()
        return parts[0], None, parts[1:]
    close = line.rfind("}")
    if close < brace:
        raise ValueError("unbalanced braces")
    return line[:brace].strip(), line[brace + 1 : close], line[close + 1 :].split()


def read_file(path: Path, into: RawSeries) -> int:
    """Add the file's samples of Penny's metrics to ``into``; returns samples read.

    A series' label text is parsed once, when the series is first met; later lines of
    the same series only append (value, timestamp).
    """
    file = str(path)
    staged: dict[tuple[str, str | None], tuple[array[float], array[float]]] = {}
    first_row: dict[tuple[str, str | None], int] = {}
    limits: dict[tuple[str, str | None], tuple[float, float]] = {}
    names_ok: set[str] = set()
    openmetrics = False
    count = 0
    # the file's format (and so its time unit) is known only at its end: remember the
    # first implausible time under each reading, report the one that applies
    bad_s: tuple[int, float] | None = None
    bad_ms: tuple[int, float] | None = None
    try:
        with _open(path) as fh:
            for row, line in enumerate(fh, start=1):
                if line.startswith("#"):
                    if line.strip() == "# EOF":
                        openmetrics = True
                    continue
                if not line.strip():
                    continue
                try:
                    name, label_text, rest = _split(line)
                except (ValueError, IndexError):
                    raise ImportFileError(
                        "not a metric sample line",
                        file=file,
                        row=row,
                        hint='Expected: name{label="v"} value timestamp',
                    ) from None
                if name not in _WANTED:
                    if name not in names_ok and not _LINE_RE.match(line):
                        raise ImportFileError(
                            "not a metric sample line",
                            file=file,
                            row=row,
                            hint='Expected: name{label="v"} value timestamp',
                        )
                    names_ok.add(name)
                    continue
                if len(rest) < 2:
                    raise ImportFileError(
                        f"sample of {name} has no timestamp"
                        if len(rest) == 1
                        else f"sample of {name} has no value",
                        file=file,
                        row=row,
                        hint="Export with timestamps (as promtool create-blocks-from "
                        "openmetrics requires).",
                    )
                try:
                    value, ts = float(rest[0]), float(rest[1])
                except ValueError as exc:
                    raise ImportFileError(f"unparsable number: {exc}", file=file, row=row) from exc
                key = (name, label_text)
                target = staged.get(key)
                if target is None:
                    # fail on the first bad line
                    labels = _parse_labels(label_text, file, row) if label_text else ()
                    target = staged[key] = (array("d"), array("d"))
                    first_row[key] = row
                    limits[key] = plausible.bounds(name, labels)
                low, high = limits[key]
                if not low <= value <= high and not math.isnan(value):
                    raise ImportFileError(
                        plausible.value_problem(value, low, high) or "implausible value",
                        file=file,
                        row=row,
                        column="value",
                        hint="Fix or re-export the file; nothing was imported.",
                    )
                if bad_s is None and not plausible.TS_MIN <= ts < plausible.TS_MAX:
                    bad_s = (row, ts)
                if bad_ms is None and not plausible.TS_MIN <= ts / 1000 < plausible.TS_MAX:
                    bad_ms = (row, ts / 1000)
                if not math.isfinite(value):
                    continue
                target[0].append(ts)
                target[1].append(value)
                count += 1
    except UnicodeDecodeError:
        bad = first_bad_utf8(path)
        raise ImportFileError(
            bad.describe() if bad else "the file is not UTF-8 text",
            file=file,
            row=bad.line if bad else None,
            column=f"character {bad.column}" if bad else None,
            hint="Metrics files are UTF-8 text; re-export the file.",
        ) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImportFileError(f"cannot read: {exc}", file=file) from exc
    bad_time = bad_s if openmetrics else bad_ms
    if bad_time is not None:
        raise ImportFileError(
            plausible.time_problem(bad_time[1], milliseconds=not openmetrics) or "bad time",
            file=file,
            row=bad_time[0],
            column="timestamp",
            hint="Fix or re-export the file; nothing was imported.",
        )
    scale = 1.0 if openmetrics else 0.001
    for (name, label_text), (stamps, values) in staged.items():
        labels = (
            _parse_labels(label_text, file, first_row[(name, label_text)]) if label_text else ()
        )
        merged = into.setdefault((name, labels), (array("d"), array("d")))
        merged[0].extend(stamps if scale == 1.0 else array("d", (t * scale for t in stamps)))
        merged[1].extend(values)
    return count


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(
                f"No such file or directory: {path}",
                hint="Pass OpenMetrics files or a directory holding them.",
            )
    return out


def parse_files(paths: list[Path]) -> RawSeries:
    """Every sample of Penny's metrics in ``paths``, each series sorted by time."""
    raw: RawSeries = {}
    for path in _expand(paths):
        read_file(path, raw)
    for key, (stamps, values) in raw.items():
        if any(b < a for a, b in itertools.pairwise(stamps)):
            order = sorted(range(len(stamps)), key=stamps.__getitem__)
            raw[key] = (
                array("d", (stamps[i] for i in order)),
                array("d", (values[i] for i in order)),
            )
    return raw


def load_samples(paths: list[Path], slice_s: int = SLICE_S) -> SampleStore:
    """Every sample of Penny's metrics in ``paths``, in a :class:`SampleStore`.

    The set-based reader (DuckDB) loads clean files; anything it cannot vouch for sends
    every file through :func:`read_file`, the exact line reader that also names the
    file and line of a bad sample.
    """
    files = _expand(paths)
    store = SampleStore.create(slice_s=slice_s)
    try:
        for path in files:
            store.read_file(path, _WANTED, _parse_labels)
        store.finish()
        return store
    except Unsure:
        store.close()
    except BaseException:
        store.close()
        raise
    return exact_samples(paths, slice_s)


def exact_samples(paths: list[Path], slice_s: int = SLICE_S) -> SampleStore:
    """The samples as the line reader reads them (ties resolved: the later line wins)."""
    raw = parse_files(paths)
    store = SampleStore.create(slice_s=slice_s)
    try:
        keys = list(raw)
        lengths = [len(raw[k][0]) for k in keys]
        ts = (
            np.concatenate([np.frombuffer(raw[k][0], dtype=np.float64) for k in keys])
            if keys
            else np.zeros(0)
        )
        values = (
            np.concatenate([np.frombuffer(raw[k][1], dtype=np.float64) for k in keys])
            if keys
            else np.zeros(0)
        )
        store.add_sorted(keys, lengths, ts, values)
        store.finish()
    except BaseException:
        store.close()
        raise
    return store


def _chunks(
    store: SampleStore, grids: list[Grid], lookback_s: int = LOOKBACK_S
) -> Iterator[tuple[Grid, ChunkSeries]]:
    """Each grid's series, from just the samples its points can see, as arrays.

    The next chunk is cut and resampled in a thread while the caller maps this one
    (numpy work, mostly outside the GIL); chunks still come in order.
    """
    table = SeriesTable(store.keys)

    def make(grid: Grid) -> tuple[Grid, ChunkSeries]:
        end_ts = grid.start_ts + grid.n * grid.step_s
        sids, ts, values = store.window(grid.start_ts - lookback_s - 1, end_ts + 1)
        sid, ks, vs = resample_many(sids, ts, values, grid, lookback_s)
        return grid, ChunkSeries(table, sid, ks, vs)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="penny-chunks") as pool:
        ahead = [pool.submit(make, grid) for grid in grids[:1]]
        for i in range(len(grids)):
            current = ahead.pop().result()
            ahead.extend(pool.submit(make, grid) for grid in grids[i + 1 : i + 2])
            yield current


def ingest_openmetrics(
    paths: list[Path],
    cluster: str,
    settings: Settings,
    *,
    step: str = "5m",
    chunk_hours: int = 24,
    start: datetime | None = None,
    end: datetime | None = None,
    slice_hours: int = SLICE_S // 3600,
    allocate: AfterIngest | None = None,
) -> MetricsIngestReport:
    """Load metrics files for ``cluster``; ``allocate`` (a hook, see ``ingest.after``) runs
    on the hours loaded in the same transaction.

    The window is ``[start, end)`` widened to whole hours when given, else the hours
    ``[floor(first sample), floor(last sample) + 1h)``. The rows do not depend on
    ``chunk_hours``: longer chunks mean less per-series work and more memory. Nor on
    ``slice_hours``, the time slices the file is kept in on disk: memory holds the
    slices one chunk spans, whatever the file's size.
    """
    if slice_hours < 1:
        raise InputError(f"slice_hours must be at least 1, got {slice_hours}.")
    step_s = parse_step(step)
    if not cluster.strip():
        raise InputError("Cluster name is empty.", hint="Pass --cluster NAME.")
    try:
        with load_samples(paths, slice_hours * 3600) as store:
            return _ingest_store(
                store, paths, cluster, settings, step_s, chunk_hours, start, end, allocate
            )
    except Unsure:  # met mid-way (a timestamp with two values); nothing was written
        with exact_samples(paths, slice_hours * 3600) as store:
            return _ingest_store(
                store, paths, cluster, settings, step_s, chunk_hours, start, end, allocate
            )


def _ingest_store(
    store: SampleStore,
    paths: list[Path],
    cluster: str,
    settings: Settings,
    step_s: int,
    chunk_hours: int,
    start: datetime | None,
    end: datetime | None,
    allocate: AfterIngest | None,
) -> MetricsIngestReport:
    source = ", ".join(str(p) for p in paths)
    if store.first_ts is None or store.last_ts is None:
        raise DataGap(
            f"No samples of Penny's metrics in {source}.",
            hint="See docs/ingest-prometheus.md for the series Penny reads.",
            source=source,
        )
    epoch = datetime(1970, 1, 1)
    start = floor_hour(naive_utc(start) if start else epoch + timedelta(seconds=store.first_ts))
    end = (
        ceil_hour(naive_utc(end))
        if end
        else floor_hour(epoch + timedelta(seconds=store.last_ts)) + timedelta(hours=1)
    )
    if end <= start:
        raise InputError(f"End {minute(end)} is not after start {minute(start)}.")
    grids = time_chunks(start, end, step_s, chunk_hours)
    rows: list[UnitRow] = []
    for u in settings.units:  # usage counters (settings.units), read from the same files
        found = [on_grid(x, start, end, step_s) for x in read_file_series(paths, u)]
        rows += unit_rows(u, found, start, end)
    window_start, window_end = start, end
    return write_metrics(
        settings,
        kind="openmetrics",
        source=source,
        cluster=cluster,
        start=start,
        end=end,
        step_s=step_s,
        chunks=_chunks(store, grids),
        details={"files": [str(p) for p in paths], "series": len(store.keys)},
        allocate=allocate,
        extra=(
            (
                lambda con, ingest_id: write_unit_rows(
                    con, cluster, ingest_id, window_start, window_end, settings.units, rows
                )
            )
            if settings.units
            else None
        ),
    )
