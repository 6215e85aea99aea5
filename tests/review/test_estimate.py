"""The review's money: every kind of change priced by hand.

Formula (estimate.py): monthly = pods × (pod cores × $/core-h + pod GiB × $/GiB-h
+ pod GPUs × $/GPU-h) × 730 h, rounded to the cent per side; Δ = after − before.
Prices here: CPU $0.03/core-h, RAM $0.0045/GiB-h, GPU $2.50/GPU-h.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.review.estimate import Review, estimate, pod_monthly
from assistant.review.observed import ClusterFacts, Observed
from assistant.review.prices import UnitPrices
from assistant.review.render import render
from assistant.review.workloads import Resources, parse_manifests
from assistant.rightsizing.savings import monthly_cost
from assistant.windows import Window
from tests.review.manifests import base_set, container, deployment, docs, head_set

D = Decimal
PRICES = UnitPrices(
    "prod",
    Window(datetime(2026, 10, 1), datetime(2026, 10, 31)),
    720,
    D("0.03"),
    D("0.0045"),
    D("2.5"),
    {"cpu": "allocation", "ram": "allocation", "gpu": "allocation"},
)


def facts() -> ClusterFacts:
    """Three nodes (two 'general', one 'gpu'); nightly ran 72 pod-hours in 720 h; web is
    allocated $43.20 over the window."""
    return ClusterFacts(
        "prod",
        720,
        {"n1": {"pool": "general"}, "n2": {"pool": "general"}, "g1": {"pool": "gpu"}},
        {
            ("CronJob", "data", "nightly"): Observed(D("3.60"), 72.0),
            ("Deployment", "shop", "web"): Observed(D("43.20"), 2160.0),
        },
    )


@pytest.fixture
def review() -> Review:
    base = parse_manifests([("base.yaml", base_set())])
    head = parse_manifests([("head.yaml", head_set())])
    return estimate(base, head, PRICES, facts())


def by_label(review: Review) -> dict[str, object]:
    return {c.label: c for c in review.changes}


def test_deployment_replicas_and_cpu(review: Review) -> None:
    web = by_label(review)["shop/Deployment/web"]
    # before: 3 × (0.5 core × 0.03 + 0.25 GiB × 0.0045) × 730 = 3 × 0.016125 × 730 = 35.31375
    # after:  6 × (1 core × 0.03 + 0.25 GiB × 0.0045) × 730 = 6 × 0.031125 × 730 = 136.3275
    assert web.before.monthly_low == D("35.31")
    assert web.after.monthly_low == D("136.33")
    assert web.delta_low == web.delta_high == D("101.02")
    assert [(c.container, c.field, c.before, c.after) for c in web.changes] == [
        (None, "replicas", "3", "6"),
        ("app", "cpu", "500m", "1"),
    ]
    # allocated today: $43.20 over 720 h → × 730 / 720 = $43.80 a month
    assert (web.allocated, web.allocated_monthly) == (D("43.20"), D("43.80"))


def test_removed_statefulset(review: Review) -> None:
    cache = by_label(review)["shop/StatefulSet/cache"]
    # 2 × (1 × 0.03 + 2 GiB × 0.0045) × 730 = 2 × 0.039 × 730 = 56.94
    assert cache.status == "removed" and cache.after is None
    assert cache.delta_low == D("-56.94")


def test_existing_cronjob_priced_at_observed_pod_hours(review: Review) -> None:
    nightly = by_label(review)["data/CronJob/nightly"]
    # 72 pod-hours / 720 h = 0.1 pods on average (× 730 h = 73 pod-hours a month)
    # before: 0.1 × (1 × 0.03 + 1 GiB × 0.0045) × 730 = 0.1 × 0.0345 × 730 = 2.5185
    # after:  0.1 × (2 × 0.03 + 0.0045) × 730 = 0.1 × 0.0645 × 730 = 4.7085
    assert (nightly.before.monthly_low, nightly.after.monthly_low) == (D("2.52"), D("4.71"))
    assert nightly.delta_low == D("2.19")
    assert "73.0 pod-hours a month" in nightly.after.basis


def test_new_cronjob_priced_per_run_hour_and_kept_out_of_the_total(review: Review) -> None:
    report = by_label(review)["data/CronJob/report"]
    # 2 parallel pods × (4 × 0.03 + 8 GiB × 0.0045) = 2 × 0.156 = 0.312 $ per run-hour
    assert report.status == "new" and report.after.run_hour == D("0.3120")
    assert report.delta_low is None and report.run_hour_delta == D("0.3120")
    assert review.per_run_hour == [report]


def test_hpa_min_and_max(review: Review) -> None:
    api = by_label(review)["shop/Deployment/api"]
    # per pod: 0.25 × 0.03 + 0.5 GiB × 0.0045 = 0.00975 $/h → 7.1175 $/month
    # before 2..4 pods: 14.235 → 14.24, 28.47;  after 3..10 pods: 21.3525 → 21.35, 71.175 → 71.18
    assert (api.before.monthly_low, api.before.monthly_high) == (D("14.24"), D("28.47"))
    assert (api.after.monthly_low, api.after.monthly_high) == (D("21.35"), D("71.18"))
    # Δ low = 21.35 − 14.24 = 7.11; Δ high = 71.18 − 28.47 = 42.71
    assert (api.delta_low, api.delta_high) == (D("7.11"), D("42.71"))
    assert [(c.field, c.before, c.after) for c in api.changes] == [("hpa", "2..4", "3..10")]


def test_gpu_request_zero_to_one_is_flagged(review: Review) -> None:
    infer = by_label(review)["ml/Deployment/infer"]
    # before: (2 × 0.03 + 8 × 0.0045) × 730 = 0.096 × 730 = 70.08
    # after: 70.08 + 1 GPU × 2.50 × 730 = 70.08 + 1825.00 = 1895.08 (the limit is the request)
    assert (infer.before.monthly_low, infer.after.monthly_low) == (D("70.08"), D("1895.08"))
    assert infer.delta_low == D("1825.00") and infer.gpu
    assert [c.label for c in review.changes if c.gpu] == ["ml/Deployment/infer"]


def test_more_replicas_of_a_gpu_workload_is_a_gpu_change() -> None:
    def infer(replicas: int) -> str:
        return deployment(
            "infer",
            "ml",
            replicas=replicas,
            containers=container("server", cpu="2", memory="8Gi", gpu_limit=1),
        )

    out = estimate(
        parse_manifests([("a", infer(1))]), parse_manifests([("b", infer(3))]), PRICES, facts()
    )
    (change,) = out.changes
    # same GPU per pod, but 1 → 3 GPUs in total: 2 more × 2.50 × 730 = 3650
    # plus 2 × (2 × 0.03 + 8 × 0.0045) × 730 = 2 × 70.08 = 140.16 → Δ 3790.16
    assert change.gpu and change.gpus(change.after) == (D(3), D(3))
    assert change.delta_low == D("3790.16")
    comment = render(out, "md")
    assert (
        "> **GPU:** `ml/Deployment/infer` GPUs per pod 1 → 1, in total 1 → 3 (+$3,790.16/month)"
    ) in comment.splitlines()


def test_init_container_effective_request(review: Review) -> None:
    worker = by_label(review)["shop/Deployment/worker"]
    # pod cpu = max(init 1, app 0.25) = 1 → max(1, 1.5) = 1.5; memory max(1Gi, 512Mi) = 1Gi
    # before: (1 × 0.03 + 1 × 0.0045) × 730 = 25.185 → 25.19
    # after:  (1.5 × 0.03 + 0.0045) × 730 = 36.135 → 36.14
    assert worker.before.pod == Resources(D("1"), D(1024**3), D(0))
    assert (worker.before.monthly_low, worker.after.monthly_low) == (D("25.19"), D("36.14"))
    assert worker.delta_low == D("10.95")


def test_daemonsets_priced_per_matching_node(review: Review) -> None:
    changes = by_label(review)
    agent, dcgm = changes["monitoring/DaemonSet/agent"], changes["monitoring/DaemonSet/dcgm"]
    # agent on all 3 nodes: 3 × (0.1 × 0.03 + 0.125 GiB × 0.0045) × 730 = 3 × 0.0035625 × 730
    #   = 7.801875 → 7.80; after 3 × 0.0065625 × 730 = 14.371875 → 14.37
    assert (agent.before.monthly_low, agent.after.monthly_low) == (D("7.80"), D("14.37"))
    # dcgm only on the 1 node with pool=gpu: 0.0035625 × 730 = 2.6006… → 2.60
    assert dcgm.after.pods_low == 1 and dcgm.delta_low == D("2.60")
    assert "1 of 3 nodes" in dcgm.after.basis


def test_totals_and_unchanged(review: Review) -> None:
    # low: 101.02 − 56.94 + 2.19 + 7.11 + 1825.00 + 10.95 + 6.57 + 2.60 = 1898.50
    assert review.total_low == D("1898.50")
    # high: the HPA at its maximum instead: 1898.50 − 7.11 + 42.71 = 1934.10
    assert review.total_high == D("1934.10")
    # shop/Deployment/static is the same on both sides; the ConfigMap is not a workload
    assert review.unchanged == 1
    assert len(review.changes) == 9


def test_image_only_change_is_unchanged() -> None:
    old = deployment("web", "shop", replicas=2, containers=container("app", cpu="1"))
    new = old.replace("      - name: app\n", "      - name: app\n        image: web:v2\n")
    out = estimate(parse_manifests([("a", old)]), parse_manifests([("b", new)]), PRICES, facts())
    assert (out.changes, out.unchanged, out.total_low) == ([], 1, D(0))


def test_new_workload_already_running_says_so() -> None:
    web = deployment(
        "web", "shop", replicas=3, containers=container("app", cpu="500m", memory="256Mi")
    )
    out = estimate(parse_manifests([("a", docs())]), parse_manifests([("b", web)]), PRICES, facts())
    (change,) = out.changes
    # 3 × 0.016125 × 730 = 35.31375 → 35.31, all of it new in the diff
    assert change.status == "new" and change.delta_low == D("35.31")
    assert any("already sees it running" in n for n in change.notes)


@given(
    cpu_milli=st.integers(0, 64_000), mem_mi=st.integers(0, 262_144), replicas=st.integers(0, 500)
)
def test_same_dollars_as_rightsizing_for_cpu_and_memory(
    cpu_milli: int, mem_mi: int, replicas: int
) -> None:
    """Without GPUs, the review's price is rightsizing's monthly_cost, exactly."""
    pod = Resources(D(cpu_milli) / 1000, D(mem_mi * 1024**2), D(0))
    expected = monthly_cost(
        cpu_milli / 1000,
        mem_mi * 1024**2,
        cpu_price=PRICES.cpu_core_hour,
        ram_price=PRICES.ram_gib_hour,
        replicas=replicas,
    )
    assert pod_monthly(pod, replicas, PRICES) == expected


@given(gpus=st.integers(0, 16), replicas=st.integers(0, 100))
def test_gpu_dollars_are_linear(gpus: int, replicas: int) -> None:
    """Each GPU adds exactly GPUs × $/GPU-h × pods × 730 to the CPU/RAM price."""
    with_gpu = pod_monthly(Resources(D(1), D(0), D(gpus)), replicas, PRICES)
    without = pod_monthly(Resources(D(1), D(0), D(0)), replicas, PRICES)
    assert with_gpu - without == D(gpus) * D("2.5") * replicas * 730
