"""Metrics files are kept on disk in time slices; the rows must not depend on the slicing.

The slice width decides only which samples are in memory at once, so ingesting the same
file with 1-hour slices, daily slices and one slice for the whole window must store
identical rows in every m003 table (and identical to what the exact line reader gives).
Windows over the sliced store must be exactly the samples between their bounds.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.errors import InputError
from assistant.ingest.metrics.openmetrics import exact_samples, ingest_openmetrics
from assistant.ingest.metrics.openmetrics_samples import SampleStore
from bench.metrics_file import START, write_cluster

from .cluster_file import T0, dump, write


def _ingest_all(path: Path, slices: list[int], tmp_path: Path, **kw: object) -> list[object]:
    out = []
    for hours in slices:
        home = tmp_path / f"home-{hours}"
        home.mkdir()
        settings = load_settings(home=home, db=home / "penny.duckdb")
        ingest_openmetrics([path], "c", settings, slice_hours=hours, **kw)  # type: ignore[arg-type]
        out.append(dump(settings))
    return out


def test_known_cluster_rows_do_not_depend_on_the_slices(tmp_path: Path) -> None:
    """The 2-hour cluster file (10:00–12:00, 5-minute steps): 1-hour slices cut it in
    three (10, 11, 12 h), a day keeps it whole."""
    path = write(tmp_path / "c.om")
    one_hour, one_day, year = _ingest_all(
        path, [1, 24, 24 * 365], tmp_path, start=T0, end=T0 + timedelta(hours=2)
    )
    assert one_hour["container_hours"]  # the file has rows to compare
    assert one_hour == one_day == year


def test_generated_days_rows_do_not_depend_on_the_slices(tmp_path: Path) -> None:
    """A generated cluster, 40 pods × 3 days of hourly samples (bench generator), step
    1h: with 1-hour slices every daily chunk spans 25 slices plus the lookback into the
    day before; with 3-day slices one slice holds the whole file."""
    path = tmp_path / "gen.om"
    write_cluster(path, 40, 3)
    per_hour, per_day, whole = _ingest_all(path, [1, 24, 72], tmp_path, step="1h")
    assert len(per_day["container_hours"]) == 40 * 72  # 40 containers × 72 hours
    assert per_hour == per_day == whole


def test_slice_hours_must_be_positive(tmp_path: Path) -> None:
    path = write(tmp_path / "c.om")
    with pytest.raises(InputError, match="slice_hours must be at least 1, got 0"):
        ingest_openmetrics([path], "c", load_settings(), slice_hours=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=40),
    st.integers(0, 4 * 3600),
    st.integers(0, 4 * 3600),
    st.sampled_from([600, 3600, 86_400]),
)
def test_window_is_exactly_the_samples_between_its_bounds(
    offsets: list[int], a: int, b: int, slice_s: int
) -> None:
    """Two series with samples at random times over four hours: window(lo, hi) over
    slices of 10 minutes, an hour or a day equals a filter of all samples, sorted by
    (series, time)."""
    t0 = (START - datetime(1970, 1, 1)).total_seconds()
    lo, hi = t0 + min(a, b), t0 + max(a, b)
    stamps = sorted(set(offsets))
    keys = [("m", (("s", "x"),)), ("m", (("s", "y"),))]
    ts = np.array([t0 + o for o in stamps] * 2, dtype=np.float64)
    vs = np.arange(len(ts), dtype=np.float64)
    with SampleStore.create(slice_s=slice_s) as store:
        store.add_sorted(keys, [len(stamps), len(stamps)], ts, vs)
        sid, got_t, got_v = store.window(lo, hi)
        sids = np.repeat([0, 1], len(stamps))
        keep = (ts >= lo) & (ts <= hi)
        assert sid.tolist() == sids[keep].tolist()
        assert got_t.tolist() == ts[keep].tolist()
        assert got_v.tolist() == vs[keep].tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=40),
    st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=6),
    st.integers(0, 3600),
    st.sampled_from([600, 3600, 86_400]),
)
def test_windows_in_time_order_keep_only_what_the_next_one_reads(
    offsets: list[int], starts: list[int], width: int, slice_s: int
) -> None:
    """Windows ``[lo, lo + width]`` at increasing ``lo``, each told where the next one
    starts (``keep_from``, as a chunked ingest does): each window is still exactly the
    samples between its bounds, and between windows the store holds no sample before
    the next start (after the last one, none at all)."""
    t0 = (START - datetime(1970, 1, 1)).total_seconds()
    stamps = sorted(set(offsets))
    keys = [("m", (("s", "x"),)), ("m", (("s", "y"),))]
    ts = np.array([t0 + o for o in stamps] * 2, dtype=np.float64)
    vs = np.arange(len(ts), dtype=np.float64)
    sids = np.repeat([0, 1], len(stamps))
    los = [t0 + s for s in sorted(set(starts))]
    with SampleStore.create(slice_s=slice_s) as store:
        store.add_sorted(keys, [len(stamps), len(stamps)], ts, vs)
        for i, lo in enumerate(los):
            keep_from = los[i + 1] if i + 1 < len(los) else math.inf
            sid, got_t, got_v = store.window(lo, lo + width, keep_from)
            keep = (ts >= lo) & (ts <= lo + width)
            assert sid.tolist() == sids[keep].tolist()
            assert got_t.tolist() == ts[keep].tolist()
            assert got_v.tolist() == vs[keep].tolist()
            n, earliest = store.held()
            assert earliest is None or earliest >= keep_from
            assert n <= int((ts >= keep_from).sum())
        assert store.held() == (0, None)


def test_exact_reader_slices_too(tmp_path: Path) -> None:
    """The line reader's samples go to slices as well: 1-hour slices of the 2-hour file
    give the same samples as one slice."""
    path = write(tmp_path / "c.om")
    with exact_samples([path], 3600) as small, exact_samples([path], 86_400) as big:
        assert len(small.buckets) == 3 and len(big.buckets) == 1
        for got, want in zip(small.samples(), big.samples(), strict=True):
            assert got.tolist() == want.tolist()


def test_a_container_hour_written_twice_stores_nothing(tmp_path: Path) -> None:
    """container_hours has no primary key since m005 (its index outgrew the writer's memory
    at 20k pods × 30 days); the ingest checks uniqueness itself. The same chunk handed
    over twice writes shop/web/app at 10:00 twice: InputError, and the warehouse stays
    empty."""
    from assistant.ingest.metrics.series import Grid, GridSeries
    from assistant.ingest.metrics.store import write_metrics

    grid = Grid(T0, T0 + timedelta(hours=1), 3600)
    labels = {"namespace": "shop", "pod": "web", "container": "app"}
    chunk = (grid, {"kube_pod_container_status_running": [GridSeries("m", labels, {0: 1.0})]})
    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings(home=home, db=home / "penny.duckdb")
    with pytest.raises(InputError, match=r"1 container-hours of cluster 'c' came out twice"):
        write_metrics(
            settings,
            kind="openmetrics",
            source="test",
            cluster="c",
            start=grid.start,
            end=grid.end,
            step_s=3600,
            chunks=[chunk, chunk],
        )
    assert dump(settings)["container_hours"] == []
