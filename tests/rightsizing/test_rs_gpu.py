"""Idle GPU detection on planted series: an idle notebook found, a busy training job
with short gaps not flagged, a MIG slice charged by its share."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.rightsizing.gpu import gpu_utilization, idle_gpus
from assistant.windows import Window
from tests.rightsizing.rs_fixtures import NOW, Warehouse, plant_gpus

WINDOW = Window(NOW - timedelta(days=1), NOW)


def test_idle_notebook_found_training_job_not(wh: Warehouse, settings: Settings) -> None:
    plant_gpus(wh)
    found = idle_gpus(wh.con, window=WINDOW, scope=Scope.everything(), settings=settings)
    assert [(g.node, g.gpu, g.pod) for g in found] == [
        ("g1", "0", "notebook-0"),
        ("g2", "0-mig-1", "infer-0"),
    ]
    nb = found[0]
    assert nb.workload == "ml/StatefulSet/notebook" and nb.team == "research"
    assert nb.signal == "engine_active" and nb.avg_idle_activity_pct == 1.0
    # 10 idle hours × 1 GPU × $2.00 = $20.00
    assert (nb.idle_hours, nb.idle_gpu_hours, nb.idle_cost) == (10, 10.0, Decimal("20.0"))
    # 60 W idle ≤ 0.5 × 350 W (busy A100s in the window) → power confirms
    assert nb.busy_power_watts == 350.0 and nb.power_confirms is True
    mig = found[1]
    # util fallback (no profiling metrics); 6 h × 1/7 GPU × $3.50 = $3.00
    assert mig.signal == "util" and mig.mig_profile == "1g.5gb"
    assert mig.idle_gpu_hours == pytest.approx(6 / 7, abs=1e-6)
    assert mig.idle_cost.quantize(Decimal("0.01")) == Decimal("3.00")
    assert mig.power_confirms is None  # no power reading
    assert nb.to_dict()["idle_cost"] == "20.00"


def test_threshold_and_min_hours_are_settings(wh: Warehouse) -> None:
    plant_gpus(wh)
    strict = load_settings(
        now=NOW, rightsizing={"gpu_idle_min_hours": 2, "gpu_idle_threshold_pct": 7.0}
    )
    found = idle_gpus(wh.con, window=WINDOW, scope=Scope.everything(), settings=strict)
    # the training job's 2-hour gap now counts, and the 6% slice is under 7%
    assert {(g.pod, g.idle_hours) for g in found} == {
        ("notebook-0", 10),
        ("train-x", 2),
        ("infer-0", 6),
        ("infer-1", 6),
    }


def test_gpu_utilization_by_team_and_scope(wh: Warehouse, settings: Settings) -> None:
    plant_gpus(wh)
    rows = gpu_utilization(
        wh.con, window=WINDOW, by="team", scope=Scope.everything(), settings=settings
    )
    by_team = {r["team"]: r for r in rows}
    # largest idle cost first: g2's unrequested GPU, the idle notebook, the idle slice
    assert [r["team"] for r in rows] == ["__unassigned__", "research", "__unlabeled__", "training"]
    # training: 10 GPU-hours × $2 = $20; activity (8 × 90 + 2 × 2) / 10 = 72.4%
    assert by_team["training"]["cost"] == Decimal("20.00")
    assert by_team["training"]["avg_activity_pct"] == 72.4
    assert by_team["training"]["idle_gpu_hours"] == 0
    # serve slices (no team label): 12 slice-hours × 1/7 = 1.714286 GPU-hours × $3.50 = $6.00,
    # of which infer-0's 6 idle hours: 6/7 GPU-hours, $3.00
    assert by_team["__unlabeled__"]["gpu_hours"] == pytest.approx(12 / 7, abs=1e-6)
    assert by_team["__unlabeled__"]["cost"] == Decimal("6.00")
    assert by_team["__unlabeled__"]["idle_gpu_hours"] == pytest.approx(6 / 7, abs=1e-6)
    assert by_team["__unlabeled__"]["idle_cost"] == Decimal("3.00")
    # g2's capacity no pod requested: 10 GPU-hours − 12/7 requested = 8.285714, all idle;
    # its cost is the allocation's GPU idle: 4 × $3.50 + 6 × $2.50 = $29.00
    unassigned = by_team["__unassigned__"]
    assert unassigned["gpu_hours"] == pytest.approx(10 - 12 / 7, abs=1e-6)
    assert unassigned["cost"] == unassigned["idle_cost"] == Decimal("29.00")
    assert by_team["research"]["idle_share"] == 1.0
    # the groups add up to the GPU cost the allocation holds: 20 + 20 + 6 + 29 = $75
    assert sum(r["cost"] for r in rows) == Decimal("75.00")
    mine = gpu_utilization(
        wh.con, window=WINDOW, by="pod", scope=Scope(namespaces=["serve"]), settings=settings
    )
    assert [r["pod"] for r in mine] == ["serve/infer-0", "serve/infer-1"]
    with pytest.raises(InputError, match="Use one of: pod, workload"):
        gpu_utilization(
            wh.con, window=WINDOW, by="gpu", scope=Scope.everything(), settings=settings
        )


def test_gpu_utilization_by_node_is_the_nodes_whole_gpu_cost(
    wh: Warehouse, settings: Settings
) -> None:
    plant_gpus(wh)
    rows = gpu_utilization(
        wh.con, window=WINDOW, by="node", scope=Scope.everything(), settings=settings
    )
    # g1: 2 GPUs × 10 h × $2 = $40, all requested; g2: 1 GPU × 10 h × $3.50 = $35,
    # requested slices $6 + unrequested $29
    assert {r["node"]: r["cost"] for r in rows} == {
        "c1/g1": Decimal("40.00"),
        "c1/g2": Decimal("35.00"),
    }
    assert {r["node"]: r["gpu_hours"] for r in rows} == {"c1/g1": 20.0, "c1/g2": 10.0}
