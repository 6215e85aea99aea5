"""The OpenCost-compatible API on the demo warehouse, asked as OpenCost's docs ask it.

Request forms follow OpenCost's API examples (``window=7d&aggregate=namespace``, steps,
``shareIdle``, RFC3339 windows, v2 filters); expected numbers are independent sums over
the warehouse, to the cent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.costs.assets import SPECIAL, asset_costs
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from assistant.windows import Window
from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, auth

pytestmark = pytest.mark.slow

OCTOBER = "2026-10-01T00:00:00Z,2026-11-01T00:00:00Z"
C = Decimal("0.01")


@pytest.fixture
def client(demo_settings: Settings) -> TestClient:
    return TestClient(create_app(demo_settings, engine="offline"))


def sums(settings: Settings, sql: str, params: list[Any]) -> dict[str, Decimal]:
    with reader(settings) as con:
        rows = con.execute(sql, params).fetchall()
    return {str(k): Decimal(v).quantize(C) for k, v in rows}


def by_namespace(settings: Settings, start: str, end: str) -> dict[str, Decimal]:
    """Σ total_cost per namespace (idle and unallocated rows are their own 'namespaces')."""
    return sums(
        settings,
        "SELECT namespace, sum(total_cost) FROM allocations WHERE hour >= ? AND hour < ? "
        "GROUP BY 1",
        [start, end],
    )


def cost_of(allocations: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(str(v["totalCost"])).quantize(C) for k, v in allocations.items()}


def total_of(allocations: dict[str, Any]) -> Decimal:
    """Σ totalCost as sent (six places), then to the cent."""
    return sum((Decimal(str(v["totalCost"])) for v in allocations.values()), Decimal(0)).quantize(C)


def test_allocation_by_namespace_is_penny_reconciled_and_totals_the_bill(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.get(
        "/allocation",
        params={"window": OCTOBER, "aggregate": "namespace", "accumulate": "true"},
        headers=auth(ADMIN_TOKEN),
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["code"], body["status"]) == (200, "success")
    (only,) = body["data"]
    assert cost_of(only) == by_namespace(demo_settings, "2026-10-01", "2026-11-01")
    (bill,) = sums(
        demo_settings,
        "SELECT 'x', sum(effective_cost) FROM billing_lines WHERE charge_period_start >= ? "
        "AND charge_period_start < ?",
        ["2026-10-01", "2026-11-01"],
    ).values()
    assert total_of(only) == bill  # every view totals to the bill
    payments = only["payments"]
    assert payments["properties"] == {"namespace": "payments"}
    assert payments["window"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}
    assert payments["minutes"] == 31 * 24 * 60
    parts = sum(
        Decimal(str(payments[f]))
        for f in (
            "cpuCost",
            "gpuCost",
            "ramCost",
            "pvCost",
            "networkCost",
            "loadBalancerCost",
            "sharedCost",
            "externalCost",
            "idleCost",
        )
    )
    assert abs(parts - Decimal(str(payments["totalCost"]))) <= Decimal("0.00001")


def test_steps_are_daily_sets_that_add_up_to_the_accumulated_one(
    client: TestClient, demo_settings: Settings
) -> None:
    # OpenCost's example: window=9d&step=3d&aggregate=namespace&accumulate=false → 3 sets
    params = {"window": "2026-11-01T00:00:00Z,2026-11-10T00:00:00Z", "aggregate": "namespace"}
    stepped = client.get(
        "/allocation", params={**params, "step": "3d"}, headers=auth(ADMIN_TOKEN)
    ).json()["data"]
    assert [s["payments"]["window"]["start"] for s in stepped] == [
        "2026-11-01T00:00:00Z",
        "2026-11-04T00:00:00Z",
        "2026-11-07T00:00:00Z",
    ]
    for part, (start, end) in zip(
        stepped,
        [("2026-11-01", "2026-11-04"), ("2026-11-04", "2026-11-07"), ("2026-11-07", "2026-11-10")],
        strict=True,
    ):
        assert cost_of(part) == by_namespace(demo_settings, start, end)
    one = client.get(
        "/allocation",
        params={**params, "step": "3d", "accumulate": "true"},
        headers=auth(ADMIN_TOKEN),
    ).json()["data"]
    assert len(one) == 1
    assert cost_of(one[0]) == by_namespace(demo_settings, "2026-11-01", "2026-11-10")


def test_a_team_token_gets_only_its_team_and_no_cluster_idle(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.get(
        "/allocation",
        params={"window": OCTOBER, "aggregate": "team"},
        headers=auth(PAYMENTS_TOKEN),
    )
    assert r.status_code == 200
    (only,) = r.json()["data"]
    expected = sums(
        demo_settings,
        "SELECT team, sum(total_cost) FROM allocations WHERE kind = 'workload' AND "
        "team = 'payments' AND hour >= '2026-10-01' AND hour < '2026-11-01' GROUP BY 1",
        [],
    )
    assert cost_of(only) == {"team=payments": expected["payments"]}
    # another team's name is not even confirmed to exist
    r = client.get(
        "/allocation",
        params={"window": OCTOBER, "aggregate": "namespace", "filter": 'team:"search"'},
        headers=auth(PAYMENTS_TOKEN),
    )
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "No team named 'search' in the cost data you may see."


def test_share_idle_moves_idle_into_workloads_and_keeps_the_total(
    client: TestClient, demo_settings: Settings
) -> None:
    def get(**extra: str) -> dict[str, Any]:
        params = {"window": OCTOBER, "aggregate": "namespace", **extra}
        return client.get("/allocation", params=params, headers=auth(ADMIN_TOKEN)).json()

    plain, shared = get(), get(shareIdle="true")
    assert "__idle__" in plain["data"][0] and "__idle__" not in shared["data"][0]
    assert shared["penny"]["sharing"]["share_idle"] is True
    assert total_of(shared["data"][0]) == total_of(plain["data"][0])
    idle_in = sum(Decimal(str(a["idleCost"])) for a in shared["data"][0].values())
    assert idle_in.quantize(C) == Decimal(str(plain["data"][0]["__idle__"]["totalCost"])).quantize(
        C
    )
    without = get(includeIdle="false")["data"][0]
    assert "__idle__" not in without and set(without) == set(plain["data"][0]) - {"__idle__"}


def test_idle_by_node_splits_idle_per_node(client: TestClient, demo_settings: Settings) -> None:
    r = client.get(
        "/allocation",
        params={"window": OCTOBER, "aggregate": "cluster", "idleByNode": "true"},
        headers=auth(ADMIN_TOKEN),
    )
    assert r.status_code == 200
    (only,) = r.json()["data"]
    idle = {
        k.removesuffix("/__idle__"): v for k, v in cost_of(only).items() if k.endswith("/__idle__")
    }
    expected = sums(
        demo_settings,
        "SELECT node, sum(total_cost) FROM allocations WHERE kind = 'idle' AND "
        "hour >= '2026-10-01' AND hour < '2026-11-01' GROUP BY 1",
        [],
    )
    assert idle == expected
    refused = client.get(
        "/allocation",
        params={"window": OCTOBER, "idleByNode": "true", "shareIdle": "true"},
        headers=auth(ADMIN_TOKEN),
    )
    assert refused.status_code == 400
    assert "Penny shares idle per cluster and resource" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"window": "60m", "step": "10m"}, 400, "step '10m' is not a whole number of hours."),
        ({"window": "30m"}, 400, "window '30m' is not a whole number of hours."),
        ({"window": "7d", "aggregate": "namespace,label:app"}, 400, "several dimensions"),
        ({"window": "7d", "filter": 'namespace:"a","b"'}, 400, "exactly one value"),
        ({"window": "7d", "shareIdle": "maybe"}, 400, "shareIdle='maybe' is not true or false."),
        ({"aggregate": "namespace"}, 422, "window"),
        ({"window": "2020-01-01T00:00:00Z,2020-01-02T00:00:00Z"}, 404, "No cost rows"),
    ],
)
def test_bad_or_unanswerable_requests_say_why(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    r = client.get("/allocation", params=params, headers=auth(ADMIN_TOKEN))
    assert r.status_code == status
    body = r.json()
    assert body["ok"] is False
    assert message in body["error"]["message"] + str(body["errors"])


def test_the_opencost_routes_need_a_token(client: TestClient) -> None:
    for path in ("/allocation", "/allocation/compute", "/assets", "/cloudCost"):
        r = client.get(path, params={"window": "7d"})
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"


def test_allocation_compute_is_the_same_route(client: TestClient) -> None:
    params = {"window": OCTOBER, "aggregate": "namespace"}
    a = client.get("/allocation", params=params, headers=auth(ADMIN_TOKEN)).json()
    b = client.get("/allocation/compute", params=params, headers=auth(ADMIN_TOKEN)).json()
    assert a["data"] == b["data"], [
        (k, f)
        for k in a["data"][0]
        for f in a["data"][0][k]
        if a["data"][0][k][f] != b["data"][0].get(k, {}).get(f)
    ]


def test_assets_are_node_costs_with_their_idle_for_admins_only(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.get("/assets", params={"window": OCTOBER}, headers=auth(ADMIN_TOKEN))
    assert r.status_code == 200
    data = r.json()["data"]
    # a node's cost is what allocation booked on it, PV/LB of its pods aside: its pods'
    # compute, its idle and its bill lines for hours no metrics saw it; estimates apart
    expected = sums(
        demo_settings,
        "SELECT cluster || '/' || node, sum(total_cost - pv_cost - lb_cost) FROM allocations "
        "WHERE node IS NOT NULL AND coalesce(price_source, 'bill') = 'bill' "
        "AND hour >= '2026-10-01' AND hour < '2026-11-01' GROUP BY 1",
        [],
    )
    assert {k: Decimal(str(v["totalCost"])).quantize(C) for k, v in data.items()} == expected
    idle = sums(
        demo_settings,
        "SELECT cluster || '/' || node, sum(total_cost) FROM allocations WHERE kind = 'idle' "
        "AND hour >= '2026-10-01' AND hour < '2026-11-01' GROUP BY 1",
        [],
    )
    for key, node in data.items():
        assert node["type"] == "Node" and node["properties"]["cluster"] == key.split("/")[0]
        assert Decimal(str(node["idleCost"])).quantize(C) == idle.get(key, Decimal("0.00"))
        # cpu + gpu + ram + adjustment (network, unobserved hours) = the node's cost
        fields = ("cpuCost", "gpuCost", "ramCost", "adjustment")
        parts = sum(Decimal(str(node[f])) for f in fields)
        assert abs(parts - Decimal(str(node["totalCost"]))) <= Decimal("0.00001")
    forbidden = client.get("/assets", params={"window": OCTOBER}, headers=auth(PAYMENTS_TOKEN))
    assert forbidden.status_code == 403
    assert "only administrators may read them" in forbidden.json()["error"]["message"]


def test_assets_node_totals_are_the_asset_views_and_their_bill_lines(
    client: TestClient, demo_settings: Settings
) -> None:
    """/assets and `penny assets` give each node the same total (its compute: the bill
    lines allocation matched to it), and list the same price-list estimates apart."""
    body = client.get("/assets", params={"window": OCTOBER}, headers=auth(ADMIN_TOKEN)).json()
    got = {k: Decimal(str(v["totalCost"])).quantize(C) for k, v in body["data"].items()}
    with reader(demo_settings) as con:
        view = asset_costs(
            con,
            window=Window(datetime(2026, 10, 1), datetime(2026, 11, 1)),
            by="node",
            settings=demo_settings,
        )
    rows = {f"{r.cluster}/{r.name.split('/')[-1]}": r for r in view.rows if r.name not in SPECIAL}
    assert got == {k: r.compute.quantize(C) for k, r in rows.items()}
    assert body["penny"]["estimated"] == {
        f"{r.cluster}/{r.name.split('/')[-1]}": float(r.compute.quantize(Decimal("0.000001")))
        for r in view.estimates
        if r.name not in SPECIAL
    }
    assert len(got) > 1 and sum(got.values()) > 0


def test_cloud_cost_by_service_totals_the_bill(client: TestClient, demo_settings: Settings) -> None:
    r = client.get(
        "/cloudCost", params={"window": OCTOBER, "aggregate": "service"}, headers=auth(ADMIN_TOKEN)
    )
    assert r.status_code == 200
    (item_set,) = r.json()["data"]["sets"]
    assert item_set["aggregationProperties"] == ["service"]
    got = {
        k: Decimal(str(v["amortizedNetCost"]["cost"])).quantize(C)
        for k, v in item_set["cloudCosts"].items()
    }
    total = sum(
        sums(
            demo_settings,
            "SELECT 'bill', sum(effective_cost) FROM billing_lines WHERE "
            "charge_period_start >= '2026-10-01' AND charge_period_start < '2026-11-01'",
            [],
        ).values()
    )
    assert abs(sum(got.values()) - total) <= Decimal("0.01") * len(got)
    for item in item_set["cloudCosts"].values():
        assert 0.0 <= item["netCost"]["kubernetesPercent"] <= 1.0
