"""explain_bill / compare_periods over a hand-built warehouse (tests/billing/bill_rows.py).

September 2026 (30 days) vs November 2026 (30 days), cluster `prod`; amounts by hand:
  Sep: web 34.56 + api 57.60 + old-batch 4.00 + idle 168.80 + 34.56 + EKS 72 - 10 + 20
       = 381.52
  Nov: web 60.48 + api 75.60 + train-llm 1600 + idle 82.80 + 17.28 + EKS 72 + NAT 45
       - 110 + 25 = 1868.16                                  change = +1486.64
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from assistant.billing import compare_periods, explain_bill
from assistant.billing.explain import BILL_GROUPS
from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window
from tests.billing.bill_rows import NOV, OCT, SEP, two_months

CENT = D("0.01")


def amounts(v) -> dict[str, D]:
    return {e.kind: e.amount for e in v.effects}


def test_a_comparison_has_the_group_table_it_was_asked_for(settings) -> None:
    """Every group dimension is a pass over every item: a comparison builds the table of
    ``by`` only, the bill (``BILL_GROUPS``) the four it prints; the groups add up to the
    change either way."""
    with reader(settings) as con:
        by_ns, wide = (
            compare_periods(
                con,
                month_window(2026, 9),
                month_window(2026, 11),
                by=by,
                scope=Scope.everything(),
                settings=settings,
                group_dims=dims,
            )
            for by, dims in (("namespace", None), ("workload", BILL_GROUPS))
        )
    assert list(by_ns.groups) == ["namespace"]
    assert list(wide.groups) == ["workload", *BILL_GROUPS]
    for v in (by_ns, wide):
        for rows in v.groups.values():
            assert sum((g.change for g in rows), D(0)) == v.change == D("1486.64")


def test_november_against_september_names_the_planted_drivers(settings) -> None:
    with reader(settings) as con:
        v = compare_periods(
            con,
            month_window(2026, 9),
            month_window(2026, 11),
            scope=Scope.everything(),
            settings=settings,
            top=30,
            group_dims=BILL_GROUPS,
        )
    assert (v.total_a, v.total_b, v.change) == (D("381.52"), D("1868.16"), D("1486.64"))
    e = amounts(v)
    assert e["new_workload"] == D("1600.00")  # train-llm: 800 GPU-h × 2.00
    assert e["removed_workload"] == D("-4.00")  # old-batch: 100 core-h × 0.04
    assert e["usage"] == D("28.80")  # api: +720 core-h × 0.04
    # savings plan from Nov 16: 1/3 of each covered hour's amortized cost (0.08 / 0.24):
    # web 43.20/3 = 14.40, api 32.40/3 = 10.80, idle 10.80/3 = 3.60 -> -28.80 = -Σ saving
    assert e["commitment"] == D("-28.80")
    # Idle m5.xlarge CPU is one item with two classes: A 4220 core-h on-demand (168.80) +
    # 2880 spot (34.56) = 7100 core-h at p̄_A = 203.36/7100; B 2160 on-demand + 1440 spot.
    # idle (usage at A's average price) = 3600 × 203.36/7100 - 203.36 = -100.247887323944
    assert e["idle"].quantize(CENT) == D("-100.25")
    # mix: web's fallback 1440 core-h × (0.04 - 0.012) = 40.32, plus idle's shift toward
    # on-demand: 2160 × 0.04 + 1440 × 0.012 - 3600 × 203.36/7100 = 0.567887323944
    assert e["mix"].quantize(CENT) == D("40.89")
    # idle's own effects: -103.28 in all, -3.60 of it the plan
    assert e["idle"] + (e["mix"] - D("40.32")) == D("-99.68")
    assert e["unallocated_service"] == D("45.00")  # NAT gateway 720 h × 0.0625
    assert e["credit"] == D("-100.00") and e["tax"] == D("5.00")
    # list prices did not change (what is left is 12th-decimal quantization dust)
    assert "calendar" not in e and abs(e.get("unit_price", D(0))) < D("1e-9")
    assert sum(e.values()) == v.change  # exactly, no residual
    web_mix = next(d for d in v.drivers if d.effect == "mix")
    assert web_mix.subject == "m5.xlarge nodes (prod)"
    assert {w["workload"]: w["amount"].quantize(CENT) for w in web_mix.evidence["workloads"]} == {
        "shop/Deployment/web": D("40.32"),
        "__idle__": D("0.57"),
    }
    gpu = v.drivers[0]
    assert (gpu.effect, gpu.team, gpu.amount) == ("new_workload", "ml", D("1600.00"))
    assert gpu.evidence["quantity_b"]["gpu_hours"] == D(800)
    assert gpu.evidence["node_hours_b"] == 100 and gpu.evidence["skus"] == ["on-demand p3.16xlarge"]
    teams = {g.group: g for g in v.groups["team"]}
    # shop: (60.48 + 75.60) - (34.56 + 57.60) = 43.92 = 28.80 + 40.32 - 14.40 - 10.80
    assert teams["shop"].change == D("43.92")
    services = {g.group: g.change for g in v.groups["service"]}
    assert services["NAT Gateway"] == D("45.00")
    # spot nodes: (17.28 + 17.28) - (34.56 + 34.56) = -34.56 (web's spot half + idle)
    assert services["nodes: spot m5.xlarge"] == D("-34.56")


def test_bill_totals_bridge_and_reconciliation_to_the_cent(settings) -> None:
    with reader(settings) as con:
        x = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=settings,
        )
    t = x.totals
    # invoice: node lines 115.20 + 0 (covered) + 34.56 + 1600 + purchase 86.40 + 72 + 45
    #          - 110 + 25 = 1868.16; amortized: 1868.16 with covered hours at 0.24 instead
    assert t.amortized == D("1868.16") and t.invoice == D("1868.16")
    bridge = {b.reason: b.amount for b in t.bridge}
    assert bridge["commitment purchases"] == D("86.40")  # billed, not amortized
    assert bridge["usage covered by commitments"] == D("-86.40")  # amortized, billed 0
    assert sum(bridge.values()) == t.difference == 0
    assert t.commitment_savings == D("28.80")  # 360 h × (0.32 - 0.24)
    # coverage: 86.40 / (1836.16 node usage + 72 + 45) = 4.42%
    assert t.commitment_coverage_pct == D("4.42")
    assert t.credits == D("-110.00") and t.tax == D("25.00")
    r = x.reconciliation
    assert r.reconciled and r.difference == 0
    assert (r.allocated, r.idle, r.unallocated) == (D("1736.08"), D("100.08"), D("32.00"))
    assert r.allocated + r.idle + r.shared + r.unallocated == r.bill_amortized
    assert x.variance is not None and x.variance.change == D("1486.64")
    assert "$1,868.16" in x.narrative and "train-llm" in x.narrative
    assert x.forecast is None and not x.partial


def test_default_comparison_is_the_previous_month_and_its_absence_is_said(settings) -> None:
    with reader(settings) as con:
        x = explain_bill(con, month_window(2026, 11), scope=Scope.everything(), settings=settings)
    assert x.variance is None  # October has no data: not zeros
    assert any("No allocated cost in 2026-10" in n for n in x.notes)
    assert OCT.month == 10


def test_month_without_data_is_a_data_gap(settings) -> None:
    with reader(settings) as con, pytest.raises(DataGap, match="No cost data for 2026-08"):
        explain_bill(con, month_window(2026, 8), scope=Scope.everything(), settings=settings)
    with reader(settings) as con, pytest.raises(InputError, match="has not started"):
        explain_bill(con, month_window(2027, 1), scope=Scope.everything(), settings=settings)


def test_partial_month_has_a_forecast_with_its_method(penny_env) -> None:
    s = load_settings(now=datetime(2026, 11, 11))
    with writer(s) as con:
        two_months(con, november_hours=240)
    with reader(s) as con:
        x = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=s,
        )
    assert x.partial and x.covered["end"] == "2026-11-11T00:00:00Z"
    f = x.forecast
    # MTD (240 h): 11.52 + 28.80 + 1600 + 48.00 + 11.52 + 24 + 15 - 110 + 25 = 1653.84
    assert f.month_to_date == D("1653.84")
    # hourly without the GPU job: web 0.048 + api 0.12 + idle 0.20 + 0.048 + EKS 0.10
    # + NAT 0.0625 = 0.5785; last 7 complete days (Nov 4..10): 7 × 24 × 0.5785 + 1600 (GPU
    # job, hours 100..199) = 1697.188
    assert f.daily_run_rate.quantize(D("1e-6")) == (D("1697.188") / 7).quantize(D("1e-6"))
    # forecast = 1653.84 + 20 days × 1697.188 / 7 = 6502.95
    assert f.forecast.quantize(CENT) == D("6502.95")
    assert "last 7 complete day(s)" in f.method and "20.00 days left" in f.method
    # 10 days against 30: the calendar effect scales September's continuing costs by 10/30
    v = x.variance
    assert v.days_b == 10 and sum(e.amount for e in v.effects) == v.change
    assert any("in progress" in n for n in v.notes)


def test_scope_is_enforced_in_sql(settings) -> None:
    shop = Scope(teams=["shop"], user="ana")
    with reader(settings) as con:
        x = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=shop,
            settings=settings,
        )
    assert x.totals is None and x.reconciliation is None
    assert x.allocated_total == D("136.08")  # web 60.48 + api 75.60
    assert x.variance.change == D("43.92")
    assert {g.group for g in x.variance.groups["team"]} == {"shop"}
    nobody = Scope(teams=["nobody"])
    with reader(settings) as con, pytest.raises(DataGap):
        explain_bill(con, month_window(2026, 11), scope=nobody, settings=settings)
    assert SEP < NOV


def test_a_cluster_appearing_mid_month_and_a_refund(penny_env) -> None:
    from tests.allocation.alloc_rows import mark_allocated
    from tests.billing.bill_rows import alloc, node, node_hours, unallocated_once

    s = load_settings(now=datetime(2026, 12, 5))
    with writer(s) as con:
        two_months(con)
        # cluster `dev` starts on Nov 16 (hour 360): one on-demand node, 4 cores at 0.05,
        # a 2-core Deployment on it (2 × 0.05 × 360 = 36.00) and 2 idle cores (36.00)
        node(con, "dev-1", "i-dev1", "on-demand", "m5.large", cluster="dev")
        node_hours(
            con,
            NOV,
            range(360, 720),
            "dev-1",
            "i-dev1",
            capacity="on-demand",
            itype="m5.large",
            cpu=4,
            cpu_price="0.05",
            list_hourly="0.20",
            cluster="dev",
        )
        alloc(
            con,
            NOV,
            range(360, 720),
            node="dev-1",
            namespace="sandbox",
            controller=("Deployment", "try"),
            team="dx",
            cpu=2,
            cpu_price="0.05",
            cluster="dev",
        )
        alloc(
            con,
            NOV,
            range(360, 720),
            kind="idle",
            node="dev-1",
            namespace="__idle__",
            team="__idle__",
            resource="cpu",
            cpu=2,
            cpu_price="0.05",
            cluster="dev",
        )
        # a refund booked as an Adjustment: -12.34
        unallocated_once(con, NOV, service="AWS refunds", amount="-12.34", category="Adjustment")
        mark_allocated(con, NOV, datetime(2026, 12, 1))  # these rows too, as allocate would
    with reader(s) as con:
        x = explain_bill(
            con,
            month_window(2026, 11),
            compare=month_window(2026, 9),
            scope=Scope.everything(),
            settings=s,
        )
    dev = next(r for r in x.reconciliation.rows if r.cluster == "dev")
    assert (dev.allocated, dev.idle, dev.total) == (D("36.00"), D("36.00"), D("72.00"))
    assert dev.note == "first data 2026-11-16 00:00 (appeared mid-period)"
    assert "Cluster dev: first data 2026-11-16 00:00 (appeared mid-period)." in x.notes
    # 1868.16 + 72.00 - 12.34 = 1927.82, and still equal to the bill to the cent
    assert x.totals.amortized == D("1927.82") and x.reconciliation.reconciled
    assert x.totals.adjustments == D("-12.34")
    assert {b.reason: b.amount for b in x.totals.bridge}["refunds and corrections"] == 0
    e = {f.kind: f.amount for f in x.variance.effects}
    assert e["adjustment"] == D("-12.34")
    # the dev workload is new (+36.00 on top of train-llm's 1600.00); dev's idle is idle
    assert e["new_workload"] == D("1636.00")
    assert sum(e.values()) == x.variance.change == D("1927.82") - D("381.52")
