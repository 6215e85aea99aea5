"""Hourly rows go through Parquet files before the writer's transaction inserts them.

The stage exists for memory (rows appended chunk by chunk to an open DuckDB transaction
stay in memory until COMMIT; see ``row_stage``), so it must change nothing else: the
rows it inserts are the rows a direct insert stores, NULLs included, even when a column
is all NULL in one chunk and text in the next, and it leaves no file behind, whether
the ingest commits or fails.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.ingest.metrics.row_stage import RowStage
from assistant.ingest.metrics.rows import COLUMNS, HOURLY_TABLES, MetricsRows
from assistant.ingest.metrics.store import _column_types, write_rows
from assistant.warehouse.db import writer

from .cluster_file import dump, write

H10, H11 = datetime(2026, 10, 1, 10), datetime(2026, 10, 1, 11)


def _container_columns(node: list[str | None], restarts: list[float], hour: datetime) -> dict:
    """Two containers' numpy columns as the mapping makes them (NaN = NULL)."""
    n = len(node)
    cols: dict[str, np.ndarray] = {
        "namespace": np.array(["shop"] * n, dtype=object),
        "pod": np.array([f"web-{i}" for i in range(n)], dtype=object),
        "container": np.array(["app"] * n, dtype=object),
        "node": np.array(node, dtype=object),
        "hour": np.array([np.datetime64(hour, "us")] * n),
        "running_hours": np.ones(n),
        "restarts": np.array(restarts),
        "oom_kills": np.full(n, np.nan),
    }
    for c in COLUMNS["container_hours"]:
        cols.setdefault(c, np.full(n, 0.25))
    return cols


def _chunks() -> list[MetricsRows]:
    """Chunk 1: no container has a node, no restart counter (all NULL); chunk 2: both
    have them. node_hours as row dicts with a NULL gpu_count."""
    first, second = MetricsRows(), MetricsRows()
    first.add_columns("container_hours", _container_columns([None, None], [np.nan] * 2, H10))
    second.add_columns("container_hours", _container_columns(["n1", "n2"], [0.0, 3.0], H11))
    node = {"node": "n1", "running_hours": 1.0, "cpu_cores": 4.0, "ram_bytes": 2.0**34}
    first.add("node_hours", [{**node, "hour": H10, "gpu_count": None}])
    second.add("node_hours", [{**node, "hour": H11, "gpu_count": 1.0}])
    return [first, second]


def _stored(home: Path, staged: bool) -> dict[str, list[tuple[object, ...]]]:
    home.mkdir()
    settings = load_settings(home=home, db=home / "penny.duckdb")
    with writer(settings) as con:
        types = {t: _column_types(con, t) for t in COLUMNS}
        if staged:
            with RowStage(types) as stage:
                for rows in _chunks():
                    stage.add(rows, HOURLY_TABLES)
                stage.insert_into(con, "c", "run-1")
        else:
            for rows in _chunks():
                write_rows(con, "c", "run-1", rows, types=types)
    return dump(settings)


def test_staged_rows_are_the_rows_a_direct_insert_stores(tmp_path: Path) -> None:
    """Same chunks, staged or inserted directly: every m003 table identical, and the
    NULLs of chunk 1 (node, restarts, gpu_count) still NULL next to chunk 2's values."""
    direct = _stored(tmp_path / "direct", staged=False)
    staged = _stored(tmp_path / "staged", staged=True)
    assert staged == direct
    containers = [(r[2], r[4], r[5], r[16]) for r in staged["container_hours"]]
    assert containers == [  # dump's ORDER BY ALL puts NULLs last
        ("web-0", "n1", H11, 0),
        ("web-0", None, H10, None),
        ("web-1", "n2", H11, 3),
        ("web-1", None, H10, None),
    ]
    assert [(r[2], r[6]) for r in staged["node_hours"]] == [(H10, None), (H11, 1.0)]


def _left_behind(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("penny-rows-"))


def test_the_stage_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A committed ingest and one that fails after its chunks were staged (a required
    metric is absent from the file) both remove the stage's directory; the failed one
    stores nothing."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    path = write(tmp_path / "c.om")
    home = tmp_path / "home"
    home.mkdir()
    settings = load_settings(home=home, db=home / "penny.duckdb")
    ingest_openmetrics([path], "c", settings)
    assert len(dump(settings)["container_hours"]) == 4
    assert _left_behind(tmp) == []

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    no_pods = tmp_path / "no-pods.om"
    no_pods.write_text("".join(x for x in lines if "kube_pod_info" not in x), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    failed = load_settings(home=other, db=other / "penny.duckdb")
    with pytest.raises(Exception, match="kube_pod_info"):
        ingest_openmetrics([no_pods], "c", failed)
    assert _left_behind(tmp) == []
    with writer(failed) as con:
        assert con.execute("SELECT count(*) FROM container_hours").fetchall() == [(0,)]
