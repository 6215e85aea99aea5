"""recommend(): savings by hand, ranking, HPA co-tuning, node effects, scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.core.money import cents
from assistant.core.scope import Scope
from assistant.rightsizing.hpa import co_tune
from assistant.rightsizing.recommend import fleet_effect, recommend
from assistant.rightsizing.savings import nodes_freed, severity
from tests.rightsizing.rs_fixtures import GIB, MIB, NOW, Warehouse


def plant(wh: Warehouse) -> None:
    wh.node("n1", hours=24, cpu_price=0.04, ram_price=0.005)
    # shop/api: Deployment, 2 replicas, requests 1 core / 1 GiB, uses ≤ 0.2 core / 400 MiB
    for pod in ("api-1", "api-2"):
        wh.pod("shop", pod, "Deployment", "api")
        wh.team("shop", pod, "payments")
        wh.container_series(
            "shop", pod, "api", cpu_max=[0.2] * 24, ram_max=[300 * MIB] * 23 + [400 * MIB]
        )
    # batch/report: CronJob, requests 0.1 core / 128 MiB, uses 0.09 / 100 MiB
    wh.pod("batch", "report-1", "CronJob", "report")
    wh.team("batch", "report-1", "data")
    wh.container_series(
        "batch",
        "report-1",
        "main",
        cpu_max=[0.09] * 24,
        ram_max=[100 * MIB] * 24,
        cpu_request=0.1,
        ram_request=128 * MIB,
        ram_limit=128 * MIB,
    )
    # new/fresh: only 5 hours of history
    wh.pod("shop", "fresh-1", None, None)
    wh.container_series("shop", "fresh-1", "web", cpu_max=[0.1] * 5, ram_max=[50 * MIB] * 5)


def test_savings_by_hand_and_ranking(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    recs = recommend(wh.con, scope=Scope.everything(), settings=settings)
    assert [r.workload for r in recs] == [
        "shop/Deployment/api",
        "batch/CronJob/report",
        "shop/Pod/fresh-1",
    ]
    api = recs[0]
    assert api.replicas == 2.0  # 48 running hours / 24-hour span
    assert api.team == "payments"
    c = api.containers[0]
    assert c.proposed == {
        "cpu_request": 0.2,
        "cpu_limit": None,
        "ram_request": 460 * MIB,
        "ram_limit": 460 * MIB,
    }
    # current  = (1 core × 0.04 + 1 GiB × 0.005) × 2 replicas × 730 h = 65.70
    # proposed = (0.2 × 0.04 + 460/1024 GiB × 0.005) × 2 × 730
    #          = (0.008 + 0.00224609375) × 1460 = 14.959296875
    assert cents(api.current_monthly) == Decimal("65.70")
    assert api.proposed_monthly == pytest.approx(Decimal("14.959296875"), abs=Decimal("1e-9"))
    assert cents(api.monthly_savings) == Decimal("50.74")
    assert api.severity == "medium"
    assert api.price_source == "allocation"
    report = recs[1]
    # 0.09 → 90m; 100 MiB × 1.15 = 115 MiB: (0.1 − 0.09) × 0.04 + (128 − 115)/1024 × 0.005
    # = 0.0004 + 0.000063476… = 0.000463476 $/h, over its one 24-hour run = 0.0111 $.
    # One run of a CronJob gives no schedule: the saving is per run, nothing a month
    # (before: priced as if it ran 730 h a month, 0.34 $/month)
    assert (report.disposition.kind, report.disposition.runs) == ("schedule", 1)
    assert report.monthly_savings == 0
    assert cents(report.window_savings) == Decimal("0.01")
    assert report.severity == "low"
    assert recs[2].status == "not_enough_data"
    assert recs[2].monthly_savings == 0
    d = api.to_dict()
    assert d["monthly_savings"] == "50.74"
    assert d["containers"][0]["evidence"]["cpu_p95_cores"] == pytest.approx(0.2)


def test_scope_and_namespace_filter(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    data_team = recommend(wh.con, scope=Scope(teams=["data"]), settings=settings)
    assert [r.workload for r in data_team] == ["batch/CronJob/report"]
    assert recommend(wh.con, scope=Scope(), settings=settings) == []
    shop = recommend(wh.con, scope=Scope.everything(), settings=settings, namespace="shop")
    assert {r.namespace for r in shop} == {"shop"}


def test_hpa_co_tuning_numbers() -> None:
    # T × R = 80% × 1.0 core = 0.8 core scale point
    within = co_tune("api", "cpu", 80, 1.0, 1.2)
    assert within.new_target == 66.7 and within.clamped is None  # 80 × 1.0 / 1.2 = 66.67
    high = co_tune("api", "cpu", 80, 1.0, 0.5)  # 80 / 0.5 = 160% > 90%
    assert high.clamped == "high" and high.new_target == 90.0
    assert high.request == pytest.approx(0.8 / 0.9)  # request raised to 0.8889
    assert high.new_scale_point == pytest.approx(0.8)  # scale point kept
    low = co_tune("api", "cpu", 80, 1.0, 2.0)  # 80 / 2 = 40% < 50%
    assert low.clamped == "low" and low.new_target == 50.0
    assert low.new_scale_point == pytest.approx(1.0)  # 50% × 2.0: moves up


def test_hpa_workload_keeps_scale_point(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    wh.insert(
        "k8s_hpas",
        cluster="c1",
        namespace="shop",
        hpa="api",
        target_kind="Deployment",
        target_name="api",
        min_replicas=2,
        max_replicas=10,
        metric_name="cpu",
        target_utilization=70.0,
        ingest_id="t",
    )
    api = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    assert api.hpa is not None
    # 70% × 1 core = 0.7 core; at 0.2 core request the target would be 350% → clamp to 90%
    # and raise the request to 0.7 / 0.9 = 0.7778 → 778m
    assert api.hpa.clamped == "high"
    assert api.containers[0].proposed["cpu_request"] == 0.778
    # proposed = (0.778 × 0.04 + 460/1024 × 0.005) × 1460 = (0.03112 + 0.00224609375) × 1460
    #          = 48.7149…; savings = 65.70 − 48.71 = 16.99
    assert cents(api.monthly_savings) == Decimal("16.99")
    assert any("HPA api" in n for n in api.notes)


def test_nodes_freed_at_current_packing() -> None:
    # 10 nodes, 40 cores and 160 GiB requested; freeing 12 cores and 40 GiB:
    # cpu ratio 28/40 = 0.70, ram ratio 120/160 = 0.75 → ceil(10 × 0.75) = 8 → 2 freed
    assert (
        nodes_freed(
            nodes=10, cpu_requested=40, ram_requested=160 * GIB, cpu_freed=12, ram_freed=40 * GIB
        )
        == 2
    )
    assert nodes_freed(nodes=3, cpu_requested=4, ram_requested=8, cpu_freed=-1, ram_freed=0) == 0


def test_fleet_effect_and_severity(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    recs = recommend(wh.con, scope=Scope.everything(), settings=settings)
    effect = fleet_effect(wh.con, recs)["c1"]
    # average over the 24 h with data: api 2 × 1 + report 0.1 + fresh 1.0 × 5/24 = 2.308 cores
    assert effect["cpu_requested_cores"] == 2.308
    # freed: api 2 × 0.8 = 1.6, report 0.01 → 1.61
    assert effect["cpu_freed_cores"] == 1.61
    assert effect["nodes"] == 1 and effect["nodes_freed"] == 0
    assert severity(Decimal("650")) == "critical"
    assert severity(Decimal("-5"), raises_memory=True, oom_kills=2) == "high"


def test_a_cronjob_is_priced_per_run_times_its_schedule(wh: Warehouse, settings: Settings) -> None:
    """Issue 10, defect 7. Two runs of a nightly CronJob, 24 hours apart, 2 hours each,
    requests 1 core / 1 GiB at 0.04 / 0.005 $/h: 0.09 $ a run, one run every 24 h (the
    median interval between runs) = 730 / 24 runs a month: 0.09 × 30.4167 = 2.7375 $."""
    wh.node("n1", hours=40, cpu_price=0.04, ram_price=0.005)
    for job, first in (("nightly-100", 36), ("nightly-101", 12)):
        pod = f"{job}-x"
        wh.pod("batch", pod, "CronJob", "nightly")
        wh.con.execute(
            "UPDATE k8s_pods SET owner_kind = 'Job', owner_name = ? WHERE pod = ?", [job, pod]
        )
        for h in range(2):
            wh.insert(
                "container_hours",
                cluster="c1",
                namespace="batch",
                pod=pod,
                container="main",
                node="n1",
                hour=NOW - timedelta(hours=first - h),
                running_hours=1.0,
                cpu_request_cores=1.0,
                cpu_usage_cores=0.5,
                cpu_usage_max_cores=0.5,
                ram_request_bytes=GIB,
                ram_usage_bytes=100 * MIB,
                ram_usage_max_bytes=100 * MIB,
                ingest_id="t",
            )
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    d = rec.disposition
    assert (d.kind, d.runs, d.run_period_hours, d.draftable) == ("schedule", 2, 24.0, True)
    assert d.runs_per_month == pytest.approx(730 / 24, abs=1e-3)
    assert rec.current_monthly == pytest.approx(Decimal("2.7375"), abs=Decimal("1e-9"))
    assert cents(rec.window_cost) == Decimal("0.18")  # 4 hours × 0.045


def test_a_one_day_job_is_reported_not_priced_a_month_and_not_drafted(
    wh: Warehouse, settings: Settings
) -> None:
    """Issue 10, defect 7: a Job that ran one day was priced at ~$2,455/month and got a
    `kubectl patch job`. 18 pods × 24 h × (2 cores × 0.04 + 4 GiB × 0.005) = 43.20 $ in the
    window; nothing a month; the proposal's saving is per run."""
    from assistant.errors import InputError
    from assistant.rightsizing.drafts import draft_change

    wh.node("n1", hours=30, cpu_price=0.04, ram_price=0.005)
    for i in range(18):
        wh.pod("analytics", f"backfill-{i}", "Job", "backfill")
        wh.container_series(
            "analytics", f"backfill-{i}", "main", cpu_max=[0.5] * 24, ram_max=[GIB] * 24,
            cpu_request=2.0, ram_request=4 * GIB, ram_limit=4 * GIB,
        )  # fmt: skip
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    assert (rec.disposition.kind, rec.draftable) == ("one_off", False)
    assert rec.current_monthly == 0 and rec.monthly_savings == 0
    assert cents(rec.window_cost) == Decimal("43.20")
    assert rec.window_savings > 0
    with pytest.raises(InputError, match="cannot be changed by a patch"):
        draft_change(rec)


def test_a_bare_pod_keeps_costing_while_it_runs_but_is_never_drafted(
    wh: Warehouse, settings: Settings
) -> None:
    from assistant.errors import InputError
    from assistant.rightsizing.drafts import draft_change

    wh.node("n1", hours=30, cpu_price=0.04, ram_price=0.005)
    wh.pod("research", "notebook", None, None)
    wh.container_series(
        "research", "notebook", "jupyter", cpu_max=[0.1] * 24, ram_max=[GIB] * 24,
        cpu_request=2.0, ram_request=4 * GIB, ram_limit=4 * GIB,
    )  # fmt: skip
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    # still running at the end of the data: (2 × 0.04 + 4 × 0.005) × 730 = 73.00 a month
    assert (rec.disposition.kind, rec.draftable) == ("pod", False)
    assert cents(rec.current_monthly) == Decimal("73.00")
    with pytest.raises(InputError, match="immutable"):
        draft_change(rec)


def test_a_controller_gone_before_the_end_promises_nothing_monthly(
    wh: Warehouse, settings: Settings
) -> None:
    wh.node("n1", hours=60, cpu_price=0.04, ram_price=0.005)
    wh.pod("shop", "api-1", "Deployment", "api")
    wh.container_series("shop", "api-1", "api", cpu_max=[0.2] * 48, ram_max=[300 * MIB] * 48)
    wh.pod("shop", "old-1", "Deployment", "old")
    wh.container_series("shop", "old-1", "old", cpu_max=[0.2] * 48, ram_max=[300 * MIB] * 48)
    # old's last 10 hours deleted: it stopped 10 hours before the data ends
    wh.con.execute(
        "DELETE FROM container_hours WHERE pod = 'old-1' AND hour >= ?", [NOW - timedelta(hours=10)]
    )
    recs = {r.name: r for r in recommend(wh.con, scope=Scope.everything(), settings=settings)}
    assert recs["api"].disposition.kind == "controller" and recs["api"].monthly_savings > 0
    assert (recs["old"].disposition.kind, recs["old"].monthly_savings) == ("gone", 0)
    assert recs["old"].window_savings > 0


def test_an_idle_gpu_holder_appears_with_its_dollars(wh: Warehouse, settings: Settings) -> None:
    """Issue 10, defect 7: the idle-GPU holder was only in the GPU view. notebook-0 holds a
    $2.00/h GPU idle for its 10 observed hours: $20.00 in the window, and as it still runs,
    20 × 730 / 10 = $1,460.00 a month to save by releasing it."""
    from tests.rightsizing.rs_fixtures import plant_gpus

    plant_gpus(wh)
    recs = {r.name: r for r in recommend(wh.con, scope=Scope.everything(), settings=settings)}
    nb = recs["notebook"]
    assert nb.gpu is not None and nb.gpu.devices == 1
    assert nb.gpu.idle_cost == Decimal("20.0") and nb.gpu.monthly_cost == Decimal("1460")
    assert nb.monthly_savings == Decimal("1460") and nb.severity == "critical"
    assert nb.to_dict()["gpu"]["monthly_cost"] == "1460.00"
    assert recs["train"].gpu is None  # busy (its 2-hour gap is not a sustained idle run)


@given(
    target=st.floats(min_value=10, max_value=100),
    current=st.floats(min_value=0.01, max_value=64),
    proposed=st.floats(min_value=0.01, max_value=64),
)
def test_co_tune_keeps_the_scale_point_unless_clamped_low(
    target: float, current: float, proposed: float
) -> None:
    advice = co_tune("h", "cpu", target, current, proposed)
    assert 50.0 <= advice.new_target <= 90.0
    if advice.clamped != "low":
        # T' × R' = T × R up to the 0.1-point rounding of the target
        assert advice.new_target / 100 * advice.request == pytest.approx(
            target / 100 * current, rel=0.1 / 50 + 1e-9
        )
    else:
        assert advice.new_scale_point >= advice.scale_point


@given(
    nodes=st.integers(min_value=0, max_value=500),
    cpu=st.floats(min_value=0.1, max_value=1e4),
    ram=st.floats(min_value=0.1, max_value=1e4),
    fc=st.floats(min_value=-10, max_value=1e4),
    fr=st.floats(min_value=-10, max_value=1e4),
)
def test_nodes_freed_is_bounded(nodes: int, cpu: float, ram: float, fc: float, fr: float) -> None:
    freed = nodes_freed(
        nodes=nodes, cpu_requested=cpu, ram_requested=ram, cpu_freed=fc, ram_freed=fr
    )
    assert 0 <= freed <= nodes
    if fc <= 0 or fr <= 0:
        assert freed == 0  # the binding resource did not shrink


def test_unrequested_container_costs_its_usage(wh: Warehouse, settings: Settings) -> None:
    wh.node("n1", hours=24, cpu_price=0.04, ram_price=0.005)
    wh.pod("ops", "agent-1", "DaemonSet", "agent")
    wh.container_series(
        "ops",
        "agent-1",
        "agent",
        cpu_max=[0.5] * 24,
        cpu_avg=[0.25] * 24,
        ram_max=[512 * MIB] * 24,
        cpu_request=None,
        ram_request=None,
        ram_limit=None,
    )
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    c = rec.containers[0]
    # no requests: the allocation bills usage, 0.25 core and 0.5 GiB on average
    # current  = (0.25 × 0.04 + 0.5 × 0.005) × 730 = 0.0125 × 730 = 9.125 → $9.13
    # proposed = (0.5 × 0.04 + 588.8→589 Mi/1024 × 0.005) × 730
    #          = (0.02 + 0.00287597656) × 730 = 16.69946… → $16.70, a $7.57 increase
    assert cents(c.current_monthly) == Decimal("9.13")
    assert c.proposed["ram_request"] == 589 * MIB
    assert cents(c.proposed_monthly) == Decimal("16.70")
    assert cents(rec.monthly_savings) == Decimal("-7.57")
