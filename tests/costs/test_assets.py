"""The asset view and PVs by node (issue 10, defects 2 and 5).

Base prices for the ratio split: CPU 3 / RAM 1 $/h, so a 2-CPU 4-GiB node has M = 10: a
$1.00 node-hour gives p_cpu = 0.30 $/core-h and p_ram = 0.10 $/GiB-h.

Cluster (hours 0–1 observed, bill lines for hours 0–2):
  n1 $1.00/h, hours 0–2 billed, observed 0–1 (hour 2: billed, not observed → its line is
     unallocated but still what n1 cost); pod db-0 (1 core, 1 GiB) mounts volume vol-1
     ($0.24/h line) on n1 both hours;
  n2 $2.00/h, hours 0–1, runs web-0 (1 core, 2 GiB; on a 2-CPU 4-GiB node at $2: p_cpu 0.60,
     p_ram 0.20);
  vol-1's line runs hours 0–2 too (hour 2: no pod mounts it);
  vol-2 $0.08/h, bound to no claim (unmounted);
  an EKS control-plane line $0.10/h tagged with the cluster, hours 0–2.
Bill: n1 3.00 + n2 4.00 + vol-1 0.72 + vol-2 0.24 + control plane 0.30 = 8.26.
"""

from __future__ import annotations

from decimal import Decimal

from assistant.config import Settings
from assistant.costs.assets import asset_costs
from assistant.costs.query import query_costs
from assistant.warehouse.db import Connection, reader
from assistant.windows import Window
from tests.allocation.alloc_rows import bill, container, h, mount, node, pv, pvc_hour
from tests.allocation.test_allocate import run

D = Decimal
HOURS = Window(h(0), h(3))


def _cluster(con: Connection) -> None:
    node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(2))
    node(con, "n2", "i-2", cpu=2, ram_gib=4, hours=range(2))
    for i in range(3):
        bill(con, "i-1", h(i), h(i + 1), "1.00")
        bill(con, "vol-1", h(i), h(i + 1), "0.24", service="AmazonEBS")
        bill(con, "vol-2", h(i), h(i + 1), "0.08", service="AmazonEBS")
        bill(
            con, "arn:eks:cluster/c1", h(i), h(i + 1), "0.10",
            service="AmazonEKS", tags={"eks:cluster-name": "c1"},
        )  # fmt: skip
    for i in range(2):
        bill(con, "i-2", h(i), h(i + 1), "2.00")
        container(con, "db", "db-0", "pg", "n1", i, cpu_req=1, ram_req_gib=1)
        container(con, "shop", "web-0", "app", "n2", i, cpu_req=1, ram_req_gib=2)
        pvc_hour(con, "db", "data-db-0", "pv-1", i, gib=10)
        mount(con, "db", "db-0", "data-db-0", i)
    pv(con, "pv-1", "vol-1", 10)
    pv(con, "pv-2", "vol-2", 10)


def _by(settings: Settings, group_by: str, **kw: object) -> dict[str, Decimal]:
    with reader(settings) as con:
        t = query_costs(con, window=HOURS, group_by=group_by, settings=settings, **kw)  # type: ignore[arg-type]
    assert t.totals.total == sum((r.total for r in t.rows), D(0))
    return {r.name: r.total for r in t.rows}


def test_pv_cost_goes_to_the_pods_node_unmounted_stays_apart() -> None:
    settings, report = run(_cluster)
    assert report.reconciled
    by_node = _by(settings, "node", view="allocation")
    # allocation view by node: the pods' cost on each node, PV with the pod that mounts it.
    # n1: db-0 1 core × 0.30 + 1 GiB × 0.10 = 0.40 an hour × 2 = 0.80, + vol-1 2 × 0.24 =
    #     0.48 → 1.28 (before: the 0.48 sat in a __no_node__ row)
    # n2: web-0 1 × 0.60 + 2 × 0.20 = 1.00 an hour × 2 = 2.00
    # vol-2 (no claim) 3 × 0.08 and vol-1's hour 2 (no pod) 0.24 → __unmounted__ 0.48
    assert by_node["n1"] == D("1.28")
    assert by_node["n2"] == D("2.00")
    assert "__no_node__" not in by_node
    assert by_node["__unmounted__"] == D("0.48")


def test_asset_view_is_what_each_node_and_cluster_cost_on_the_bill() -> None:
    settings, _ = run(_cluster)
    with reader(settings) as con:
        nodes = asset_costs(con, window=HOURS, by="node", settings=settings)
        clusters = asset_costs(con, window=HOURS, by="cluster", settings=settings)
    rows = {r.name: r for r in nodes.rows}
    # n1's compute = its three bill lines (1.00 × 3), whether or not metrics saw hour 2:
    # pods 0.80 + idle (2.00 − 0.80) 1.20 + hour 2's line 1.00 (other); + db-0's PV 0.48
    assert rows["n1"].compute == D("3.00")
    assert (rows["n1"].allocated, rows["n1"].idle) == (D("0.80"), D("1.20"))
    assert rows["n1"].parts["other"] == D("1.00") and rows["n1"].parts["pv"] == D("0.48")
    assert rows["n1"].total == D("3.48")
    # n2's compute = its two lines: web-0 2.00 + idle 2.00
    assert (rows["n2"].compute, rows["n2"].idle) == (D("4.00"), D("2.00"))
    assert rows["__unmounted__"].total == D("0.48")
    # the control plane (no node) stays __unallocated__ by node ...
    assert rows["__unallocated__"].total == D("0.30")
    assert nodes.total == D("8.26") and nodes.estimates == []
    # ... and belongs to its cluster by cluster: c1 is the whole bill
    assert [(r.name, r.total) for r in clusters.rows] == [("c1", D("8.26"))]


def test_cluster_and_node_questions_use_the_asset_view_by_default() -> None:
    settings, _ = run(_cluster)
    # before: by cluster gave c1 its workloads only (2.80 + PV) with idle in __idle__
    assert _by(settings, "cluster") == {"c1": D("8.26")}
    assert _by(settings, "node") == {
        "n1": D("3.48"),
        "n2": D("4.00"),
        "__unallocated__": D("0.30"),
        "__unmounted__": D("0.48"),
    }
    # a workload filter asks for that workload's share of each node: the allocation view
    assert _by(settings, "node", filters={"namespace": "shop"}) == {"n2": D("2.00")}
