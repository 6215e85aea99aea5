"""GET /v1/costs, /v1/bill, the bill charts, /healthz and /metrics on the demo warehouse."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.interfaces.api import create_app
from assistant.warehouse.db import reader
from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, auth

pytestmark = pytest.mark.slow


@pytest.fixture
def client(demo_settings: Settings) -> TestClient:
    return TestClient(create_app(demo_settings, engine="offline"))


def by_team(settings: Settings, month: str) -> dict[str, Decimal]:
    """Σ total_cost per team of workload rows in ``month`` (the independent answer)."""
    with reader(settings) as con:
        rows = con.execute(
            "SELECT team, sum(total_cost) FROM allocations WHERE kind = "
            "'workload' AND strftime(hour, '%Y-%m') = ? GROUP BY 1",
            [month],
        ).fetchall()
    return {team: Decimal(total) for team, total in rows}


def test_costs_json_matches_the_warehouse_and_totals_the_bill(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.get(
        "/v1/costs", params={"window": "2026-10", "by": "team"}, headers=auth(ADMIN_TOKEN)
    )
    assert r.status_code == 200
    body = r.json()
    workload = {
        row["name"]: Decimal(row["total"]) for row in body["rows"] if row["kind"] == "workload"
    }
    assert workload == by_team(demo_settings, "2026-10")
    assert "E-" not in r.text  # plain decimals, never 0E-12
    with reader(demo_settings) as con:
        (bill,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE strftime(hour, '%Y-%m') = '2026-10'"
        ).fetchone()
    # workload + __idle__ + __unallocated__ rows = every allocation row = the bill
    assert Decimal(body["totals"]["total"]) == Decimal(bill)


def test_costs_csv_for_a_team_token_holds_only_its_team(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.get(
        "/v1/costs",
        params={"window": "2026-10", "by": "team", "format": "csv"},
        headers=auth(PAYMENTS_TOKEN),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["name"] for row in rows] == ["payments", "TOTAL"]
    assert Decimal(rows[0]["total"]) == by_team(demo_settings, "2026-10")["payments"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"window": "zzz"}, "Cannot read window 'zzz'."),
        ({"by": "colour"}, "Unknown group_by 'colour'."),
        ({"filter": "team"}, "filter 'team' is not KEY=VALUE."),
    ],
)
def test_costs_bad_parameters_are_400(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    r = client.get("/v1/costs", params=params, headers=auth(ADMIN_TOKEN))
    assert r.status_code == 400
    assert r.json()["ok"] is False
    assert r.json()["error"]["message"] == message


def test_costs_wrong_type_parameter_is_422(client: TestClient) -> None:
    r = client.get("/v1/costs", params={"top": "five"}, headers=auth(ADMIN_TOKEN))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "top"


def test_bill_in_three_formats(client: TestClient, demo_settings: Settings) -> None:
    md = client.get("/v1/bill/2026-10", headers=auth(ADMIN_TOKEN))
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Bill for 2026-10")
    js = client.get("/v1/bill/2026-10", params={"format": "json"}, headers=auth(ADMIN_TOKEN))
    data = js.json()
    assert data["month"]["label"] == "2026-10"
    with reader(demo_settings) as con:
        (amount,) = con.execute(
            "SELECT sum(effective_cost) FROM billing_lines WHERE "
            "strftime(charge_period_start, '%Y-%m') = '2026-10'"
        ).fetchone()
    assert Decimal(data["totals"]["amortized"]) == amount
    assert f"${amount.quantize(Decimal('0.01')):,}" in md.text
    html = client.get("/v1/bill/2026-10", params={"format": "html"}, headers=auth(ADMIN_TOKEN))
    assert html.headers["content-type"].startswith("text/html")
    assert len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html.text)) == 2


def test_team_token_gets_its_own_slice_of_the_bill(
    client: TestClient, demo_settings: Settings
) -> None:
    data = client.get(
        "/v1/bill/2026-10", params={"format": "json"}, headers=auth(PAYMENTS_TOKEN)
    ).json()
    assert data["scope"] == "team payments"
    assert data["totals"] is None  # no org-wide totals for a team
    assert Decimal(data["allocated_total"]) == by_team(demo_settings, "2026-10")["payments"]


def test_bill_charts_as_svg_and_png(client: TestClient) -> None:
    svg = client.get("/v1/bill/2026-10/charts/daily_by_team.svg", headers=auth(ADMIN_TOKEN))
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content[:400]
    png = client.get("/v1/bill/2026-10/charts/waterfall.png", headers=auth(ADMIN_TOKEN))
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = client.get("/v1/bill/2026-10/charts/pie.svg", headers=auth(ADMIN_TOKEN))
    assert bad.status_code == 400 and "daily_by_team.svg" in bad.json()["error"]["hint"]
    future = client.get("/v1/bill/2031-10", headers=auth(ADMIN_TOKEN))
    assert future.status_code == 400
    assert future.json()["error"]["message"].startswith("2031-10 has not started yet")


def test_healthz_and_metrics_count_requests_and_answers(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "ok": True,
        "status": "ok",
        "version": client.app.version,  # type: ignore[attr-defined]
        "warehouse": True,
        "slack": "off",
    }
    client.post(
        "/v1/chat",
        json={"message": "how much did team payments cost in October"},
        headers=auth(PAYMENTS_TOKEN),
    )
    client.post("/v1/chat", json={"message": ""}, headers=auth(PAYMENTS_TOKEN))
    client.get("/v1/costs", headers={})
    text = client.get("/metrics").text
    lines = set(text.splitlines())
    assert 'penny_http_requests_total{method="POST",route="/v1/chat",status="200"} 1' in lines
    assert 'penny_http_requests_total{method="POST",route="/v1/chat",status="422"} 1' in lines
    assert 'penny_http_requests_total{method="GET",route="/v1/costs",status="401"} 1' in lines
    assert 'penny_answers_total{channel="api",engine="offline",user="pat"} 1' in lines
    assert 'penny_http_request_duration_seconds_count{route="/v1/chat"} 2' in lines
    assert "# TYPE penny_http_request_duration_seconds histogram" in lines
    assert 'penny_http_request_duration_seconds_bucket{route="/v1/chat",le="+Inf"} 2' in lines


def test_costs_for_a_window_with_no_data_is_404_with_a_reason(client: TestClient) -> None:
    # Unknown is not zero: an empty period answers no_data and says how to fill it.
    r = client.get("/v1/costs", params={"window": "2031-01"}, headers=auth(ADMIN_TOKEN))
    assert r.status_code == 404
    body = r.json()
    assert body["ok"] is False
    assert body["error"]["message"].startswith("No cost rows in 2031-01. Cost data covers ")
    assert "penny allocate" in body["error"]["hint"]
