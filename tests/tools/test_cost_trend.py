"""The cost_trend tool on the fixed tool warehouse (tests/tools/conftest.py, October 2026).

Rows used here (amortized total_cost): ml-serving (team ml) 10.00 on 10-03 and 5.50 on
10-20; payments-prod (team payments) 7.25 on 10-05 (invoice 6.25); checkout (team web)
3.125 on 10-07; kube-system 1.00 and idle 2.00 on 10-09; unallocated 0.10 on 10-01.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.core.scope import Scope
from tools.registry import REGISTRY, ToolContext, call, load_all

DOC = (Path(__file__).resolve().parents[2] / "docs" / "tools.md").read_text(encoding="utf-8")


def through_october(settings: Settings) -> Settings:
    """The fixture's data ends on 10-20: a free last hour of October makes the whole month
    data (a trend leaves time after the data's end out, as unknown rather than $0)."""
    from assistant.warehouse.db import writer
    from tests.tools.conftest import OCTOBER_LAST_HOUR, insert_allocations

    with writer(settings) as con:
        insert_allocations(con, [OCTOBER_LAST_HOUR])
    return settings


def run(settings: Settings, scope: Scope | None = None, **args: Any) -> dict[str, Any]:
    return call("cost_trend", args, ToolContext.create(settings, scope))[0].to_json()


def test_weekly_series_for_a_team(warehouse: Settings) -> None:
    warehouse = through_october(warehouse)
    r = run(warehouse, window="2026-10", bucket="week", filters={"team": "ml"})
    assert (r["ok"], r["status"]) == (True, "success")
    d = r["data"]
    # ISO weeks: Oct 1 (Thu) falls in the week of Mon 09-28; Oct 31 (Sat) in the week of 10-26
    assert [(b["start"], b["total"], b["partial"]) for b in d["buckets"]] == [
        ("2026-09-28", "10.000000", True),
        ("2026-10-05", "0.000000", False),
        ("2026-10-12", "0.000000", False),
        ("2026-10-19", "5.500000", False),
        ("2026-10-26", "0.000000", True),
    ]
    assert d["total"] == "15.500000"  # 10.00 + 5.50
    # three complete weeks: first 0, last 5.50, change +5.50 (no percent from 0)
    assert (
        d["facts"]["first"]["total"],
        d["facts"]["last"]["total"],
        d["facts"]["change"],
        d["facts"]["change_pct"],
    ) == ("0.000000", "5.500000", "5.500000", None)
    prov = r["provenance"]
    assert (prov["tables"], prov["filters"], prov["window"]["label"]) == (
        ["allocations"],
        {"team": "ml"},
        "2026-10",
    )
    assert prov["freshness"] == "2026-11-01T00:05:00Z"


def test_versus_gives_both_series_and_their_difference(warehouse: Settings) -> None:
    warehouse = through_october(warehouse)
    r = run(
        warehouse,
        window="2026-10",
        bucket="month",
        filters={"team": "ml"},
        versus={"team": "payments"},
    )
    d = r["data"]
    assert d["buckets"] == [
        {
            "start": "2026-10-01",
            "end": "2026-11-01",
            "partial": False,
            "groups": {"team=ml": "15.500000", "team=payments": "7.250000"},
            "difference": "8.250000",
        }
    ]  # 15.50 - 7.25
    assert [(s["name"], s["total"]) for s in d["series"]] == [
        ("team=ml", "15.500000"),
        ("team=payments", "7.250000"),
    ]
    assert (d["difference"], d["difference_of"]) == ("8.250000", "team=ml minus team=payments")
    assert r["provenance"]["filters"] == {"team": "ml", "versus": "team=payments"}


def test_invoice_basis_and_split(warehouse: Settings) -> None:
    r = run(warehouse, window="2026-10", bucket="month", split_by="team", top_n=2, basis="invoice")
    series = [(s["name"], s["total"]) for s in r["data"]["series"]]
    # invoice view: payments 6.25; top 2 = ml 15.50, payments 6.25; others web 3.125 +
    # __unlabeled__ 1.00 = 4.125; then idle 2.00 and unallocated 0.10
    assert series == [
        ("ml", "15.500000"),
        ("payments", "6.250000"),
        ("others", "4.125000"),
        ("__idle__", "2.000000"),
        ("__unallocated__", "0.100000"),
    ]
    assert r["data"]["total"] == "27.975000"  # 15.50+6.25+4.125+2.00+0.10
    assert r["provenance"]["truncated"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"window": "2026-01-01..2026-11-01"},
            "A daily series over 2026-01-01..2026-11-01 has 304 buckets; the limit is 92",
        ),
        ({"bucket": "hour"}, "bucket: Input should be 'day', 'week' or 'month'"),
        (
            {"filters": {"team": "mll"}},
            "No team named 'mll' in the cost data you may see. Did you mean: ml?",
        ),
        ({"versus": {"namespace": "nope"}}, "No namespace named 'nope'"),
        ({"split_by": "colour"}, "Unknown split_by 'colour'"),
        (
            {"filters": {"team": "ml"}, "versus": {"team": "web"}, "split_by": "namespace"},
            "versus and split_by cannot be combined",
        ),
        ({"filters": {"team": "ml"}, "versus": {"team": "ml"}}, "is the same as filters"),
        ({"top_n": 11}, "top_n: Input should be less than or equal to 10"),
        ({"window": "last-fortnight"}, "Cannot read window 'last-fortnight'"),
    ],
)
def test_bad_arguments_are_clear_errors(
    warehouse: Settings, args: dict[str, Any], message: str
) -> None:
    r = run(warehouse, **args)
    assert (r["ok"], r["status"]) == (False, "error")
    assert message in r["error"]


def test_empty_window_is_no_data_with_a_reason(warehouse: Settings) -> None:
    r = run(warehouse, window="2026-08")
    assert (r["ok"], r["status"], r["data"]) == (True, "no_data", None)
    assert r["error"].startswith("No cost rows in 2026-08: nothing was allocated there")


def test_no_warehouse_is_no_data(settings: Settings) -> None:
    r = run(settings, window="2026-10")
    assert r["status"] == "no_data" and "`penny demo`" in r["error"]


def test_scope_limits_the_series_to_the_askers_teams(warehouse: Settings) -> None:
    payments = Scope(teams=["payments"], user="pat")
    r = run(warehouse, payments, window="2026-10", bucket="month")
    assert r["data"]["total"] == "7.250000"  # no ml, idle or unallocated
    r = run(warehouse, payments, window="2026-10", filters={"team": "ml"})
    assert r["ok"] is False and "No team named 'ml'" in r["error"]


def test_registered_described_and_documented() -> None:
    spec = load_all()["cost_trend"]
    assert len(spec.description) > 200
    assert [f for f, info in spec.args_model.model_fields.items() if not info.description] == []
    section = DOC.split("\n## cost_trend\n", 1)[1].split("\n## ", 1)[0]
    assert [f for f in spec.args_model.model_fields if f"`{f}`" not in section] == []
    assert REGISTRY["cost_trend"].fn.__module__ == "tools.cost_trend"


def test_months_before_the_data_begins_are_left_out_not_zero(warehouse: Settings) -> None:
    warehouse = through_october(warehouse)
    # the fixture's data starts on 2026-10-01: August and September are unknown, not $0
    r = run(warehouse, window="2026-08-01..2026-11-01", bucket="month")
    d = r["data"]
    # every row of October: 10.00 + 5.50 + 7.25 + 3.125 + 1.00 + 2.00 + 0.10 = 28.975
    assert [(b["start"], b["total"], b["partial"]) for b in d["buckets"]] == [
        ("2026-10-01", "28.975000", False)
    ]
    assert any(
        "2 month(s) before it are left out, not counted as $0" in n
        for n in r["provenance"]["notes"]
    )
