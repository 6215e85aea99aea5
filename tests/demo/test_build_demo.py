"""`penny demo` end to end: files -> ingest (OpenMetrics reader or a real Prometheus) ->
allocation, checked against the planted truths in the warehouse."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.demo.run import build_demo
from assistant.errors import ConfigError
from assistant.warehouse.db import reader
from tests.conftest import require_binary

END = date(2026, 11, 27)


def _check_warehouse(truths: dict[str, Any]) -> None:
    settings = load_settings()
    with reader(settings) as con:
        # the bill as ingested equals the generated bill, month by month
        for month, t in truths["bill"].items():
            (eff,) = con.execute(
                "SELECT sum(effective_cost) FROM billing_lines "
                "WHERE strftime(charge_period_start, '%Y-%m') = ?",
                [month],
            ).fetchone()
            assert eff == Decimal(t["effective_cost"])
            # allocated + idle + unallocated = the bill, to the cent
            (alloc,) = con.execute(
                "SELECT sum(total_cost) FROM allocations WHERE strftime(hour, '%Y-%m') = ?", [month]
            ).fetchone()
            assert round(alloc, 2) == round(Decimal(t["effective_cost"]), 2)
        job = truths["drivers"]["new_gpu_job"]
        # 120 node-hours of p4d.24xlarge priced from its own bill lines: 120 x $32.7726
        cost, hours, source = con.execute(
            "SELECT sum(node_cost), count(*), min(price_source) FROM node_cost_hours "
            "JOIN k8s_nodes USING (cluster, node) WHERE instance_id = ?",
            [job["node_instance_id"]],
        ).fetchone()
        assert (cost, hours, source) == (Decimal("3932.712"), 120, "bill")
        (gpu_hours,) = con.execute(
            "SELECT sum(gpu_hours) FROM allocations WHERE pod LIKE 'llm-finetune-%'"
        ).fetchone()
        assert gpu_hours == pytest.approx(job["gpu_hours"])  # 8 GPUs x 120 h
        fb = truths["drivers"]["spot_fallback"]
        (od_hours,) = con.execute(
            "SELECT count(*) FROM node_cost_hours JOIN k8s_nodes USING (cluster, node) "
            "WHERE instance_id IN (SELECT unnest(?::VARCHAR[]))",
            [fb["on_demand_instance_ids"]],
        ).fetchone()
        assert od_hours == fb["node_hours"] == 360
        (team,) = con.execute(
            "SELECT DISTINCT team FROM allocations WHERE namespace = 'sandbox'"
        ).fetchone()
        assert team == "__unlabeled__"
        nb = truths["idle_gpu"]
        (util, n) = con.execute(
            "SELECT avg(util_pct), count(*) FROM gpu_hours WHERE pod = ? AND hour >= ?",
            [nb["pod"], nb["idle_from"].rstrip("Z")],
        ).fetchone()
        assert n >= nb["idle_hours"] - 1 and util < 1.0


def test_penny_demo_cli_through_the_openmetrics_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "demo",
            "--scale",
            "small",
            "--no-prometheus",
            "--end",
            "2026-11-27",
            "--out",
            str(tmp_path / "demo"),
        ]
    )
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "OpenMetrics reader" in out and "2026-10" in out
    # each month's row ends in its exact reconciliation difference: 0, unrounded
    for month in ("2026-09", "2026-10", "2026-11"):
        row = re.search(rf"│ {month} │(?: [^│]+ │){{4}} (\S+) │", out)
        assert row is not None and row[1] == "0", out
    assert 'penny ask "why did October go up?"' in out
    truths = json.loads((tmp_path / "demo" / "truths.json").read_text())
    _check_warehouse(truths)


def test_build_demo_through_a_real_prometheus(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("promtool")
    report = build_demo(
        load_settings(), end=END, out_dir=tmp_path / "demo", use_prometheus=True, scale="small"
    )
    assert report.used_prometheus and report.allocation.reconciled
    assert {r.cluster for r in report.metrics} == {"prod-use1", "staging-use1"}
    _check_warehouse(report.truths)


def test_demo_refuses_prometheus_when_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="not installed"):
        build_demo(load_settings(), end=END, out_dir=tmp_path / "demo", use_prometheus=True)
    assert not (tmp_path / "demo").exists()  # refused before writing anything


@pytest.mark.parametrize(
    "args, message",
    [
        (["--end", "27/11/2026"], "is not a date"),
        (["--scale", "huge"], "is not small or default"),
    ],
)
def test_bad_flags_are_clear_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *args]) == 1
    assert message in capsys.readouterr().err
    assert not load_settings().db_path.exists()
