"""`penny bill` and anomaly detection on the demo organisation name the planted drivers
(read from the demo's own truths.json, computed from the generator, not the warehouse)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from assistant.billing import compare_periods, detect_anomalies, explain_bill
from assistant.config import Settings, load_settings
from assistant.warehouse.db import reader
from assistant.windows import Window, month_window
from tools.result import Scope

CENT = D("0.01")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    try:
        from assistant.demo.run import build_demo
    except ImportError:
        pytest.skip("assistant.demo is not available")
    home = tmp_path_factory.mktemp("demo-home")
    settings = load_settings(home=home, db=home / "penny.duckdb",
                             now=datetime(2026, 11, 20))
    out = home / "demo"
    build_demo(settings, end=date(2026, 11, 20), out_dir=out, scale="small",
               use_prometheus=False)
    truths = json.loads((out / "truths.json").read_text(encoding="utf-8"))
    return settings, truths


def cents(value: str | D) -> D:
    return D(value).quantize(CENT)


def test_bill_names_the_planted_drivers_with_their_dollars(demo) -> None:
    settings, t = demo
    month, prev = t["generator"]["compare"]["month"], t["generator"]["compare"]["previous"]
    assert (month, prev) == ("2026-10", "2026-09")
    oct_, sep = month_window(2026, 10), month_window(2026, 9)
    with reader(settings) as con:
        expl = explain_bill(con, oct_, scope=Scope.everything(), settings=settings)
        v = compare_periods(con, sep, oct_, scope=Scope.everything(), settings=settings,
                            top=200)
    bill = t["bill"][month]
    assert cents(expl.totals.amortized) == cents(bill["effective_cost"])
    assert cents(expl.totals.invoice) == cents(bill["billed_cost"])
    assert expl.reconciliation.reconciled
    effects = {e.kind: e.amount for e in v.effects}
    assert sum(effects.values()) == v.change
    d = t["drivers"]
    # the savings plan from Oct 15: Σ (ListCost - EffectiveCost) of covered usage
    assert cents(-effects["commitment"]) == cents(d["savings_plan"]["savings"])
    assert cents(expl.totals.commitment_savings) == cents(d["savings_plan"]["savings"])
    assert cents(effects["credit"]) == cents(d["credit"]["amount"])
    assert cents(effects["tax"]) == cents(D(d["tax"][month]) - D(d["tax"][prev]))
    # spot -> on-demand fallback of the batch pool: on-demand cost - spot cost, same hours
    fb = d["spot_fallback"]
    mix = next(x for x in v.drivers if x.effect == "mix"
               and x.subject.startswith(f"{fb['instance_type']} nodes"))
    assert cents(mix.amount) == cents(fb["extra_cost"])
    # the new GPU job: its GPU-hours and node-hours; its share of the node's bill
    job = d["new_gpu_job"]
    new = next(x for x in v.drivers if x.effect == "new_workload"
               and f"{job['namespace']}/{job['kind']}/{job['workload']}" in x.subject)
    assert new.team == job["team"] and new is v.drivers[0]
    assert new.evidence["quantity_b"]["gpu_hours"] == job["gpu_hours"]
    assert new.evidence["node_hours_b"] == job["node_hours"]
    assert job["instance_type"] in new.evidence["skus"][0]
    assert 0 < new.amount <= D(job["bill_effective_cost"])
    # the replica scale-up: its requested core-hours before and after
    up = d["replica_scale_up"]
    usage = next(x for x in v.drivers if x.effect == "usage"
                 and f"{up['namespace']}/{up['kind']}/{up['workload']}" in x.subject)
    assert usage.amount > 0
    assert usage.evidence["quantity_a"]["core_hours"] == D(
        str(up["cpu_request_core_hours"][prev]))
    assert usage.evidence["quantity_b"]["core_hours"] == D(
        str(up["cpu_request_core_hours"][month]))
    # 31 days against 30 is said, not counted as growth
    assert any("covers 31 days and 2026-09 30" in n for n in v.notes)
    assert "llm-finetune" in expl.narrative


def test_anomalies_are_the_planted_spikes_and_nothing_else(demo) -> None:
    settings, t = demo
    window = Window(datetime(2026, 10, 1), datetime(2026, 11, 20))
    planted_causes = {"ml-training/Job/llm-finetune", "research/Pod/jupyter-dana",
                      "analytics/Job/data-backfill", "bill: AWS Data Transfer",
                      "bill: Amazon Virtual Private Cloud"}
    found = {}
    with reader(settings) as con:
        for by in ("team", "namespace", "service"):
            found[by] = detect_anomalies(con, window=window, by=by,
                                         scope=Scope.everything(), settings=settings)
    for spike in t["anomalies"]:
        hits = [a for a in found[spike["group_by"]]
                if a.group == spike["group"] and a.day <= spike["date"] <= (a.last_day or a.day)]
        assert len(hits) == 1 and hits[0].direction == "spike", spike
    backfill = next(a for a in found["team"] if a.group == "data")
    assert backfill.workloads[0]["workload"] == "analytics/Job/data-backfill"
    egress = next(a for a in found["service"] if a.group == "AWS Data Transfer")
    assert cents(egress.actual) >= cents(t["anomalies"][1]["data_transfer_cost"])
    for quiet in t["quiet"]:
        assert [a for a in found[quiet["group_by"]] if a.group == quiet["group"]] == []
    # nothing else: every anomaly is explained first by a planted workload or bill line
    for by, anomalies in found.items():
        for a in anomalies:
            assert a.workloads[0]["workload"] in planted_causes, (by, a.group, a.day)
