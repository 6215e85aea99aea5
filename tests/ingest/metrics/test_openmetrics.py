"""ingest_openmetrics end to end on the known cluster of cluster_file.py (see its docstring).

Window 10:00–12:00, step 5m: 12 points per hour, each 5 minutes.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import DataGap, ImportFileError
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.warehouse.db import reader

from .cluster_file import GIB, MIB, T0, dump, write

H10, H11, END = T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)


@pytest.fixture
def cluster_om(tmp_path: Path) -> Path:
    return write(tmp_path / "cluster.om")


def _ingest(path: Path, cluster: str = "c1", **kw: object):  # type: ignore[no-untyped-def]
    return ingest_openmetrics([path], cluster, load_settings(), start=H10, end=END, **kw)


def test_container_hours_exact(cluster_om: Path) -> None:
    report = _ingest(cluster_om)
    rows = {(r[2], r[5]): r for r in dump(load_settings())["container_hours"]}
    assert set(rows) == {("report-1-xyz", H10), ("web-abc-1", H10), ("web-abc-1", H11)}
    cols = (
        "running",
        "cpu_req",
        "cpu_lim",
        "cpu_use",
        "cpu_max",
        "ram_req",
        "ram_lim",
        "ram_use",
        "ram_max",
        "gpu",
        "restarts",
        "ooms",
    )

    def pick(key: tuple[str, datetime]) -> dict[str, object]:
        return dict(zip(cols, rows[key][6:], strict=True))

    web10, web11, job = (
        pick(("web-abc-1", H10)),
        pick(("web-abc-1", H11)),
        pick(("report-1-xyz", H10)),
    )
    # web 10:00: request 0.5 for 6 points, 1.0 for 6 → 0.75; counter +75 s / 300 s = 0.25.
    assert web10 == {
        "running": 1.0,
        "cpu_req": 0.75,
        "cpu_lim": 2.0,
        "cpu_use": 0.25,
        "cpu_max": 0.25,
        "ram_req": GIB,
        "ram_lim": None,
        "ram_use": 200 * MIB,
        "ram_max": 200 * MIB,
        "gpu": None,
        "restarts": 0,
        "ooms": 0,
    }
    # web 11:00: restart at 11:30 → interval 11:25–11:30 goes 1275 → 5 (reset) = 5 s,
    # i.e. 5/300 cores; other 11 intervals 0.25 → (11·0.25 + 5/300)/12.
    # working set 300 MiB for 6 points, 500 MiB for 6 → 400 MiB mean, 500 max.
    assert web11["cpu_use"] == pytest.approx((11 * 0.25 + 5 / 300) / 12, rel=1e-12)
    assert (
        web11["cpu_req"],
        web11["ram_use"],
        web11["ram_max"],
        web11["restarts"],
        web11["ooms"],
    ) == (1.0, 400 * MIB, 500 * MIB, 1, 1)
    # report job: running 10:00–10:29 → points 10:00..10:25 = 6/12 = 0.5. Its counter
    # (+60 s/min) ends at 10:29; 10:30 still sees that sample (lookback): five intervals
    # of 300 s/300 s = 1.0 and one of (1740 − 1500)/300 = 0.8 → mean 5.8/6.
    assert job["running"] == 0.5
    assert job["cpu_use"] == pytest.approx(5.8 / 6, rel=1e-12)
    assert (job["cpu_req"], job["ram_req"], job["cpu_max"]) == (2.0, 4 * GIB, 1.0)
    assert report.rows["container_hours"] == 3
    assert report.missing_optional == []


def test_inventory_and_attachments_exact(cluster_om: Path) -> None:
    _ingest(cluster_om)
    d = dump(load_settings())
    assert d["k8s_nodes"] == [
        (
            "c1",
            "node-a",
            "aws:///us-east-1a/i-0abc123",
            "i-0abc123",
            "m5.xlarge",
            "us-east-1",
            "us-east-1a",
            "spot",
            '{"karpenter.sh/capacity-type": "spot", "node.kubernetes.io/instance-type": '
            '"m5.xlarge", "topology.kubernetes.io/region": "us-east-1", '
            '"topology.kubernetes.io/zone": "us-east-1a"}',
            H10,
            END,
        )
    ]
    assert d["node_hours"] == [("c1", "node-a", h, 1.0, 4.0, 16.0 * GIB, 2.0) for h in (H10, H11)]
    assert [(p[2], p[5], p[6], p[7], p[8]) for p in d["k8s_pods"]] == [
        ("report-1-xyz", "Job", "report-1", "CronJob", "report"),
        ("web-abc-1", "ReplicaSet", "web-abc", "Deployment", "web"),
    ]
    assert d["k8s_pvs"] == [("c1", "pv-1", "vol-0123", "gp3", 10.0 * GIB)]
    assert d["pvc_hours"] == [
        ("c1", "shop", "data-web", "pv-1", "gp3", h, 1.0, 10.0 * GIB) for h in (H10, H11)
    ]
    assert d["pod_pvc_hours"] == [
        ("c1", "shop", "web-abc-1", "data-web", h, 1.0) for h in (H10, H11)
    ]
    assert d["service_hours"] == [
        ("c1", "shop", "web", "LoadBalancer", "web.elb.example", h, 1.0) for h in (H10, H11)
    ]
    assert d["service_pod_hours"] == [
        ("c1", "shop", "web", "web-abc-1", h, 1.0) for h in (H10, H11)
    ]
    assert d["k8s_hpas"] == [("c1", "shop", "web", "Deployment", "web", 2, 10, "cpu", 70.0, END)]
    # MIG 1g.5gb = 1/7 of the A100; GPU-2 time-sliced by two notebooks → 1/2 each.
    assert [(g[2], g[4], g[5], g[7], g[10], g[11]) for g in d["gpu_hours"] if g[9] == H10] == [
        ("GPU-1/7", "1g.5gb", 1 / 7, "infer-1", 12, None),
        ("GPU-2", None, 0.5, "nb-1", 12, 10.0),
        ("GPU-2", None, 0.5, "nb-2", 12, 30.0),
    ]


def test_reingest_overlapping_window_replaces_hours(cluster_om: Path) -> None:
    _ingest(cluster_om)
    first = dump(load_settings())
    # The 11:00 hour again (overlaps): same rows, nothing doubled, new ingest id on it.
    ingest_openmetrics([cluster_om], "c1", load_settings(), start=H11, end=END)
    assert dump(load_settings()) == first
    with reader(load_settings()) as con:
        ids = con.execute(
            "SELECT hour, count(DISTINCT ingest_id) FROM container_hours "
            "GROUP BY hour ORDER BY hour"
        ).fetchall()
        runs = con.execute("SELECT count(*) FROM ingest_log WHERE kind='openmetrics'").fetchone()
    assert ids == [(H10, 1), (H11, 1)] and runs == (2,)


def test_other_cluster_is_untouched(cluster_om: Path) -> None:
    _ingest(cluster_om, "c1")
    _ingest(cluster_om, "c2")
    with reader(load_settings()) as con:
        counts = con.execute(
            "SELECT cluster, count(*) FROM container_hours GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert counts == [("c1", 3), ("c2", 3)]


def test_prometheus_text_format_in_ms_and_gzip_give_same_rows(tmp_path: Path) -> None:
    _ingest(write(tmp_path / "a.om"), "c1")
    text = tmp_path / "b.prom.gz"
    write(tmp_path / "b.prom", openmetrics=False)
    text.write_bytes(gzip.compress((tmp_path / "b.prom").read_bytes()))
    _ingest(text, "c2")
    d = dump(load_settings())
    for table, rows in d.items():
        c1 = [r[1:] for r in rows if r[0] == "c1"]
        assert c1 == [r[1:] for r in rows if r[0] == "c2"], table
        assert c1, table


def test_window_inferred_from_file(cluster_om: Path) -> None:
    # Samples 10:00 … 12:00 → hours [10:00, 13:00). The last sample (12:00) is seen by
    # the points 12:00 and 12:05 (5 minutes of lookback, inclusive) → 2/12 of hour 12.
    report = ingest_openmetrics([cluster_om], "c1", load_settings())
    assert (report.window_start, report.window_end) == (H10, END + timedelta(hours=1))
    assert ("c1", "node-a", END, 2 / 12, 4.0, 16.0 * GIB, 2.0) in dump(load_settings())[
        "node_hours"
    ]


def test_bad_line_names_file_and_row_and_leaves_db_unchanged(
    cluster_om: Path, tmp_path: Path
) -> None:
    _ingest(cluster_om)
    before = dump(load_settings())
    bad = tmp_path / "bad.om"
    lines = cluster_om.read_text().splitlines()
    lines.insert(5, 'kube_pod_info{namespace="x",pod=} 1 1759312800')
    bad.write_text("\n".join(lines))
    with pytest.raises(ImportFileError) as info:
        _ingest(bad)
    assert (info.value.file, info.value.row) == (str(bad), 6)
    assert dump(load_settings()) == before


def test_sample_without_timestamp_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "nots.om"
    path.write_text('kube_node_info{node="n"} 1\n# EOF\n')
    with pytest.raises(ImportFileError, match="no timestamp") as info:
        ingest_openmetrics([path], "c1", load_settings())
    assert info.value.row == 1


def test_missing_required_metrics_is_a_data_gap_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nodes-only.om"
    path.write_text('kube_node_info{node="n",provider_id="aws:///z/i-1"} 1 1759312800\n# EOF\n')
    with pytest.raises(DataGap) as info:
        ingest_openmetrics([path], "c1", load_settings())
    assert "kube_pod_info" in info.value.context["missing"]
    assert "kube_node_info" not in info.value.context["missing"]
    with reader(load_settings()) as con:
        assert con.execute("SELECT count(*) FROM k8s_nodes").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)


def test_absent_dcgm_is_reported_not_an_error(tmp_path: Path, cluster_om: Path) -> None:
    no_gpu = tmp_path / "nogpu.om"
    no_gpu.write_text(
        "\n".join(line for line in cluster_om.read_text().splitlines() if "DCGM" not in line) + "\n"
    )
    report = _ingest(no_gpu)
    assert report.rows["gpu_hours"] == 0
    assert "DCGM_FI_DEV_GPU_UTIL" in report.missing_optional
    assert any("No DCGM" in note for note in report.notes)
