"""`penny review` end to end through `main()`: exact comment, JSON, exit codes, errors.

Warehouse: tests/review/cluster_rows.py (CPU $0.03/core-h, RAM $0.0045/GiB-h, GPU $2.50/GPU-h);
manifests: tests/review/manifests.py; the dollars are worked out in test_estimate.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from tests.review import cluster_rows
from tests.review.manifests import base_set, container, deployment, head_set

HERE = Path(__file__).parent


@pytest.fixture
def sides(tmp_path: Path) -> tuple[str, str]:
    cluster_rows.build(load_settings())
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(base_set())
    head.write_text(head_set())
    return str(base), str(head)


def _web(tmp_path: Path) -> tuple[str, str]:
    base, head = tmp_path / "b.yaml", tmp_path / "h.yaml"
    base.write_text(
        deployment(
            "web", "shop", replicas=3, containers=container("app", cpu="500m", memory="256Mi")
        )
    )
    head.write_text(
        deployment("web", "shop", replicas=6, containers=container("app", cpu="1", memory="256Mi"))
    )
    return str(base), str(head)


def test_markdown_comment_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster_rows.build(load_settings())
    assert main(["review", *_web(tmp_path)]) == 0
    expected = (HERE / "expected_web_comment.md").read_text(encoding="utf-8")
    assert capsys.readouterr().out == expected


def test_markdown_full_change_set(
    sides: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", *sides]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # totals from test_estimate.py: 1898.50 at HPA minimums, 1934.10 at maximums
    assert lines[0] == "### Penny cost review: +$1,898.50/month"
    assert "Up to **+$1,934.10/month** if every HPA runs at its maximum." in lines
    assert (
        "Not in the total: 1 Job/CronJob change(s) priced per run-hour (no observed run time)."
    ) in lines
    assert "Cluster `prod`; 9 workload(s) changed, 1 unchanged (not listed)." in lines
    assert (
        "> **GPU:** `ml/Deployment/infer` GPUs per pod 0 → 1, in total 0 → 1 (+$1,825.00/month)"
    ) in lines
    assert (
        "| `ml/Deployment/infer` 🟧 GPU | server gpu 0 → 1 | $70.08 | $1,895.08 | **+$1,825.00** |"
    ) in lines
    assert (
        "| `shop/Deployment/api` | hpa 2..4 → 3..10 | $14.24 .. $28.47 | $21.35 .. "
        "$71.18 | **+$7.11 .. +$42.71** |"
    ) in lines
    assert "| `shop/StatefulSet/cache` | removed | $56.94 | $0.00 | **-$56.94** |" in lines
    assert (
        "| `data/CronJob/report` | new | $0.00 | $0.3120/run-hour | **+$0.3120/run-hour** |"
    ) in lines
    assert "shop/Deployment/static" not in out
    assert "- Monthly = hourly × 730 h (8760 h / 12)." in lines


def test_json(sides: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", *sides, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["monthly_delta_low"], data["monthly_delta_high"]) == ("1898.50", "1934.10")
    assert data["unit_prices"]["cpu_core_hour"] == "0.030000000000"
    assert data["unchanged"] == 1 and data["gpu_changes"] == ["ml/Deployment/infer"]
    web = next(c for c in data["changed"] if c["workload"] == "shop/Deployment/web")
    assert (web["before"]["monthly_low"], web["after"]["monthly_low"]) == ("35.31", "136.33")
    assert (web["allocated"], web["allocated_monthly"]) == ("43.20", "43.80")
    assert web["changes"][0] == {
        "container": None,
        "field": "replicas",
        "before": "3",
        "after": "6",
    }


@pytest.mark.parametrize(
    ("limit", "code"), [("1934.09", 3), ("1934.10", 0), ("5000", 0), ("$100", 3)]
)
def test_fail_above(
    sides: tuple[str, str], limit: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # the gate compares the increase at HPA maximums: $1,934.10
    assert main(["review", *sides, "--fail-above", limit]) == code
    err = capsys.readouterr().err
    assert ("is above --fail-above" in err) == (code == 3)


def test_stdin_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster_rows.build(load_settings())
    base, head = _web(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(head).read_text()))
    assert main(["review", base, "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["monthly_delta_low"] == "101.02"


def test_empty_directory_side_is_all_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_rows.build(load_settings())
    empty = tmp_path / "empty"
    empty.mkdir()
    _, head = _web(tmp_path)
    assert main(["review", str(empty), head, "-f", "json"]) == 0
    # 6 × 0.031125 × 730 = 136.3275 → all new
    assert json.loads(capsys.readouterr().out)["monthly_delta_low"] == "136.33"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--format", "xml"], "'xml' is not one of md, json"),
        (["--fail-above", "lots"], "'lots' is not an amount of dollars"),
        (["--fail-above", "-5"], "'-5' is not an amount of dollars"),
        (["--window", "soon"], "Cannot read window 'soon'"),
    ],
)
def test_bad_flags_exit_2(
    sides: tuple[str, str], extra: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", *sides, *extra]) == 2
    assert needle in capsys.readouterr().err


def test_bad_paths_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(tmp_path / "nope"), str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["review", "-", "-"]) == 2
    assert "only one side" in capsys.readouterr().err


def test_bad_manifest_exits_1_naming_it(
    sides: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    Path(sides[1]).write_text(head_set().replace("cpu: 1500m", "cpu: 1x"))
    assert main(["review", *sides]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "document 7: Deployment shop/worker, container 'app': resources.requests.cpu" in err
    assert "'1x' is rejected by Kubernetes" in err


def test_no_warehouse_exits_1_with_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", *_web(tmp_path)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "No warehouse at" in err and "penny demo" in err


def test_ambiguous_cluster_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster_rows.build(load_settings(), second_cluster=True)
    assert main(["review", *_web(tmp_path)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "The warehouse has prod, stage" in err and "--cluster" in err
    assert main(["review", *_web(tmp_path), "--cluster", "prod", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["cluster"] == "prod"
