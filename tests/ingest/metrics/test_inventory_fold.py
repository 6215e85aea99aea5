"""Inventory rows folded in Python, then upserted once, leave what per-chunk upserts left.

The rule (``metrics_store.write_rows``' ``ON CONFLICT DO UPDATE``): ``first_seen`` the
least, ``last_seen`` the greatest, every other column from the row with the newer
``last_seen`` (a tie goes to the later row, a NULL is never newer); tables without
``last_seen`` take the later row whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.metrics.fold import InventoryFold, fold_row
from assistant.ingest.metrics.rows import COLUMNS, MetricsRows
from assistant.ingest.metrics.store import _KEYS, write_rows
from assistant.warehouse.migrations import migrate

T0 = datetime(2026, 10, 1)


def _h(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def _pod(pod: str, node: str | None, first: int | None, last: int | None) -> dict[str, Any]:
    return {
        "namespace": "web",
        "pod": pod,
        "uid": f"uid-{pod}",
        "node": node,
        "owner_kind": "ReplicaSet",
        "owner_name": "web-7d9f",
        "controller_kind": "Deployment",
        "controller_name": "web",
        "labels": '{"app": "web"}',
        "first_seen": None if first is None else _h(first),
        "last_seen": None if last is None else _h(last),
    }


def test_pod_moved_to_another_node_keeps_newest_node_and_widest_span() -> None:
    # chunk 1 saw the pod on node-a at hours 0..5, chunk 2 on node-b at hours 6..9:
    # first_seen = min(0, 6) = 0, last_seen = max(5, 9) = 9, node from the newer row (9 ≥ 5)
    merged = fold_row(_pod("p", "node-a", 0, 5), _pod("p", "node-b", 6, 9))
    assert (merged["node"], merged["first_seen"], merged["last_seen"]) == ("node-b", _h(0), _h(9))


def test_older_window_widens_span_but_keeps_newer_attributes() -> None:
    # a re-ingest of an older window (hours 1..3 on node-old) after hours 10..20 on node-new:
    # 3 < 20, so attributes stay node-new; span becomes [min(10, 1), max(20, 3)] = [1, 20]
    merged = fold_row(_pod("p", "node-new", 10, 20), _pod("p", "node-old", 1, 3))
    assert (merged["node"], merged["first_seen"], merged["last_seen"]) == (
        "node-new",
        _h(1),
        _h(20),
    )


def test_tie_goes_to_later_row_and_null_first_seen_is_skipped() -> None:
    assert fold_row(_pod("p", "a", 0, 4), _pod("p", "b", 2, 4))["node"] == "b"  # 4 >= 4
    # SQL least() skips NULL: least(NULL, 3) = 3
    merged = fold_row(_pod("p", "a", None, 4), _pod("p", "b", 3, 7))
    assert (merged["node"], merged["first_seen"], merged["last_seen"]) == ("b", _h(3), _h(7))


def test_null_last_seen_is_refused() -> None:
    # whether such a row survives depends on what the warehouse held: not foldable
    with pytest.raises(ValueError, match="without last_seen"):
        fold_row(_pod("p", "a", 0, 4), _pod("p", "b", 2, None))


def test_table_without_last_seen_takes_later_row() -> None:
    old = {"pv": "pv-1", "volume_id": "vol-1", "storage_class": "gp2", "capacity_bytes": 1.0}
    new = {"pv": "pv-1", "volume_id": "vol-1", "storage_class": "gp3", "capacity_bytes": None}
    assert fold_row(old, new) == new


_CONS: list[duckdb.DuckDBPyConnection] = []


def _cons() -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    """Two migrated in-memory warehouses, made once, emptied for each example."""
    if not _CONS:
        for _ in range(2):
            con = duckdb.connect()
            migrate(con)
            _CONS.append(con)
    for con in _CONS:
        for table in _KEYS:
            con.execute(f"DELETE FROM {table}")
    return _CONS[0], _CONS[1]


def _dump(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: con.execute(
            f"SELECT cluster, {', '.join(COLUMNS[t])}, ingest_id FROM {t} ORDER BY ALL"
        ).fetchall()
        for t in _KEYS
    }


_hour = st.integers(0, 30)
_pods = st.builds(
    lambda pod, node, first, last: _pod(
        pod, node, None if first is None else min(first, last), last
    ),
    st.sampled_from(["p0", "p1", "p2"]),
    st.sampled_from([None, "n0", "n1"]),
    st.one_of(st.none(), _hour),
    _hour,
)
_hpas = st.builds(
    lambda hpa, mx, last: {
        "namespace": "web",
        "hpa": hpa,
        "target_kind": "Deployment",
        "target_name": "web",
        "min_replicas": 1,
        "max_replicas": mx,
        "metric_name": "cpu",
        "target_utilization": 70.0,
        "last_seen": _h(last),
    },
    st.sampled_from(["h0", "h1"]),
    st.integers(2, 9),
    _hour,
)
_pvs = st.builds(
    lambda pv, cap: {
        "pv": pv,
        "volume_id": f"vol-{pv}",
        "storage_class": "gp3",
        "capacity_bytes": cap,
    },
    st.sampled_from(["v0", "v1"]),
    st.one_of(st.none(), st.sampled_from([1.0, 2.5])),
)


def _unique(rows: list[dict[str, Any]], key: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per key in a chunk, as the mapping gives (``_latest`` per object)."""
    return list({tuple(r[c] for c in key): r for r in rows}.values())


_chunk = st.fixed_dictionaries(
    {
        "k8s_pods": st.lists(_pods, max_size=4).map(lambda r: _unique(r, _KEYS["k8s_pods"])),
        "k8s_hpas": st.lists(_hpas, max_size=3).map(lambda r: _unique(r, _KEYS["k8s_hpas"])),
        "k8s_pvs": st.lists(_pvs, max_size=3).map(lambda r: _unique(r, _KEYS["k8s_pvs"])),
    }
)


def _rows(chunk: dict[str, list[dict[str, Any]]]) -> MetricsRows:
    rows = MetricsRows()
    for table, table_rows in chunk.items():
        rows.add(table, table_rows)
    return rows


@settings(max_examples=60, deadline=None)
@given(before=st.lists(_chunk, max_size=2), chunks=st.lists(_chunk, min_size=1, max_size=5))
def test_fold_then_one_upsert_equals_upsert_per_chunk(
    before: list[dict[str, list[dict[str, Any]]]], chunks: list[dict[str, list[dict[str, Any]]]]
) -> None:
    """Whatever an earlier ingest left (``before``), folding this ingest's chunks and
    upserting once gives the same tables as upserting chunk after chunk."""
    per_chunk, folded = _cons()
    for con in (per_chunk, folded):
        for chunk in before:
            write_rows(con, "c1", "earlier", _rows(chunk))
    for chunk in chunks:
        write_rows(per_chunk, "c1", "this", _rows(chunk))
    fold = InventoryFold(_KEYS)
    for chunk in chunks:
        for table, table_rows in chunk.items():
            fold.add(table, table_rows)
    write_rows(folded, "c1", "this", _rows({t: fold.table_rows(t) for t in _KEYS}))
    assert _dump(folded) == _dump(per_chunk)
