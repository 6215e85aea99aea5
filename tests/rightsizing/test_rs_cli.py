"""`penny rightsize` and `penny gpu` end to end: exit codes, stdout data, clean errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.warehouse.db import writer
from tests.rightsizing.rs_fixtures import MIB, NOW, Warehouse, plant_gpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


@pytest.fixture(autouse=True)
def planted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENNY_NOW", NOW.isoformat())
    with writer(load_settings()) as con:
        wh = Warehouse(con)
        wh.node("n1", hours=24, cpu_price=0.04, ram_price=0.005)
        for pod in ("api-1", "api-2"):
            wh.pod("shop", pod, "Deployment", "api")
            wh.container_series(
                "shop", pod, "api", cpu_max=[0.2] * 24, ram_max=[300 * MIB] * 23 + [400 * MIB]
            )
        plant_gpus(wh)


def test_rightsize_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rightsize", "--json", "--orphans"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recommendations"][0]["workload"] == "shop/Deployment/api"
    assert data["recommendations"][0]["monthly_savings"] == "50.74"
    assert data["orphans"] == []


def test_rightsize_table_and_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rightsize", "-n", "shop"]) == 0
    out = capsys.readouterr().out
    assert "shop/Deployment/api" in out and "1 → 200m" in out
    assert "total $50.74/month" in out
    assert main(["rightsize", "--yaml", "--strategy", "vpa"]) == 0
    assert "strategy: vpa" in capsys.readouterr().out


def test_rightsize_draft_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "k8s"
    shutil.copytree(FIXTURES, tree)
    assert main(["rightsize", "--draft", "api", "--manifests", str(tree), "--format", "diff"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("--- a/shop/api.yaml\n+++ b/shop/api.yaml\n")
    assert "+              memory: 460Mi" in out


def test_rightsize_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    assert main(["rightsize", "--draft", "nope"]) == 1
    assert "No workload 'nope'" in capsys.readouterr().err
    assert main(["rightsize", "--strategy", "krr"]) == 2
    assert "'krr' is not one of simple, vpa" in capsys.readouterr().err
    assert main(["rightsize", "--validate"]) == 2
    assert main(["rightsize", "--draft", "api", "--validate"]) == 1
    assert "needs a kubeconfig" in capsys.readouterr().err


def test_gpu_idle(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gpu", "--idle", "--json", "--window", "24h"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["pod"], r["idle_cost"]) for r in rows] == [
        ("notebook-0", "20.00"),
        ("infer-0", "3.00"),
    ]
    assert main(["gpu", "--by", "team", "--window", "24h"]) == 0
    assert "research" in capsys.readouterr().out
    assert main(["gpu", "--by", "gpu"]) == 2
