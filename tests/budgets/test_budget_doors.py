"""Budgets where people look — `penny costs`, `penny bill`, `GET /v1/budgets` — with the
same numbers from the one ``budget_status``.

The steady November (tests/budgets/steady_month.py) up to Nov 21 00:00 (480 hours), now
= Nov 21 00:00: 20 days × $24 = payments $480 (80.00 % of $600, $120 left), 20 × $6 =
data $120 (33.33 % of $360), 20 × $36 = the bill $720 (66.67 % of $1,080). Forecasts:
$720 (-$120 after it), $180 ($180 after it), $1,080 ($0 after it).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from tests.budgets.steady_month import BUDGETS, CELLS_NOV_21, steady_november
from tests.interfaces.conftest import ADMIN_TOKEN, PAYMENTS_TOKEN, auth, tokens

NOW = datetime(2026, 11, 21)
ROWS = {k: "| " + " | ".join(cells) + " |" for k, cells in CELLS_NOV_21.items()}


@pytest.fixture
def settings(penny_env: Path) -> Settings:
    (penny_env / "config.yaml").write_text(
        yaml.safe_dump({"budgets": BUDGETS, "now": NOW.isoformat()}), encoding="utf-8"
    )
    s = load_settings()
    steady_november(s, hours=480)
    return s


def _cli(*args: str) -> str:
    from assistant.cli import _load_commands, app

    _load_commands([args[0]])
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _row_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│|").split("│")]


def test_costs_shows_the_budgets_of_its_slice(settings: Settings) -> None:
    out = _cli("costs", "--window", "2026-11", "--by", "team")
    # the table's TOTAL is the bill to date, $720.00, and so is the total budget's spend
    assert "Budgets, 2026-11" in out
    lines = [_row_cells(x) for x in out.splitlines() if x.startswith("│")]
    budget_rows = [c for c in lines if c[0] in ("total", "team payments", "team data")]
    assert budget_rows == [CELLS_NOV_21[k] for k in ("total", "payments", "data")]
    assert "team payments: owned by Pat" in out

    data = json.loads(_cli("costs", "--window", "2026-11", "--filter", "team=payments", "--json"))
    (pay,) = data["budgets"]
    assert D(data["totals"]["total"]) == D(pay["spent"]) == D("480")
    assert (D(pay["remaining"]), D(pay["spent_pct"]), D(pay["forecast"]["forecast"])) == (
        D("120"),
        D("80.00"),
        D("720"),
    )
    # slices no budget measures: another dimension's filter, a window that is not a month
    assert "budgets" not in json.loads(
        _cli("costs", "--window", "2026-11", "--filter", "namespace=pay", "--json")
    )
    assert "budgets" not in json.loads(_cli("costs", "--window", "7d", "--json"))
    assert "budgets" not in json.loads(
        _cli("costs", "--window", "2026-11-02..2026-11-09", "--filter", "team=data", "--json")
    )
    # the month to date is the same month's budget: this-month = Nov 1 .. Nov 21 00:00
    (data_budget,) = json.loads(
        _cli("costs", "--window", "this-month", "--filter", "team=data", "--json")
    )["budgets"]
    assert (data_budget["scope"], D(data_budget["spent"])) == ("team:data", D("120"))


def test_costs_by_a_dimension_without_budgets_shows_only_the_total(settings: Settings) -> None:
    data = json.loads(_cli("costs", "--window", "2026-11", "--by", "controller", "--json"))
    assert [b["scope"] for b in data["budgets"]] == ["total"]


def test_bill_has_the_months_budgets(settings: Settings) -> None:
    md = _cli("bill", "2026-11").splitlines()
    at = md.index("## Budgets")
    assert md[at + 2 : at + 7] == [
        "| Budget | Monthly | Spent | Used | Remaining | Forecast | After forecast | Status |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        ROWS["total"],
        ROWS["payments"],
        ROWS["data"],
    ]
    html = _cli("bill", "2026-11", "--format", "html")
    assert "<h2>Budgets</h2>" in html and "<td>$480.00</td>" in html
    data = json.loads(_cli("bill", "2026-11", "--format", "json"))
    assert [(b["scope"], D(b["spent"])) for b in data["budgets"]] == [
        ("total", D("720")),
        ("team:payments", D("480")),
        ("team:data", D("120")),
    ]


def _api(settings: Settings) -> TestClient:
    served = settings.model_copy(
        update={"server": load_settings(server={"tokens": tokens()}).server}
    )
    return TestClient(create_app(served, engine="offline"))


def test_v1_budgets_is_scoped_and_exact(settings: Settings) -> None:
    with _api(settings) as client:
        admin = client.get("/v1/budgets", headers=auth(ADMIN_TOKEN)).json()
        team = client.get("/v1/budgets", headers=auth(PAYMENTS_TOKEN)).json()
        bill = client.get("/v1/bill/2026-11?format=md", headers=auth(PAYMENTS_TOKEN)).text
        other = client.get(
            "/v1/budgets", params={"budget": "team:data"}, headers=auth(PAYMENTS_TOKEN)
        )
        bad = client.get("/v1/budgets", params={"month": "2026-13"}, headers=auth(ADMIN_TOKEN))
    assert admin["ok"] and admin["month"]["label"] == "2026-11" and not admin["complete"]
    assert [(b["scope"], b["spent"], b["verdict"]) for b in admin["budgets"]] == [
        ("total", "720.000000000000", "within"),
        ("team:payments", "480.000000000000", "forecast over"),
        ("team:data", "120.000000000000", "within"),
    ]
    assert admin["table"]["rows"] == [CELLS_NOV_21[k] for k in ("total", "payments", "data")]
    # a payments token: its own budget only, the others counted, never named
    assert [b["scope"] for b in team["budgets"]] == ["team:payments"]
    assert team["not_visible"] == 2 and "team:data" not in json.dumps(team)
    assert ROWS["payments"] in bill.splitlines() and "| team data |" not in bill
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "no_data"
    assert other.json()["error"]["message"] == (
        "No budget matching team:data that you may see (3 configured)."
    )
    assert bad.status_code == 400 and bad.json()["ok"] is False


def test_v1_budgets_without_budgets_says_how_to_add_one(penny_env: Path) -> None:
    s = load_settings(now=NOW)
    steady_november(s, hours=24)
    with _api(s) as client:
        r = client.get("/v1/budgets", headers=auth(ADMIN_TOKEN))
    body: dict[str, Any] = r.json()
    assert r.status_code == 404 and body["ok"] is False
    assert body["error"]["message"].startswith("No budgets are configured.")
    assert "budgets: [{scope: total, monthly: 30000}" in body["error"]["message"]


def test_v1_costs_and_the_query_costs_tool_carry_the_budgets_of_their_slice(
    settings: Settings,
) -> None:
    from tools.registry import ToolContext, call

    with _api(settings) as client:
        admin = client.get(
            "/v1/costs", params={"window": "2026-11", "by": "team"}, headers=auth(ADMIN_TOKEN)
        ).json()
        team = client.get(
            "/v1/costs", params={"window": "2026-11", "by": "team"}, headers=auth(PAYMENTS_TOKEN)
        ).json()
        week = client.get(
            "/v1/costs", params={"window": "7d", "by": "team"}, headers=auth(ADMIN_TOKEN)
        ).json()
    # the same three budgets and spends as `penny costs` and /v1/budgets: 20 days of
    # $36 (the bill), $24 (payments) and $6 (data) a day
    assert [(b["scope"], D(b["spent"])) for b in admin["budgets"]] == [
        ("total", D("720")),
        ("team:payments", D("480")),
        ("team:data", D("120")),
    ]
    assert D(admin["totals"]["total"]) == D(admin["budgets"][0]["spent"])
    # a payments token sees its own budget, never the others'
    assert [b["scope"] for b in team["budgets"]] == ["team:payments"]
    assert "team:data" not in json.dumps(team)
    assert "budgets" not in week  # seven days are no month a budget measures

    result, _ = call(
        "query_costs",
        {"window": "2026-11", "group_by": "team", "filters": {"team": "payments"}},
        ToolContext.create(settings),
    )
    assert result.ok, result.error
    (pay,) = result.data["budgets"]
    assert (pay["scope"], D(pay["spent"]), D(pay["remaining"])) == (
        "team:payments",
        D("480"),
        D("120"),
    )
