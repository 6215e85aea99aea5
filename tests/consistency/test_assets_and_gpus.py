"""Node and cluster assets equal their bill lines; GPU costs agree across tools; estimates
stay apart (issue 10, "what done looks like").

The churn scenario's generator knows, from the lines it wrote, what each node and the
cluster cost each month: a node's compute in the asset view (its pods, its idle and its
lines for hours no metrics saw it) must be exactly Σ of its lines, whether it left at
14:59:55 (a boundary hour with metrics and no line) or started at 14:57:30 (a line for an
hour no metrics saw); the cluster's row is every line attributable to it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.capabilities.costs import CostsRequest, costs
from assistant.capabilities.rightsizing import GpuRequest, gpu
from assistant.costs.assets import asset_costs
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tests.consistency.scenario import CLUSTER
from tests.consistency.views import Warehouse

pytestmark = pytest.mark.slow
CENT = Decimal("0.01")


def _assets(wh: Warehouse, month: str, by: str) -> dict[str, object]:
    s = wh.settings()
    with reader(s) as con:
        table = asset_costs(
            con,
            window=parse_window(month, now=s.current_time()),
            by=by,
            settings=s,  # type: ignore[arg-type]
        )
    return {"rows": {r.name: r for r in table.rows}, "estimates": table.estimates}


@pytest.mark.parametrize("month", ["2026-08", "2026-09"])
def test_each_node_and_the_cluster_cost_exactly_their_bill_lines(
    churn_wh: Warehouse, month: str
) -> None:
    truth = churn_wh.extra["truth"]
    nodes = _assets(churn_wh, month, "node")
    rows = nodes["rows"]
    assert set(truth.nodes[month]) <= set(rows)  # type: ignore[arg-type]
    for node, lines in truth.nodes[month].items():
        assert rows[node].compute == lines, (month, node)  # type: ignore[index]
    clusters = _assets(churn_wh, month, "cluster")["rows"]
    assert clusters[CLUSTER].total == truth.clusters[month][CLUSTER]  # type: ignore[index]


def test_boundary_and_unobserved_hours_land_on_their_node(churn_wh: Warehouse) -> None:
    """gen-b started 14:57:30 on Aug 10: 150 s of its first hour are billed before metrics
    see it; that line is part of what gen-b cost (``other``), not a mystery."""
    rows = _assets(churn_wh, "2026-08", "node")["rows"]
    # 0.384 $/h × 150 s / 3600 s = 0.016 $
    assert rows["gen-b"].parts["other"] == Decimal("0.0160000000")  # type: ignore[index]
    s = churn_wh.settings()
    with reader(s) as con:
        boundary = con.execute(
            "SELECT price_source, node_cost FROM node_cost_hours WHERE node = 'gen-a' "
            "AND hour = '2026-08-10 15:00:00'"
        ).fetchall()
    # gen-a ended 14:59:55; its last sample (14:59:40) put it in the 15:00 hour: the bill's 0
    assert boundary == [("bill", Decimal(0))]


def test_an_unbilled_node_is_an_estimate_never_in_a_total(churn_wh: Warehouse) -> None:
    sep = _assets(churn_wh, "2026-09", "node")
    assert "edge-1" not in sep["rows"]  # type: ignore[operator]
    assert "edge-1" in {r.name for r in sep["estimates"]}  # type: ignore[attr-defined]
    report = costs(CostsRequest(window="2026-09", group_by="namespace"), churn_wh.ctx())
    assert report.estimated_total > 0
    assert report.totals.total.quantize(CENT) == churn_wh.bill["2026-09"]["amortized"].quantize(
        CENT
    )


def test_a_pods_volume_is_on_its_node_as_it_moves(churn_wh: Warehouse) -> None:
    """db/postgres-0 moved gen-a → gen-b → gen-c with its 100 GiB volume (0.2630136986 a
    day, prorated hourly): by node its PV cost is on the node it ran on, never
    __no_node__; the unattached volume is __unmounted__."""
    report = costs(
        CostsRequest(window="2026-08", group_by="node", view="allocation"), churn_wh.ctx()
    )
    pv = {r.name: r.pv for r in report.rows if r.pv}
    assert {"gen-a", "gen-b", "gen-c", "__unmounted__"} <= set(pv)
    assert "__no_node__" not in pv


@pytest.mark.parametrize("which", ["demo", "churn"])
def test_gpu_costs_agree_across_tools(request: pytest.FixtureRequest, which: str) -> None:
    wh: Warehouse = request.getfixturevalue(f"{which}_wh")
    for month in wh.months:
        column = costs(CostsRequest(window=month, group_by="namespace"), wh.ctx()).totals.gpu
        for by in ("workload", "node", "team", "model"):
            report = gpu(GpuRequest(window=month, by=by, top_n=3), wh.ctx())
            # the GPU tool's total and its rows (the rest folded into one) = the GPU column
            assert Decimal(report.cost_total or "0").quantize(CENT) == column.quantize(CENT)
            rows = sum(Decimal(str(r["cost"])) for r in report.rows)
            assert rows.quantize(CENT) == column.quantize(CENT), (month, by)
        # and by node, each GPU node's row is that node's GPU cost in the asset view
        nodes = _assets(wh, month, "node")["rows"]
        for row in gpu(GpuRequest(window=month, by="node", top_n=100), wh.ctx()).rows:
            node = nodes[row["node"].split("/", 1)[1]]  # type: ignore[index]
            want = node.parts["gpu"] + node.parts["idle_gpu"]
            assert Decimal(str(row["cost"])).quantize(CENT) == want.quantize(CENT), row


def test_the_mig_node_counts_eight_gpus(churn_wh: Warehouse) -> None:
    s = churn_wh.settings()
    with reader(s) as con:
        counts = con.execute(
            "SELECT DISTINCT gpu_count FROM node_hours WHERE node = 'gpu-1'"
        ).fetchall()
    assert counts == [(8.0,)]  # 7 × nvidia.com/gpu + 7 × mig-1g.5gb (one A100) = 8
