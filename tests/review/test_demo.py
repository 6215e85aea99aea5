"""On the demo warehouse: a change to a real workload, priced like rightsizing prices it.

The demo is copied from /tmp/demo-home when a session built it there (never written to),
else built small through the eval path. The workload is picked from rightsizing's own
recommendations (a Deployment with one container, no HPA, whole replicas, and usage never
above its requests, so the allocation's max(request, usage) is the request), and its
manifest is written from what the warehouse says it requests.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings, load_settings
from assistant.core.money import cents
from assistant.core.scope import Scope
from assistant.review.estimate import estimate
from assistant.review.observed import ClusterFacts
from assistant.review.prices import UnitPrices
from assistant.review.workloads import parse_manifests
from assistant.rightsizing.manifests import format_cpu
from assistant.rightsizing.recommend import Recommendation, recommend
from assistant.rightsizing.savings import monthly_cost
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tests.demo_warehouse import EVAL_END, demo_copy
from tests.review.manifests import container, deployment

GIB = Decimal(1024**3)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(tmp_path_factory, "review-demo", EVAL_END) / "penny.duckdb"


@pytest.fixture
def settings(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PENNY_DB", str(demo_db))
    return load_settings()


def _steady(rec: Recommendation) -> bool:
    if rec.kind != "Deployment" or rec.hpa or len(rec.containers) != 1 or rec.status != "ok":
        return False
    c = rec.containers[0]
    cpu, ram = float(c.current["cpu_request"] or 0), float(c.current["ram_request"] or 0)
    return (
        abs(rec.replicas - round(rec.replicas)) < 1e-9
        and cpu > 0
        and ram > 0
        and all((u_cpu or 0) <= cpu and (u_ram or 0) <= ram for _, u_cpu, u_ram in c.usage)
    )


def _pick(settings: Settings) -> Recommendation:
    with reader(settings) as con:
        recs = recommend(con, scope=Scope(admin=True), settings=settings)
    picked = [r for r in recs if _steady(r)]
    assert picked, "the demo has steady Deployments"
    return picked[0]


def _manifest(rec: Recommendation, requests: dict[str, float | None]) -> str:
    c = rec.containers[0]
    return deployment(
        rec.name,
        rec.namespace,
        replicas=round(rec.replicas),
        containers=container(
            c.container,
            cpu=format_cpu(float(requests["cpu_request"] or 0)),
            memory=str(int(requests["ram_request"] or 0)),
        ),
    )


def test_same_unit_prices_same_dollars_as_rightsizing(settings: Settings) -> None:
    rec = _pick(settings)
    c = rec.containers[0]
    base = parse_manifests([("base.yaml", _manifest(rec, c.current))])
    head = parse_manifests([("head.yaml", _manifest(rec, c.proposed))])
    prices = UnitPrices(rec.cluster, rec.window, 1, rec.cpu_price, rec.ram_price, Decimal(0))
    review = estimate(base, head, prices, ClusterFacts(rec.cluster, 0))
    (change,) = review.changes
    # today's requests: rightsizing bills max(request, usage) = the request (usage below it)
    assert change.before.monthly_low == cents(rec.current_monthly)
    # the proposal at the same prices through rightsizing's own helper
    proposed = monthly_cost(
        c.proposed["cpu_request"],
        c.proposed["ram_request"],
        cpu_price=rec.cpu_price,
        ram_price=rec.ram_price,
        replicas=round(rec.replicas),
    )
    assert change.after.monthly_low == cents(proposed)


def test_cli_on_the_demo_matches_an_independent_computation(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = _pick(settings)
    c = rec.containers[0]
    (tmp_path / "base.yaml").write_text(_manifest(rec, c.current))
    (tmp_path / "head.yaml").write_text(_manifest(rec, c.proposed))
    assert (
        main(
            [
                "review",
                str(tmp_path / "base.yaml"),
                str(tmp_path / "head.yaml"),
                "--cluster",
                rec.cluster,
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    with reader(settings) as con:
        (latest,) = con.execute(
            "SELECT max(hour) + INTERVAL 1 HOUR FROM node_cost_hours WHERE cluster = ?",
            [rec.cluster],
        ).fetchone()
        window = parse_window("30d", now=latest)
        cpu_w, cpu, ram_w, ram = con.execute(
            "SELECT sum(cpu_cores * cpu_price), sum(cpu_cores), sum(ram_gib * ram_price), "
            "sum(ram_gib) FROM node_cost_hours WHERE cluster = ? AND hour >= ? AND hour < ?",
            [rec.cluster, window.start, window.end],
        ).fetchone()
        (allocated,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND cluster = ? "
            "AND namespace = ? AND controller_kind = 'Deployment' AND controller_name = ? "
            "AND hour >= ? AND hour < ?",
            [rec.cluster, rec.namespace, rec.name, window.start, window.end],
        ).fetchone()
    p_cpu = Decimal(data["unit_prices"]["cpu_core_hour"])
    p_ram = Decimal(data["unit_prices"]["ram_gib_hour"])
    assert abs(float(p_cpu) - cpu_w / cpu) < 1e-12 and abs(float(p_ram) - ram_w / ram) < 1e-12

    # (cores × $/core-h + GiB × $/GiB-h) × replicas × 730, per side, to the cent
    def by_hand(requests: dict[str, float | None]) -> Decimal:
        cores = Decimal(round(float(requests["cpu_request"] or 0) * 1000)) / 1000  # as written
        gib = Decimal(int(requests["ram_request"] or 0)) / GIB
        return cents((cores * p_cpu + gib * p_ram) * round(rec.replicas) * 730)

    (change,) = data["changed"]
    assert change["before"]["monthly_low"] == str(by_hand(c.current))
    assert change["after"]["monthly_low"] == str(by_hand(c.proposed))
    assert Decimal(change["monthly_delta_low"]) == by_hand(c.proposed) - by_hand(c.current)
    assert change["allocated"] == str(cents(allocated))
