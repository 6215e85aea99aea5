"""Spot candidates, commitment coverage and orphans, with the dollars worked by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.rightsizing.beyond import commitment_coverage, orphans, spot_candidates
from assistant.windows import Window
from tests.rightsizing.rs_fixtures import NOW, Warehouse

WINDOW = Window(NOW - timedelta(hours=24), NOW)


def bill(wh: Warehouse, n: int, **values: object) -> None:
    base = dict(
        ingest_id="t",
        source_file="f.csv",
        source_row=n,
        billed_cost=0,
        charge_period_start=NOW - timedelta(hours=12),
        charge_period_end=NOW - timedelta(hours=11),
    )
    base.update(values)
    wh.insert("billing_lines", **base)


def alloc(
    wh: Warehouse,
    ns: str,
    pod: str,
    kind: str,
    name: str,
    node: str,
    cost: float,
    hours: int = 24,
    team: str = "web",
) -> None:
    for h in range(hours):
        wh.insert(
            "allocations",
            run_id="r",
            cluster="c1",
            hour=NOW - timedelta(hours=24 - h),
            kind="workload",
            node=node,
            namespace=ns,
            pod=pod,
            container="main",
            controller_kind=kind,
            controller_name=name,
            team=team,
            cpu_cost=cost,
            total_cost=cost,
            billed_total_cost=cost,
        )


def plant(wh: Warehouse) -> None:
    wh.node("n1", hours=24, node_cost=1.0)
    wh.node("s1", hours=24, node_cost=0.3, capacity_type="spot")
    for pod in ("web-1", "web-2"):  # stateless Deployment on on-demand
        wh.pod("shop", pod, "Deployment", "web")
        alloc(wh, "shop", pod, "Deployment", "web", "n1", 0.05)
        wh.container_series("shop", pod, "main", cpu_max=[0.1] * 24, ram_max=[1e8] * 24)
    wh.pod("shop", "db-0", "StatefulSet", "db")  # stateful kind: not a candidate
    alloc(wh, "shop", "db-0", "StatefulSet", "db", "n1", 0.5)
    wh.pod("shop", "up-1", "Deployment", "uploader")  # mounts a volume: not a candidate
    alloc(wh, "shop", "up-1", "Deployment", "uploader", "n1", 0.5)
    wh.insert(
        "pod_pvc_hours",
        cluster="c1",
        namespace="shop",
        pod="up-1",
        pvc="uploads",
        hour=NOW - timedelta(hours=3),
        running_hours=1.0,
        ingest_id="t",
    )
    wh.pod("shop", "batch-1", "Deployment", "batch")  # already on spot
    alloc(wh, "shop", "batch-1", "Deployment", "batch", "s1", 0.5)
    bill(wh, 1, pricing_category="Dynamic", effective_cost=30, list_cost=100)
    bill(wh, 2, pricing_category="Standard", effective_cost=50, list_cost=50)


def test_spot_candidates_use_the_bills_discount(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    found = spot_candidates(wh.con, window=WINDOW, scope=Scope.everything(), settings=settings)
    assert [c.workload for c in found] == ["shop/Deployment/web"]
    web = found[0]
    # window cost 2 pods × 24 h × $0.05 = $2.40 → monthly 2.40 × 730 / 24 = $73.00
    assert web.monthly_cost == Decimal("73")
    # discount from the bill's spot lines: 1 − 30 / 100 = 0.70 → $51.10
    assert web.discount == Decimal("0.7")
    assert web.to_dict()["monthly_savings_low"] == web.to_dict()["monthly_savings_high"] == "51.10"
    assert web.replicas == 2.0 and web.notes == []


def test_spot_without_bill_rates_gives_the_usual_range(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    wh.con.execute("DELETE FROM billing_lines")
    web = spot_candidates(wh.con, window=WINDOW, scope=Scope.everything(), settings=settings)[0]
    assert web.discount is None
    # $73.00 × 0.6 = $43.80 … × 0.9 = $65.70
    assert (web.to_dict()["monthly_savings_low"], web.to_dict()["monthly_savings_high"]) == (
        "43.80",
        "65.70",
    )
    assert "60–90%" in web.notes[0]


def test_commitment_coverage_of_the_steady_baseline(wh: Warehouse, settings: Settings) -> None:
    wh.node("n1", hours=24, node_cost=1.0)
    wh.node("n2", hours=12, node_cost=2.0)  # burst: only the last 12 hours
    wh.node("s1", hours=24, node_cost=9.0, capacity_type="spot")  # spot is not baseline
    bill(
        wh,
        1,
        commitment_discount_id="sp-1",
        charge_category="Usage",
        effective_cost=12,
        list_cost=20,
    )
    cov = commitment_coverage(wh.con, window=WINDOW)
    # hourly on-demand cost: 12 h at $1, 12 h at $3 → p10 = $1.00/h baseline
    # covered $12 / 24 h = $0.50/h → coverage 50%; uncovered $0.50/h × 730 = $365.00
    # discount in the bill 1 − 12/20 = 0.4 → $146.00/month if covered
    assert cov["baseline_hourly"] == "1.0000" and cov["committed_hourly"] == "0.5000"
    assert cov["coverage"] == 0.5
    assert cov["uncovered_baseline_monthly"] == "365.00"
    assert cov["monthly_savings_if_covered"] == "146.00"


def test_orphans(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    wh.insert(
        "k8s_pvs", cluster="c1", pv="pv-old", volume_id="vol-1", capacity_bytes=5e10, ingest_id="t"
    )
    bill(wh, 3, resource_id="vol-1", effective_cost=4.8)
    for h in range(24):
        hour = NOW - timedelta(hours=24 - h)
        wh.insert(
            "pvc_hours",
            cluster="c1",
            namespace="shop",
            pvc="data",
            pv="pv-data",
            hour=hour,
            running_hours=1.0,
            requested_bytes=1e11,
            ingest_id="t",
        )
        wh.insert(
            "service_hours",
            cluster="c1",
            namespace="shop",
            service="old-lb",
            service_type="LoadBalancer",
            lb_ingress="a1b2.elb.amazonaws.com",
            hour=hour,
            running_hours=1.0,
            ingest_id="t",
        )
    bill(wh, 4, resource_name="a1b2.elb.amazonaws.com", effective_cost=0.6)
    alloc(wh, "ghost", "__unmounted__", "", "", "n1", 0.1, team="ghosts")
    found = {
        (o.kind, o.name): o
        for o in orphans(wh.con, window=WINDOW, scope=Scope.everything(), settings=settings)
    }
    # vol-1: $4.80 in 24 h (bill) → × 730 / 24 = $146.00
    assert found[("volume", "pv-old")].to_dict()["monthly_cost"] == "146.00"
    # PVC data: 100 GB × 24 h × $0.00005479452 = $0.1315…; × 730/24 = $4.00
    assert found[("claim", "data")].to_dict()["monthly_cost"] == "4.00"
    # old-lb: $0.60 (bill) → $18.25
    assert found[("load_balancer", "old-lb")].to_dict()["monthly_cost"] == "18.25"
    # ghost: 24 × $0.10 = $2.40 with no running pod → $73.00
    assert found[("namespace", "ghost")].to_dict()["monthly_cost"] == "73.00"
    assert set(found) == {
        ("volume", "pv-old"),
        ("claim", "data"),
        ("load_balancer", "old-lb"),
        ("namespace", "ghost"),
    }
    mine = orphans(wh.con, window=WINDOW, scope=Scope(namespaces=["shop"]), settings=settings)
    assert {(o.kind, o.name) for o in mine} == {("claim", "data"), ("load_balancer", "old-lb")}
