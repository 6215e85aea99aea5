"""query_costs over the fixture warehouse (see conftest.py for the rows and their costs)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.scope import Scope
from tools.registry import ToolContext, call
from tools.result import ToolResult


def _call(settings: Settings, args: dict[str, Any], scope: Scope | None = None) -> ToolResult:
    result, _ = call("query_costs", args, ToolContext.create(settings, scope))
    return result


def _totals(result: ToolResult) -> dict[str, str]:
    return {r["name"]: r["total"] for r in result.to_json()["data"]["rows"]}


def test_by_namespace_for_a_month(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10", "group_by": "namespace"})
    assert result.ok and result.status == "success"
    # ml-serving 10.00 + 5.50 = 15.50; workloads first by cost, then idle and unallocated
    assert list(_totals(result).items()) == [
        ("ml-serving", "15.500000"),
        ("payments-prod", "7.250000"),
        ("checkout", "3.125000"),
        ("kube-system", "1.000000"),
        ("__idle__", "2.000000"),
        ("__unallocated__", "0.100000"),
    ]
    # the bill: 15.5 + 7.25 + 3.125 + 1 + 2 + 0.1 = 28.975
    assert result.data["totals"]["total"] == Decimal("28.975")
    assert result.provenance.window == {
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-11-01T00:00:00Z",
        "label": "2026-10",
    }
    assert result.provenance.cost_basis == "amortized (EffectiveCost)"
    assert "allocations" in result.provenance.tables and result.provenance.truncated is False
    assert result.provenance.freshness == "2026-11-01T00:05:00Z"  # the fixture's ingest


def test_top_n_folds_the_rest_into_and_n_more(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10", "top_n": 2})
    names = [r["name"] for r in result.data["rows"]]
    assert names[:3] == ["ml-serving", "payments-prod", "and 2 more"]
    # folded: checkout 3.125 + kube-system 1.00 = 4.125
    assert result.data["rows"][2]["total"] == Decimal("4.125")
    assert result.data["more"] == 2 and result.provenance.truncated is True
    assert result.data["totals"]["total"] == Decimal("28.975")  # nothing lost by folding


def test_team_scope_sees_only_its_workloads(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10"}, Scope(teams=["ml"], user="mia"))
    assert _totals(result) == {"ml-serving": "15.500000"}
    assert result.data["totals"]["total"] == Decimal("15.5")


def test_window_range_and_invoice_basis(warehouse: Settings) -> None:
    # 2026-10-01..2026-10-10 excludes recsys-api's Oct 20 row (5.50)
    result = _call(warehouse, {"window": "2026-10-01..2026-10-10"})
    assert _totals(result)["ml-serving"] == "10.000000"
    # invoice view: the ledger's BilledCost is 4.00 CPU + 2.25 RAM = 6.25 (amortized 7.25)
    invoice = _call(
        warehouse,
        {"window": "2026-10", "metric": "invoice", "filters": {"namespace": "payments-prod"}},
    )
    assert _totals(invoice)["payments-prod"] == "6.250000"
    assert invoice.provenance.cost_basis == "invoice (BilledCost)"


def test_unlabeled_share_by_team(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10", "group_by": "team"})
    assert _totals(result)["__unlabeled__"] == "1.000000"
    # coredns 1.00 of workload cost 15.5 + 7.25 + 3.125 + 1.00 = 26.875 -> 0.037209...
    assert result.data["unlabeled_cost"] == Decimal("1")
    assert abs(result.data["unlabeled_share"] - 1 / 26.875) < 1e-12


def test_unknown_namespace_suggests_closest(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10", "filters": {"namespace": "payments"}})
    assert result.ok is False
    assert "Did you mean: payments-prod?" in (result.error or "")


def test_controller_filter_needs_kind_and_says_so(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-10", "filters": {"controller": "recsys-api"}})
    assert result.ok is False and "Deployment/recsys-api" in (result.error or "")
    ok = _call(
        warehouse,
        {
            "window": "2026-10",
            "group_by": "controller",
            "filters": {"controller": "Deployment/recsys-api"},
        },
    )
    assert _totals(ok)["Deployment/recsys-api"] == "15.500000"


def test_other_teams_names_are_not_revealed(warehouse: Settings) -> None:
    result = _call(
        warehouse,
        {"window": "2026-10", "filters": {"namespace": "payments-prod"}},
        Scope(teams=["ml"]),
    )
    assert result.ok is False
    # the asked value is echoed once; the suggestions list only the team's own namespace
    assert (result.error or "").count("payments-prod") == 1
    assert "Known values: ml-serving." in (result.error or "")


def test_bad_window_and_group_by_say_how_to_fix(warehouse: Settings) -> None:
    bad_window = _call(warehouse, {"window": "october"})
    assert bad_window.ok is False and "YYYY-MM" in (bad_window.error or "")
    bad_group = _call(warehouse, {"window": "2026-10", "group_by": "teams"})
    assert bad_group.ok is False and "label:KEY" in (bad_group.error or "")
    bad_type = _call(warehouse, {"window": "2026-10", "top_n": "lots"})
    assert bad_type.ok is False and "top_n" in (bad_type.error or "")


def test_missing_period_is_no_data_not_zero(warehouse: Settings) -> None:
    result = _call(warehouse, {"window": "2026-09"})
    assert result.ok is True and result.status == "no_data" and result.data is None
    assert "2026-10-01 00:00 to 2026-10-20 04:00" in (result.error or "")


def test_no_warehouse_is_no_data(settings: Settings) -> None:
    result = _call(settings, {"window": "2026-10"})
    assert result.status == "no_data" and "penny allocate" in (result.error or "")
