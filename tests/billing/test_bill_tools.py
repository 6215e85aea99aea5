"""explain_bill, compare_periods and detect_anomalies through the tool registry, as an LLM
would call them: validated arguments, bounded output, scope in SQL, errors that say how to
fix the call, and no_data (never zeros) for months without data."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.warehouse.db import writer
from tests.billing.bill_rows import anomaly_days, two_months
from tools.registry import ToolContext, call


@pytest.fixture
def ctx(penny_env) -> ToolContext:
    settings = load_settings(now=datetime(2026, 12, 5))
    with writer(settings) as con:
        two_months(con)
    return ToolContext.create(settings, Scope.everything())


def test_explain_bill_tool_returns_the_reconciled_month(ctx) -> None:
    result, _ = call("explain_bill", {"month": "2026-11", "compare": "2026-09", "top_n": 2}, ctx)
    assert result.ok and result.status == "success"
    data = result.to_json()["data"]
    assert data["totals"]["amortized"] == "1868.160000"
    assert data["reconciliation"]["reconciled"] is True
    v = data["variance"]
    assert v["change"] == "1486.640000"
    # 9 drivers in total (test_bill_explain: new, idle, credit, NAT, mix, plan, api usage,
    # tax, removed), 2 shown, 7 counted as more
    assert len(v["drivers"]) == 2 and v["more_drivers"] == 7
    # 1486.64 - 1600.00 (train-llm) - (-100.247887323943) (idle) = -13.112112676057
    # (tool output carries six places: -13.112113)
    assert v["other_drivers_amount"] == "-13.112113"
    assert v["drivers"][0]["subject"] == "ml/Job/train-llm (prod)"
    assert result.provenance.truncated and "billing_lines" in result.provenance.tables
    assert result.provenance.window["end"] == "2026-12-01T00:00:00Z"


def test_bad_arguments_come_back_as_fixable_errors(ctx) -> None:
    bad, _ = call("explain_bill", {"month": "7d"}, ctx)
    assert not bad.ok and "not a calendar month" in bad.error and "YYYY-MM" in bad.error
    worse, _ = call("explain_bill", {"month": "2026-13"}, ctx)
    assert not worse.ok and "Month 13 is not 1..12" in worse.error
    wrong_by, _ = call("compare_periods", {"a": "2026-09", "b": "2026-11", "by": "pod"}, ctx)
    assert not wrong_by.ok and "by:" in wrong_by.error and "'team'" in wrong_by.error
    missing, _ = call("compare_periods", {"a": "2026-09"}, ctx)
    assert not missing.ok and "b: Field required" in missing.error


def test_months_without_data_are_no_data_not_zero(ctx) -> None:
    result, _ = call("explain_bill", {"month": "2026-08"}, ctx)
    assert result.ok and result.status == "no_data" and result.data is None
    assert "No cost data for 2026-08" in result.error
    cmp, _ = call("compare_periods", {"a": "2026-10", "b": "2026-11"}, ctx)
    assert cmp.status == "no_data" and "No allocated cost in 2026-10" in cmp.error


def test_compare_periods_tool_groups_and_scope(ctx) -> None:
    result, _ = call("compare_periods", {"a": "2026-09", "b": "2026-11", "by": "namespace"}, ctx)
    data = result.to_json()["data"]
    assert [g["group"] for g in data["groups"]][:2] == ["ml", "__idle__"]
    assert sum(float(e["amount"]) for e in data["effects"]) == pytest.approx(1486.64)
    shop = ToolContext.create(ctx.settings, Scope(teams=["shop"], user="ana"))
    scoped, _ = call("compare_periods", {"a": "2026-09", "b": "2026-11"}, shop)
    sdata = scoped.to_json()["data"]
    # shop only: (60.48 + 75.60) - (34.56 + 57.60) = 43.92; no idle, no bill lines
    assert sdata["change"] == "43.920000"
    assert [g["group"] for g in sdata["groups"]] == ["shop"]
    assert scoped.provenance.filters["teams"] == ["shop"]
    # the earlier period is named as every footer names a window, not as a raw dict
    assert scoped.provenance.filters["compared_with"] == "2026-09"


def test_detect_anomalies_tool_finds_the_spike_and_says_nothing_on_quiet_days(penny_env) -> None:
    settings = load_settings(now=datetime(2026, 9, 14))
    with writer(settings) as con:
        anomaly_days(con)
    ctx = ToolContext.create(settings, Scope.everything())
    result, _ = call("detect_anomalies", {"window": "2026-08-31..2026-09-14", "by": "team"}, ctx)
    assert result.ok and result.status == "success"
    (a,) = result.to_json()["data"]["anomalies"]
    # ml on Thu 2026-09-10: 24 (steady) + 150 (10 GPUs × 5 h × 3.00) against 24 expected
    assert (a["group"], a["day"], a["excess"]) == ("ml", "2026-09-10", "150.000000")
    assert a["workloads"][0]["workload"] == "ml/Job/train-x"
    assert "MAD" in result.provenance.notes[0]
    quiet, _ = call("detect_anomalies", {"window": "2026-08-31..2026-09-10"}, ctx)
    assert quiet.ok and quiet.to_json()["data"]["anomalies"] == []
    no_history, _ = call("detect_anomalies", {"window": "2026-06"}, ctx)
    assert no_history.status == "no_data" and "No allocated cost" in no_history.error
