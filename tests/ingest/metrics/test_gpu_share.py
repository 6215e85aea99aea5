"""One definition of a GPU (issue 10, defect 3): node capacity and pod shares in physical
GPUs, used by allocation, the GPU tool, idle-GPU detection and rightsizing.

Before: a p4d with one of its eight A100s MIG-split reported ``nvidia.com/gpu: 7`` and
``nvidia.com/mig-1g.5gb: 7`` (the device plugin's "mixed" strategy), allocation counted 7
GPUs while DCGM showed 8 devices' worth, so the GPU tool priced 8 GPUs at the 7-GPU ratio
price and its rows summed to more than the GPU cost the bill paid.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.ingest.metrics.containers import container_rows, node_hour_rows
from assistant.ingest.metrics.gpu_share import gpu_units, mig_fraction, node_gpus
from assistant.ingest.metrics.series import Grid, GridSeries
from assistant.ingest.metrics.store import apply_time_slicing
from assistant.rightsizing.gpu import gpu_utilization
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window
from tests.demo_warehouse import demo_copy, truths

H10 = datetime(2026, 10, 1, 10)
GRID = Grid(H10, datetime(2026, 10, 1, 11), 300)


def _every(value: float) -> dict[int, float]:
    return dict.fromkeys(range(13), value)


def test_mixed_mig_node_counts_every_physical_gpu() -> None:
    node = {"node": "gpu-a100"}
    rows = node_hour_rows(
        {
            "kube_node_info": [GridSeries("i", node, _every(1))],
            "kube_node_status_capacity": [
                GridSeries("c", node | {"resource": "cpu"}, _every(96)),
                GridSeries("c", node | {"resource": "memory"}, _every(1.0)),
                GridSeries("c", node | {"resource": "nvidia_com_gpu"}, _every(7)),
                GridSeries("c", node | {"resource": "nvidia_com_mig_1g_5gb"}, _every(7)),
            ],
        },
        GRID,
    )
    # 7 whole GPUs + 7 × 1/7 (seven 1g.5gb instances are one A100) = 8
    assert rows[0]["gpu_count"] == pytest.approx(8.0, abs=1e-12)


@pytest.mark.parametrize(
    ("resource", "units"),
    [
        ("nvidia_com_gpu", 1.0),
        ("nvidia_com_mig_1g_5gb", 1 / 7),  # A100-40GB
        ("nvidia_com_mig_3g_40gb", 3 / 7),  # A100-80GB / H100
        ("nvidia_com_mig_7g_80gb", 1.0),
        ("nvidia_com_mig_1g_6gb", 1 / 4),  # A30: 24 GB in 4 slices of 6 GB
        ("nvidia_com_mig_2g_12gb", 2 / 4),
        ("nvidia_com_mig_4g_24gb", 1.0),
        ("cpu", None),
    ],
)
def test_resource_units_and_dcgm_profiles_agree(resource: str, units: float | None) -> None:
    assert gpu_units(resource) == units
    if units is not None and resource != "nvidia_com_gpu":
        # DCGM names the same instance GPU_I_PROFILE "3g.40gb": the same share
        profile = resource.removeprefix("nvidia_com_mig_").replace("_", ".", 1)
        assert mig_fraction(profile) == units


def test_a30_without_a_model_name_is_still_four_slices() -> None:
    # before, gpu_units assumed 7 slices for every MIG resource while DCGM's share
    # used 4 on an A30: a 2g.12gb instance was 2/7 in allocation and 2/4 in the GPU tool
    assert gpu_units("nvidia_com_mig_2g_12gb") == mig_fraction("2g.12gb", "NVIDIA A30") == 0.5


def test_pod_shares_sum_to_node_capacity_on_a_full_mig_gpu() -> None:
    # seven pods each requesting one 1g.5gb instance hold exactly the one split GPU
    series = {
        "kube_pod_container_status_running": [],
        "kube_pod_container_resource_requests": [],
    }
    for i in range(7):
        labels = {"namespace": "ml", "pod": f"emb-{i}", "container": "c", "node": "gpu-a100"}
        series["kube_pod_container_status_running"].append(GridSeries("r", labels, _every(1)))
        series["kube_pod_container_resource_requests"].append(
            GridSeries("q", labels | {"resource": "nvidia_com_mig_1g_5gb"}, _every(1))
        )
    rows = container_rows(series, GRID, {})
    assert sum(r["gpu_request"] for r in rows) == pytest.approx(
        node_gpus({"nvidia_com_mig_1g_5gb": 7}), abs=1e-12
    )


def test_time_slicing_divides_capacity_and_requests_by_replicas(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, db=tmp_path / "p.duckdb")
    with writer(settings) as con:
        con.execute(
            "INSERT INTO k8s_nodes (cluster, node, labels, ingest_id) VALUES "
            "('c', 'ts', '{\"nvidia.com/gpu.replicas\": \"4\"}', 'i1'), ('c', 'plain', NULL, 'i1')"
        )
        for node, count in (("ts", 8.0), ("plain", 2.0)):  # ts: 2 GPUs advertised × 4
            con.execute(
                "INSERT INTO node_hours VALUES ('c', ?, ?, 1.0, 8, 1e9, ?, 'i1')",
                [node, H10, count],
            )
            con.execute(
                "INSERT INTO container_hours (cluster, namespace, pod, container, node, hour,"
                " running_hours, gpu_request, ingest_id) VALUES ('c', 'ml', ?, 'c', ?, ?, 1.0,"
                " 1.0, 'i1')",
                [f"p-{node}", node, H10],
            )
        apply_time_slicing(con, "c", "i1")
        got = con.execute("SELECT node, gpu_count FROM node_hours ORDER BY node").fetchall()
        req = con.execute("SELECT node, gpu_request FROM container_hours ORDER BY node").fetchall()
    # 8 advertised / 4 replicas = 2 physical GPUs; a pod asking for 1 holds 1/4 of one
    assert got == [("plain", 2.0), ("ts", 2.0)]
    assert req == [("plain", 1.0), ("ts", 0.25)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(tmp_path_factory, "gpu-share")


def test_demo_mig_node_has_eight_gpus_and_gpu_rows_add_up(demo: Path) -> None:
    facts = truths(demo)
    mig_node = facts["mig"]["node"]
    settings = load_settings(home=demo, db=demo / "penny.duckdb", now="2026-11-20T00:00:00Z")
    month = month_window(2026, 11)
    with reader(settings) as con:
        gpus = con.execute(
            "SELECT DISTINCT gpu_count FROM node_hours WHERE node = ?", [mig_node]
        ).fetchall()
        alloc = con.execute(
            "SELECT sum(gpu_cost), sum(gpu_cost) FILTER (WHERE node = ?) FROM allocations"
            " WHERE hour >= ? AND hour < ? AND price_source = 'bill'",
            [mig_node, month.start, month.end],
        ).fetchone()
        rows = gpu_utilization(
            con, window=month, by="node", scope=Scope.everything(), settings=settings
        )
        by_workload = gpu_utilization(
            con, window=month, by="workload", scope=Scope.everything(), settings=settings
        )
    assert gpus == [(8.0,)]  # p4d.24xlarge: 7 whole A100s + one split into 7 × 1g.5gb
    cluster = facts["clusters"][0]["name"]
    node_row = next(r for r in rows if r["node"] == f"{cluster}/{mig_node}")
    # the GPU tool's cost of the node = the node's GPU cost in the allocation (to 1e-6)
    assert abs(node_row["cost"] - alloc[1]) < Decimal("0.000001") * 2
    # and every grouping adds up to the allocation's GPU cost, never more
    for grouping in (rows, by_workload):
        assert abs(sum(r["cost"] for r in grouping) - alloc[0]) < Decimal("0.00001")
