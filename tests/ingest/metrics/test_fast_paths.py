"""The fast paths against the rules they replace.

* ``resample_many`` (numpy) must give the points ``resample`` (the per-point rule) gives.
* ``container_columns`` (numpy) must give the rows of the dict-based rules kept in
  ``reference_containers.py``; means may differ in the last bit (summation order).
* The set-based file reader (DuckDB) must load exactly what the line reader loads, must
  really be the one used on a clean file, and must hand anything it cannot vouch for to
  the line reader.
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
from assistant.errors import ImportFileError
from assistant.ingest.metrics.chunk import ChunkSeries, SeriesTable
from assistant.ingest.metrics.containers import container_rows
from assistant.ingest.metrics.openmetrics import (
    _LABEL_RE,
    _WANTED,
    _parse_labels,
    _unescape,
    exact_samples,
    ingest_openmetrics,
    parse_files,
)
from assistant.ingest.metrics.openmetrics_samples import SampleStore, Unsure
from assistant.ingest.metrics.resample import resample_many
from assistant.ingest.metrics.series import Grid, GridSeries, resample

from .cluster_file import MIB, T0, T0_S, dump, write
from .reference_containers import reference_container_rows

GRID = Grid(datetime(2026, 10, 1, 10), datetime(2026, 10, 1, 12), 600)  # n = 12, 6 per hour

# --- resampling ---------------------------------------------------------------------------

_offsets = st.one_of(
    st.floats(-900, 8100, allow_nan=False),
    st.builds(
        lambda k, d: k * 600 + d,
        st.integers(-2, 14),
        st.sampled_from([0.0, -300.0, 300.0, 0.5, -1e-10, 1e-10]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(_offsets, st.floats(-5, 5) | st.just(math.nan)), max_size=25),
        min_size=1,
        max_size=4,
    )
)
def test_resample_many_equals_resample(series: list[list[tuple[float, float]]]) -> None:
    t0 = GRID.start_ts
    per = [sorted(((t0 + off, v) for off, v in samples), key=lambda p: p[0]) for samples in series]
    ids = np.concatenate([np.full(len(p), i) for i, p in enumerate(per)]).astype(np.int64)
    ts = np.array([t for p in per for t, _ in p], dtype=np.float64)
    vs = np.array([v for p in per for _, v in p], dtype=np.float64)
    got_ids, got_k, got_v = resample_many(ids, ts, vs, GRID)
    for i, p in enumerate(per):
        want = resample([t for t, _ in p], [v for _, v in p], GRID)
        mask = got_ids == i
        assert dict(zip(got_k[mask].tolist(), got_v[mask].tolist(), strict=True)) == want


# --- container rows -----------------------------------------------------------------------

_keys = st.sampled_from(
    [
        {"namespace": "a", "pod": "p1", "container": "c"},
        {"namespace": "a", "pod": "p1", "container": "d", "node": "n1"},
        {"namespace": "b", "pod": "p2", "container": "c", "instance": "n2"},
        {"namespace": "b", "pod": "p2", "container": ""},  # pod-level: never a container
    ]
)
_points = st.dictionaries(
    st.integers(0, 12), st.sampled_from([0.0, 1.0, 2.0, 3.5, 10.0, 250.0]), max_size=13
)
_metric = st.sampled_from(
    [
        ("kube_pod_container_status_running", {}),
        ("kube_pod_container_resource_requests", {"resource": "cpu"}),
        ("kube_pod_container_resource_requests", {"resource": "memory"}),
        ("kube_pod_container_resource_requests", {"resource": "nvidia_com_gpu"}),
        ("kube_pod_container_resource_requests", {"resource": "nvidia_com_mig_3g_20gb"}),
        ("kube_pod_container_resource_limits", {"resource": "cpu"}),
        ("container_cpu_usage_seconds_total", {}),
        ("container_memory_working_set_bytes", {}),
        ("kube_pod_container_status_restarts_total", {}),
        ("kube_pod_container_status_last_terminated_reason", {"reason": "OOMKilled"}),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_metric, _keys, _points), max_size=12))
def test_container_columns_equal_the_dict_rules(
    picks: list[tuple[tuple[str, dict[str, str]], dict[str, str], dict[int, float]]],
) -> None:
    series: dict[str, list[GridSeries]] = {}
    for i, ((metric, extra), labels, points) in enumerate(picks):
        series.setdefault(metric, []).append(
            GridSeries(metric, {**labels, **extra, "id": str(i)}, points)
        )
    pod_nodes = {("a", "p1"): "fallback-node"}
    got = container_rows(series, GRID, pod_nodes)
    want = reference_container_rows(series, GRID, pod_nodes)
    assert [(r["namespace"], r["pod"], r["container"], r["hour"]) for r in got] == [
        (r["namespace"], r["pod"], r["container"], r["hour"]) for r in want
    ]
    for g, w in zip(got, want, strict=True):
        for column, value in w.items():
            if isinstance(value, float):
                assert g[column] == pytest.approx(value, rel=1e-12, abs=1e-12), column
            else:
                assert g[column] == value, column


# --- the set-based reader -------------------------------------------------------------------


def _store_contents(store: SampleStore) -> list[tuple[object, ...]]:
    sids, ts, vs = store.samples()
    return sorted(
        (store.keys[sid], t, v)
        for sid, t, v in zip(sids.tolist(), ts.tolist(), vs.tolist(), strict=True)
    )


@pytest.mark.parametrize("openmetrics", [True, False])
def test_set_based_reader_loads_what_the_line_reader_loads(
    tmp_path: Path, openmetrics: bool
) -> None:
    path = write(tmp_path / "c.om", openmetrics=openmetrics)
    with SampleStore.create() as fast:
        read = fast.read_file(path, _WANTED, _parse_labels)  # raises Unsure if it bails
        raw = parse_files([path])
        with SampleStore.create() as exact:
            keys = list(raw)
            exact.add_sorted(
                keys,
                [len(raw[k][0]) for k in keys],
                np.concatenate([np.frombuffer(raw[k][0]) for k in keys]),
                np.concatenate([np.frombuffer(raw[k][1]) for k in keys]),
            )
            assert _store_contents(fast) == _store_contents(exact)
    # every sample line of the file is one of Penny's metrics (in seconds after scaling)
    assert read == sum(len(stamps) for stamps, _ in raw.values())
    assert min(t for stamps, _ in raw.values() for t in stamps) == T0_S


@pytest.mark.parametrize(
    "extra",
    [
        "some_other_metric 1",  # no timestamp: legal, unusual
        'kube_node_info{node="node-b"} 1 1790848800 # {trace_id="x"} 1',  # an exemplar
        'container_memory_working_set_bytes{namespace="q",pod="r",container="s"}  1 1790848800',
    ],
)
def test_unusual_lines_go_through_the_line_reader(tmp_path: Path, extra: str) -> None:
    clean = write(tmp_path / "clean.om")
    odd = tmp_path / "odd.om"
    lines = clean.read_text().splitlines()
    odd.write_text("\n".join([*lines[:-1], extra, lines[-1]]) + "\n")
    with SampleStore.create() as store, pytest.raises(Unsure):
        store.read_file(odd, _WANTED, _parse_labels)
    ingest_openmetrics([clean], "clean", load_settings(), start=T0, end=T0 + timedelta(hours=2))
    ingest_openmetrics([odd], "odd", load_settings(), start=T0, end=T0 + timedelta(hours=2))
    rows = dump(load_settings())
    # the unusual line adds at most a series of its own; the known cluster's rows are equal
    for table in ("container_hours", "k8s_pods", "pvc_hours", "gpu_hours"):
        assert [r[1:] for r in rows[table] if r[0] == "odd" and r[1] != "q"] == [
            r[1:] for r in rows[table] if r[0] == "clean"
        ], table


def test_later_of_two_samples_at_one_timestamp_wins(tmp_path: Path) -> None:
    """Both readers: web-abc-1's working set at 10:00 written twice, 200 MiB then 900 MiB
    further down the file → 10:00 sees 900 MiB (the line reader's rule: the later line
    wins). Hour 10: points 10:00 … 10:55 = 900, then 11 × 200 MiB → mean (900 + 2200)/12."""
    path = tmp_path / "dup.om"
    lines = write(tmp_path / "c.om").read_text().splitlines()
    dup = (
        'container_memory_working_set_bytes{namespace="shop",pod="web-abc-1",'
        f'container="app",node="node-a"}} {900 * MIB!r} {T0_S}'
    )
    path.write_text("\n".join([*lines[:-1], dup, lines[-1]]) + "\n")
    with SampleStore.create() as store, pytest.raises(Unsure):
        store.read_file(path, _WANTED, _parse_labels)
        store.check_ties()
    ingest_openmetrics([path], "c1", load_settings(), start=T0, end=T0 + timedelta(hours=2))
    web10 = next(
        r for r in dump(load_settings())["container_hours"] if r[2] == "web-abc-1" and r[5] == T0
    )
    assert (web10[13], web10[14]) == (
        pytest.approx((900 + 11 * 200) * MIB / 12, rel=1e-12),
        900 * MIB,
    )


def _samples(store: SampleStore) -> list[tuple[object, ...]]:
    sids, ts, vs = store.samples()
    return sorted(
        zip([store.keys[s] for s in sids.tolist()], ts.tolist(), vs.tolist(), strict=True)
    )


_FAST, _SLOW = True, False


@pytest.mark.parametrize(
    ("line", "fast_path"),
    [
        ('kube_node_info{node="b c"} 1 1790848800', _FAST),  # spaces inside a label value
        ('kube_node_info{node="b  c"} 1 1790848800', _FAST),
        ('kube_node_info{node="a b c d e"} 2 1790848800', _FAST),  # five: the most it splits
        ('kube_node_info{node="a b c d e f"} 2 1790848800', _SLOW),
        ('kube_node_info{node="b # c"} 1 1790848800', _SLOW),  # the line reader cuts at " # "
        ('kube_node_info{node="b"} 1 1790848800 # {x="y"} 1', _SLOW),
        ('kube_node_info{node="b"}  1 1790848800', _SLOW),
        (' kube_node_info{node="b"} 1 1790848800', _SLOW),
        ('kube_node_info{node="b"} 1 1790848800 ', _SLOW),
        ('kube_node_info{node="b"}\t1 1790848800', _SLOW),
        ('kube_node_info{node="b"} 1\t1790848800', _SLOW),
        ('kube_node_info{node="b"} 1 1790848800\t', _FAST),
        ('kube_node_info{node="b"} 1', _SLOW),  # no timestamp: an error
        ('kube_node_info{node="x"} \x02 1790848800', _SLOW),  # the reader's NULL marker
        ('kube_node_info{node="\x02"} 2 1790848800', _FAST),
        ('kube_node_info{node="b"}x 1 1790848800', _SLOW),
        ('kube_node_info{node="}"} 1 1790848800', _FAST),
        ('kube_node_info{node="b c"} 1 1790848800 1', _SLOW),
        ("kube_node_info 1 1790848800", _FAST),
        ('kube_node_info{node="b",} 1_0 1790848800', _FAST),
        ('kube_node_info{node="b"} NaN 1790848800', _FAST),
        ("other 1", _SLOW),
        ("", _FAST),
        ("   ", _SLOW),
        ("# EOF", _FAST),
        ("# EOF ", _FAST),
        ("# EOF\t", _FAST),
        ("# EOF x", _SLOW),
        ("#EOF", _FAST),
    ],
)
def test_fast_reader_reads_a_line_as_the_line_reader_or_declines(
    tmp_path: Path, line: str, fast_path: bool
) -> None:
    """The set-based reader either loads exactly the samples, and the time scale
    ("# EOF" → seconds, else milliseconds), of the line reader, or gives up (Unsure);
    where the line reader rejects the file it must give up. Which lines it takes on
    itself is part of the contract (spaces in label values must not cost the fast path).
    """
    path = tmp_path / "edge.om"
    text = 'kube_node_info{node="a"} 1 1790848800\n' + line + "\n"
    text += 'kube_node_info{node="z"} 1 1790848800\n'
    if line.strip() != "# EOF":  # Prometheus text format: times in milliseconds
        text = text.replace("1790848800", "1790848800000")
    path.write_text(text)
    want: list[tuple[object, ...]] | None = None
    try:
        with exact_samples([path]) as exact:
            want = _samples(exact)
    except ImportFileError:
        pass
    got: list[tuple[object, ...]] | None = None
    with SampleStore.create() as fast:
        try:
            fast.read_file(path, _WANTED, _parse_labels)
            fast.finish()
            got = _samples(fast)
        except Unsure:
            pass
    assert (got is not None) == fast_path
    if fast_path:
        assert want is not None and got == want


@pytest.mark.parametrize(
    "stamps",
    [
        ([10.0, 20.0, 30.0], [15.0, 25.0]),  # whole seconds: kept as int32 offsets
        ([10.0, 20.0, 30.0], [15.5, 25.0]),  # a fraction: kept as doubles
    ],
)
def test_window_is_the_samples_between_its_bounds(stamps: tuple[list[float], list[float]]) -> None:
    """Both stores answer window(12, 25) with a's sample at 20 and b's at 15(.5) and 25
    (bounds inclusive), sorted by series then time, timestamps exact."""
    a, b = stamps
    with SampleStore.create() as store:
        store.add_sorted(
            [("m", (("s", "a"),)), ("m", (("s", "b"),))],
            [3, 2],
            np.array(a + b),
            np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        )
        store.finish()
        sid, ts, vs = store.window(12.0, 25.0)
        assert (sid.tolist(), ts.tolist(), vs.tolist()) == (
            [0, 1, 1],
            [20.0, b[0], 25.0],
            [2.0, 4.0, 5.0],
        )
        assert store.count() == 5


def _labels_one_by_one(text: str) -> tuple[tuple[str, str], ...] | None:
    """The label rule as first written: one pair after another from the start; None
    where it fails."""
    labels, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _LABEL_RE.match(text, pos)
        if not m:
            return None
        labels.append((m[1], _unescape(m[2])))
        pos = m.end()
    return tuple(sorted(labels))


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(list('ab_=",\\ n\t{}1')), max_size=24).map("".join))
def test_label_parsing_in_one_pass_equals_pair_by_pair(text: str) -> None:
    try:
        got: tuple[tuple[str, str], ...] | None = _parse_labels(text, "f.om", 3)
    except ImportFileError:
        got = None
    assert got == _labels_one_by_one(text)


def test_chunk_series_reads_as_the_series_mapping() -> None:
    """A ChunkSeries is the {metric: [series]} mapping the rules take: series 0 and 2 of
    metric "b" (ids sorted), series 1 of "a"; each series' points as (k, value) arrays,
    and its arrays per metric sorted by series then k."""
    table = SeriesTable([("b", (("x", "0"),)), ("a", (("x", "1"),)), ("b", (("x", "2"),))])
    chunk = ChunkSeries(
        table,
        np.array([0, 0, 1, 2], dtype=np.int32),
        np.array([0, 1, 0, 1]),
        np.array([1.0, 2.0, 3.0, 4.0]),
    )
    assert sorted(chunk) == ["a", "b"] and chunk.counts() == {"a": 1, "b": 2}
    assert [[(s.labels, s.points) for s in group] for group in chunk.values()] == [
        [({"x": "1"}, {0: 3.0})],
        [({"x": "0"}, {0: 1.0, 1: 2.0}), ({"x": "2"}, {1: 4.0})],
    ]
    sid, ks, vs = chunk.points("b")
    assert (sid.tolist(), ks.tolist(), vs.tolist()) == ([0, 0, 2], [0, 1, 1], [1.0, 2.0, 4.0])
