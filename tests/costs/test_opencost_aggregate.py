"""query_costs against OpenCost's TestAllocationSet_AggregateBy.

Source: opencost core/pkg/opencost/allocation_test.go ``TestAllocationSet_AggregateBy``,
inputs from ``GenerateMockAllocationSet`` in core/pkg/opencost/mock.go: 12 containers over
one day, each costing CPU 1, RAM 1 (container1: RAM 11), GPU 1, PV 1, network 1, LB 1,
so 6.00 each (container1 16.00); idle: cluster1 CPU 5 + RAM 15, cluster2 CPU 5 + RAM 5.
The rows are inserted as allocation facts; grouping and sharing happen at query time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.costs.query import query_costs
from assistant.warehouse.db import reader, writer
from assistant.windows import Window

DAY = Window(datetime(2026, 10, 1), datetime(2026, 10, 2))
# (cluster, namespace, pod, container, node, ram cost)
MOCK = [
    ("cluster1", "namespace1", "pod1", "container1", "c1nodes", 11),
    ("cluster1", "namespace1", "pod-abc", "container2", "c1nodes", 1),
    ("cluster1", "namespace1", "pod-def", "container3", "c1nodes", 1),
    ("cluster1", "namespace2", "pod-ghi", "container4", "c1nodes", 1),
    ("cluster1", "namespace2", "pod-ghi", "container5", "c1nodes", 1),
    ("cluster1", "namespace2", "pod-jkl", "container6", "c1nodes", 1),
    ("cluster2", "namespace2", "pod-mno", "container4", "node1", 1),
    ("cluster2", "namespace2", "pod-mno", "container5", "node1", 1),
    ("cluster2", "namespace2", "pod-pqr", "container6", "node2", 1),
    ("cluster2", "namespace3", "pod-stu", "container7", "node2", 1),
    ("cluster2", "namespace3", "pod-vwx", "container8", "node3", 1),
    ("cluster2", "namespace3", "pod-vwx", "container9", "node3", 1),
]
IDLE = [
    ("cluster1", "c1nodes", "cpu", 5),
    ("cluster1", "c1nodes", "ram", 15),
    ("cluster2", "node1", "cpu", 5),
    ("cluster2", "node1", "ram", 5),
]


@pytest.fixture
def mock_set() -> None:
    settings = load_settings()
    hour = DAY.start + timedelta(hours=5)
    with writer(settings) as con:
        for cluster, ns, pod, container, node, ram in MOCK:
            con.execute(
                """INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod,
                       container, team, cpu_cost, ram_cost, gpu_cost, pv_cost, lb_cost,
                       network_cost, total_cost, billed_cpu_cost, billed_ram_cost,
                       billed_gpu_cost, billed_pv_cost, billed_lb_cost, billed_network_cost,
                       billed_total_cost, price_source)
                   VALUES ('mock', ?, ?, 'workload', ?, ?, ?, ?, NULL, 1, ?, 1, 1, 1, 1, ?,
                           1, ?, 1, 1, 1, 1, ?, 'bill')""",
                [cluster, hour, node, ns, pod, container, ram, 5 + ram, ram, 5 + ram],
            )
        for cluster, node, resource, cost in IDLE:
            con.execute(
                f"""INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod,
                       team, resource, {resource}_cost, total_cost, billed_{resource}_cost,
                       billed_total_cost, price_source)
                   VALUES ('mock', ?, ?, 'idle', ?, '__idle__', '__idle__', '__idle__', ?, ?, ?,
                           ?, ?, 'bill')""",
                [cluster, hour, node, resource, cost, cost, cost, cost],
            )


def _totals(**kwargs: object) -> dict[str, Decimal]:
    settings = load_settings()
    with reader(settings) as con:
        table = query_costs(con, window=DAY, settings=settings, **kwargs)  # type: ignore[arg-type]
    # Sharing never changes the grand total: 82 active + 30 idle (+ overhead).
    assert table.totals.total == sum((r.total for r in table.rows), Decimal(0))
    return {r.name: r.total for r in table.rows}


def test_1b_by_namespace_with_idle(mock_set: None) -> None:
    # 1b: namespace1 16+6+6 = 28; namespace2 6·6 = 36; namespace3 3·6 = 18; idle 5+15+5+5 = 30.
    assert _totals(group_by="namespace") == {
        "namespace1": Decimal(28),
        "namespace2": Decimal(36),
        "namespace3": Decimal(18),
        "__idle__": Decimal(30),
    }


def test_1a_1c_by_cluster_and_pod(mock_set: None) -> None:
    # OpenCost's Allocation API (AggregateBy cluster): idle is its own row
    assert _totals(group_by="cluster", view="allocation") == {
        "cluster1": Decimal(46),
        "cluster2": Decimal(36),
        "__idle__": Decimal(30),
    }
    # the asset view (Penny's default for clusters): each cluster with its own idle,
    # cluster1 46 + (5 + 15) = 66, cluster2 36 + (5 + 5) = 46 — same 112 in all
    assert _totals(group_by="cluster") == {
        "cluster1": Decimal(66),
        "cluster2": Decimal(46),
    }
    pods = _totals(group_by="pod")
    assert pods["namespace1/pod1"] == Decimal(16) and pods["namespace3/pod-vwx"] == Decimal(12)


def test_share_idle_by_node_keeps_each_nodes_idle_on_its_own_pods(mock_set: None) -> None:
    # Issue 10, defect 5. Grouped by node, a node's idle goes only to pods on that node
    # (OpenCost's idle-by-node sharing): c1nodes 46 + 20 = 66; node1 pod-mno 12 + 10 = 22;
    # node2 (pod-pqr 6 + pod-stu 6) and node3 (pod-vwx 12) have no idle to receive. Shared
    # by cluster instead, node1's 10 would have spread over node1..node3 (12 each):
    # 3.33 to each — another node's idle on pods that never ran there.
    want = {
        "c1nodes": Decimal(66),
        "node1": Decimal(22),
        "node2": Decimal(12),
        "node3": Decimal(12),
    }
    assert _totals(group_by="node", view="allocation", share_idle=True) == want
    # and the asset view (the default for node questions) gives each node the same
    assert _totals(group_by="node") == want


def test_3a_share_idle_weighted(mock_set: None) -> None:
    # 3a: namespace1 = 28 + 5·(3/6) + 15·(13/16) = 42.6875
    #     namespace2 = 36 + 5·(3/6) + 15·(3/16) + 5·(3/6) + 5·(3/6) = 46.3125
    #     namespace3 = 18 + 5·(3/6) + 5·(3/6) = 23.00
    assert _totals(group_by="namespace", share_idle=True) == {
        "namespace1": Decimal("42.6875"),
        "namespace2": Decimal("46.3125"),
        "namespace3": Decimal("23.00"),
    }


def test_4a_share_namespace3_even(mock_set: None) -> None:
    # 4a: namespace3's 18 split evenly: 28 + 9 = 37, 36 + 9 = 45; idle stays 30.
    assert _totals(group_by="namespace", shared_namespaces=["namespace3"], share_split="even") == {
        "namespace1": Decimal(37),
        "namespace2": Decimal(45),
        "__idle__": Decimal(30),
    }


def test_4b_share_namespace3_weighted(mock_set: None) -> None:
    # 4b: 28 + 18·28/64 = 35.875; 36 + 18·36/64 = 46.125.
    assert _totals(
        group_by="namespace", shared_namespaces=["namespace3"], share_split="weighted"
    ) == {"namespace1": Decimal("35.875"), "namespace2": Decimal("46.125"), "__idle__": Decimal(30)}


def test_4d_overhead_weighted(mock_set: None) -> None:
    # 4d: $7/h over 24 h = 168, weighted by cost before idle (82):
    # 28 + 168·28/82 = 85.366; 36 + 168·36/82 = 109.756; 18 + 168·18/82 = 54.878.
    got = _totals(group_by="namespace", overhead_hourly=Decimal(7), share_split="weighted")
    assert {k: round(v, 3) for k, v in got.items()} == {
        "namespace1": Decimal("85.366"),
        "namespace2": Decimal("109.756"),
        "namespace3": Decimal("54.878"),
        "__idle__": Decimal(30),
    }
    assert sum(got.values()) == Decimal(82 + 30 + 168)


def test_6g_share_idle_then_namespace1_weighted(mock_set: None) -> None:
    # 6g: namespace1 with its idle (42.6875) shared by pre-idle cost 36:18:
    # namespace2 = 46.3125 + 42.6875·36/54 = 74.7708; namespace3 = 23 + 42.6875·18/54 = 37.2292.
    got = _totals(group_by="namespace", share_idle=True, shared_namespaces=["namespace1"])
    assert {k: round(v, 4) for k, v in got.items()} == {
        "namespace2": Decimal("74.7708"),
        "namespace3": Decimal("37.2292"),
    }


def test_6b_share_idle_then_filter_namespace2(mock_set: None) -> None:
    # 6b: the filter applies after sharing, so namespace2 keeps its 46.3125.
    assert _totals(group_by="namespace", share_idle=True, filters={"namespace": "namespace2"}) == {
        "namespace2": Decimal("46.3125")
    }


def test_scope_hides_other_teams_idle_and_unallocated(mock_set: None) -> None:
    settings = load_settings()
    with reader(settings) as con:
        table = query_costs(
            con,
            window=DAY,
            group_by="namespace",
            settings=settings,
            scope=Scope(namespaces=["namespace3"], user="u"),
        )
    assert [(r.name, r.total) for r in table.rows] == [("namespace3", Decimal(18))]
