"""allocate() through the real SQL pipeline on hand-worked clusters.

Unless a test says otherwise, base prices for the ratio split are CPU 3 / RAM 1 / GPU 30
$/h, so a node with 2 CPUs and 4 GiB has M = 2·3 + 4 = 10: a $1.00 node-hour gives
p_ram = 1/10 = 0.10 $/GiB-h and p_cpu = 0.30 $/core-h (node CPU 0.60, RAM 0.40).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from assistant.allocation.allocate import AllocationReport, allocate
from assistant.config import Settings, load_settings
from assistant.warehouse.db import Connection, reader, writer
from assistant.windows import Window
from tests.allocation.alloc_rows import (
    bill,
    container,
    h,
    mount,
    namespace,
    node,
    pod,
    pv,
    pvc_hour,
    service_hour,
    service_pod,
)

D = Decimal
EASY = {"default_prices": {"cpu_core_hour": "3", "ram_gib_hour": "1", "gpu_hour": "30"}}


def run(
    build: Callable[[Connection], None], window: Window | None = None, **allocation: Any
) -> tuple[Settings, AllocationReport]:
    settings = load_settings(allocation={**EASY, **allocation})
    with writer(settings) as con:
        build(con)
    return settings, allocate(settings, window)


def rows(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with reader(settings) as con:
        return con.execute(sql).fetchall()


def one_node(con: Connection, hours: range = range(1)) -> None:
    node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=hours)
    for i in hours:
        bill(con, "i-1", h(i), h(i + 1), "1.00")


def container_costs(settings: Settings) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        c: (cpu, ram)
        for c, cpu, ram in rows(
            settings,
            "SELECT container, cpu_cost, ram_cost FROM allocations "
            "WHERE kind = 'workload' AND container IS NOT NULL",
        )
    }


def idle(settings: Settings) -> dict[str, Decimal]:
    return dict(
        rows(
            settings,
            "SELECT resource, sum(total_cost) FROM allocations WHERE kind = 'idle' GROUP BY 1",
        )
    )


def test_container_without_request_costs_its_usage() -> None:
    # usage 0.5 core · 0.30 = 0.15; 1 GiB · 0.10 = 0.10; idle CPU 0.60-0.15 = 0.45, RAM 0.30.
    settings, report = run(
        lambda con: (
            one_node(con),
            container(con, "ns", "p", "c", "n1", 0, cpu_use=0.5, ram_use_gib=1.0),
        )
    )
    assert container_costs(settings) == {"c": (D("0.15"), D("0.10"))}
    assert idle(settings) == {"cpu": D("0.45"), "ram": D("0.30")}
    assert report.reconciled and report.price_sources == {"bill": 1}


def test_usage_above_request_costs_usage() -> None:
    # CPU max(0.5, 1.5) = 1.5 · 0.30 = 0.45; RAM max(1, 0.5) = 1 GiB · 0.10 = 0.10.
    settings, _ = run(
        lambda con: (
            one_node(con),
            container(
                con,
                "ns",
                "p",
                "c",
                "n1",
                0,
                cpu_req=0.5,
                cpu_use=1.5,
                ram_req_gib=1,
                ram_use_gib=0.5,
            ),
        )
    )
    assert container_costs(settings) == {"c": (D("0.45"), D("0.10"))}


def test_container_running_half_an_hour() -> None:
    # 1 core · 0.5 h · 0.30 = 0.15; 2 GiB · 0.5 h · 0.10 = 0.10.
    settings, _ = run(
        lambda con: (
            one_node(con),
            container(con, "ns", "p", "c", "n1", 0, running=0.5, cpu_req=1, ram_req_gib=2),
        )
    )
    assert container_costs(settings) == {"c": (D("0.15"), D("0.10"))}


def test_overcommitted_node_keeps_negative_idle() -> None:
    # Two containers requesting 2 cores each on a 2-core node: 2 · 2 · 0.30 = 1.20 CPU cost
    # against the node's 0.60, so CPU idle = 0.60 - 1.20 = -0.60 (not clamped); RAM idle 0.40.
    def build(con: Connection) -> None:
        one_node(con)
        container(con, "ns", "p", "a", "n1", 0, cpu_req=2)
        container(con, "ns", "p", "b", "n1", 0, cpu_req=2)

    settings, report = run(build)
    assert idle(settings) == {"cpu": D("-0.60"), "ram": D("0.40")}
    month = report.reconciliation[0]
    assert (month.bill, month.allocated, month.idle, month.difference) == (
        D("1.00"),
        D("1.20"),
        D("-0.20"),
        0,
    )


def test_daily_bill_line_prorated_over_24_hours_both_bases() -> None:
    # $24.00 amortized / $30.00 invoice for the day: 1.00 and 1.25 per node-hour;
    # idle per hour CPU 0.60 / RAM 0.40 (invoice 0.75 / 0.50).
    def build(con: Connection) -> None:
        node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(24))
        bill(con, "i-1", h(0), h(24), "24.00", "30.00")

    settings, report = run(build)
    per_hour = rows(settings, "SELECT DISTINCT node_cost, node_billed_cost FROM node_cost_hours")
    assert per_hour == [(D("1.00"), D("1.25"))]
    assert rows(
        settings,
        "SELECT resource, sum(total_cost), sum(billed_total_cost), count(*) "
        "FROM allocations GROUP BY 1 ORDER BY 1",
    ) == [("cpu", D("14.40"), D("18.00"), 24), ("ram", D("9.60"), D("12.00"), 24)]
    by_basis = {r.basis: (r.bill, r.idle, r.difference) for r in report.reconciliation}
    assert by_basis == {"amortized": (D(24), D("24.00"), 0), "invoice": (D(30), D("30.00"), 0)}


def test_node_without_bill_line_uses_price_list() -> None:
    # Price list CPU 0.05, RAM 0.01: node = 2·0.05 + 4·0.01 = 0.14 $/h, ratio split with
    # M = 10: p_ram = 0.014, p_cpu = 0.042; container 1 core + 1 GiB = 0.042 + 0.014 = 0.056.
    # Not on the bill: reported as estimated, outside the reconciliation.
    def build(con: Connection) -> None:
        node(con, "n2", None, cpu=2, ram_gib=4)
        container(con, "ns", "p", "c", "n2", 0, cpu_req=1, ram_req_gib=1)

    settings, report = run(build, prices={"cpu_core_hour": "0.05", "ram_gib_hour": "0.01"})
    assert container_costs(settings) == {"c": (D("0.042"), D("0.014"))}
    assert report.price_sources == {"price_list": 1}
    month = report.reconciliation[0]
    assert (month.bill, month.estimated, month.difference) == (0, D("0.14"), 0)


def test_pv_mounted_by_two_pods_then_none() -> None:
    # Volume line $0.48 over 2 h = 0.24/h. Hour 0: pods a and b mount it -> 0.12 each;
    # hour 1: nobody -> __unmounted__ 0.24.
    def build(con: Connection) -> None:
        pv(con, "pv1", "vol-1", 100)
        for i in (0, 1):
            pvc_hour(con, "ns", "data", "pv1", i, 100)
        mount(con, "ns", "a", "data", 0)
        mount(con, "ns", "b", "data", 0)
        bill(con, "arn:aws:ec2:us-east-1:1:volume/vol-1", h(0), h(2), "0.48", service="EBS")

    settings, report = run(build)
    assert rows(
        settings,
        "SELECT hour, pod, pv_cost, service_name FROM allocations "
        "WHERE resource = 'pv' ORDER BY 1, 2",
    ) == [
        (h(0), "a", D("0.12"), "EBS"),
        (h(0), "b", D("0.12"), "EBS"),
        (h(1), "__unmounted__", D("0.24"), "EBS"),
    ]
    assert report.reconciled


def test_load_balancer_split_by_overlap_hours() -> None:
    # ELB hostname a1b2c3d4e5-123456.… -> name a1b2c3d4e5, found in the line's ARN.
    # $0.03 for the hour; pod p1 behind it 1.0 h, p2 0.5 h: 0.03·1/1.5 = 0.02, 0.03·0.5/1.5 = 0.01.
    def build(con: Connection) -> None:
        service_hour(con, "web", "front", "a1b2c3d4e5-123456.us-east-1.elb.amazonaws.com", 0)
        service_pod(con, "web", "front", "p1", 0, 1.0)
        service_pod(con, "web", "front", "p2", 0, 0.5)
        bill(
            con,
            "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/a1b2c3d4e5",
            h(0),
            h(1),
            "0.03",
            service="AWSELB",
        )

    settings, _ = run(build)
    assert rows(
        settings, "SELECT pod, lb_cost FROM allocations WHERE resource = 'lb' ORDER BY 1"
    ) == [("p1", D("0.02")), ("p2", D("0.01"))]


def test_unmatched_lines_are_unallocated_by_service() -> None:
    # EKS control plane $0.10/h, a credit of -$5 and tax $2 for the hour match no resource.
    def build(con: Connection) -> None:
        bill(con, "arn:aws:eks:us-east-1:1:cluster/prod", h(0), h(1), "0.10", service="AmazonEKS")
        bill(con, None, h(0), h(1), "-5", service="AWS Credits", category="Credit")
        bill(con, None, h(0), h(1), "2", service="Tax", category="Tax")

    settings, report = run(build)
    assert rows(
        settings,
        "SELECT service_name, resource, total_cost FROM allocations "
        "WHERE kind = 'unallocated' ORDER BY 1",
    ) == [
        ("AWS Credits", "Credit", D("-5")),
        ("AmazonEKS", "Usage", D("0.10")),
        ("Tax", "Tax", D("2")),
    ]
    assert report.reconciliation[0].unallocated == D("-2.90")


def test_label_fallback_chain() -> None:
    # team: pod label, else namespace label, else namespace rule 'pay-*' -> payments,
    # else __unlabeled__.
    def build(con: Connection) -> None:
        one_node(con)
        namespace(con, "shop", {"team": "storefront"})
        namespace(con, "pay-eu", {})
        namespace(con, "misc", {})
        pod(con, "shop", "own", {"team": "checkout"})
        pod(con, "shop", "inherits", {})
        pod(con, "pay-eu", "ruled", {})
        pod(con, "misc", "nobody", {})
        for ns, p in (
            ("shop", "own"),
            ("shop", "inherits"),
            ("pay-eu", "ruled"),
            ("misc", "nobody"),
        ):
            container(con, ns, p, "c", "n1", 0, cpu_req=0.1)

    settings, _ = run(build, labels={"namespace_rules": {"pay-*": "payments"}})
    assert dict(rows(settings, "SELECT pod, team FROM allocations WHERE kind = 'workload'")) == {
        "own": "checkout",
        "inherits": "storefront",
        "ruled": "payments",
        "nobody": "__unlabeled__",
    }


def test_rerun_replaces_rows_for_the_window() -> None:
    settings, first = run(
        lambda con: (one_node(con), container(con, "ns", "p", "c", "n1", 0, cpu_req=1))
    )
    second = allocate(settings)
    assert rows(settings, "SELECT count(DISTINCT run_id), count(*) FROM allocations") == [
        (1, second.rows)
    ]
    assert first.rows == second.rows == 3  # container + CPU idle + RAM idle


def test_controller_rollup_and_label_grouping() -> None:
    # Pod owned by ReplicaSet web-5d8 whose owner is Deployment web -> controller
    # Deployment/web; pod labels app=web / app=db group by label:app. Each pod requests
    # 1 core: 0.30 each.
    def build(con: Connection) -> None:
        one_node(con)
        pod(con, "shop", "web-5d8-x", {"app": "web"}, owner=("ReplicaSet", "web-5d8"))
        pod(con, "shop", "db-0", {"app": "db"}, owner=("StatefulSet", "db"))
        con.execute(
            "INSERT INTO k8s_owners VALUES ('c1', 'shop', 'ReplicaSet', 'web-5d8', "
            "'Deployment', 'web', 'test')"
        )
        container(con, "shop", "web-5d8-x", "c", "n1", 0, cpu_req=1)
        container(con, "shop", "db-0", "c", "n1", 0, cpu_req=1)

    settings, _ = run(build)
    from assistant.costs import query_costs

    with reader(settings) as con:
        by_controller = query_costs(
            con, window=Window(h(0), h(1)), group_by="controller", settings=settings
        )
        by_app = query_costs(
            con,
            window=Window(h(0), h(1)),
            group_by="label:app",
            settings=settings,
            filters={"namespace": "shop"},
        )
    assert {r.name: r.total for r in by_controller.rows if r.kind == "workload"} == {
        "Deployment/web": D("0.30"),
        "StatefulSet/db": D("0.30"),
    }
    assert {r.name: r.total for r in by_app.rows} == {"web": D("0.30"), "db": D("0.30")}
