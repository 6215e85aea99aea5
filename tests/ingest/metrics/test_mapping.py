"""The pure sample→hour mapping, with numbers worked out by hand.

Grid: one hour 10:00–11:00 at step 5m → points k = 0 … 12 (k = 12 is 11:00, used only
as the end of the last counter interval). Each point stands for 5 of the hour's 60
minutes, so running_hours = points / 12.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.ingest.metrics.containers import container_rows, gpu_units, node_hour_rows
from assistant.ingest.metrics.gpu import gpu_rows, mig_fraction
from assistant.ingest.metrics.inventory import capacity_type, owner_rows, pod_rows
from assistant.ingest.metrics.labels import object_labels, unsanitize
from assistant.ingest.metrics.rows import counter_increases
from assistant.ingest.metrics.series import Grid, GridSeries, parse_step, resample

H10 = datetime(2026, 10, 1, 10)
GRID = Grid(H10, datetime(2026, 10, 1, 11), 300)
C = {"namespace": "ns", "pod": "p", "container": "c"}


def gs(name: str, labels: dict[str, str], points: dict[int, float]) -> GridSeries:
    return GridSeries(name, labels, points)


def every(value: float, ks: range = range(13)) -> dict[int, float]:
    return dict.fromkeys(ks, value)


def one_container(**series: list[GridSeries]) -> dict[str, object]:
    rows = container_rows(series, GRID, {})
    assert len(rows) == 1
    return rows[0]


# --- counters ---------------------------------------------------------------------------


def test_counter_increase_handles_reset() -> None:
    # values 100, 160, 10, 70: +60, reset → new value 10 counts whole, +60
    assert counter_increases({0: 100.0, 1: 160.0, 2: 10.0, 3: 70.0}) == {0: 60.0, 1: 10.0, 2: 60.0}


def test_counter_increase_needs_both_ends() -> None:
    # k=1 is missing: intervals [0,1) and [1,2) have no value; [2,3) does.
    assert counter_increases({0: 5.0, 2: 7.0, 3: 9.0}) == {2: 2.0}


@given(st.lists(st.tuples(st.floats(0, 1e4), st.booleans()), min_size=1, max_size=60))
def test_counter_increases_sum_to_true_usage(steps: list[tuple[float, bool]]) -> None:
    """Property: sampled at every point, the increases add up to what was really used,
    whatever the resets (a reset restarts from 0, then adds that interval's usage). A
    reset is only visible as a drop, so one that does not drop is a plain increment."""
    value, points, used = 0.0, {0: 0.0}, 0.0
    for k, (inc, reset) in enumerate(steps, start=1):
        value = inc if reset and inc < value else value + inc
        points[k] = value
        used += inc
    assert sum(counter_increases(points).values()) == pytest.approx(used, rel=1e-9, abs=1e-9)


def test_cpu_rate_with_reset_mid_hour() -> None:
    # +75 s per 5 min = 0.25 cores for 11 intervals; at k=6 the container restarts and
    # the counter reads 15 at k=7: that interval used 15 s → 15/300 = 0.05 cores.
    values = {k: 75.0 * k for k in range(7)} | {k: 15.0 + 75.0 * (k - 7) for k in range(7, 13)}
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        container_cpu_usage_seconds_total=[gs("cpu", C, values)],
    )
    assert row["cpu_usage_cores"] == pytest.approx((11 * 0.25 + 0.05) / 12, rel=1e-12)
    assert row["cpu_usage_max_cores"] == pytest.approx(0.25, rel=1e-12)


def test_cpu_rate_summed_over_cadvisor_series_of_one_container() -> None:
    # Old instance counts 0.1 cores for k<6 then stops; new one 0.2 cores from k=6:
    # intervals 0..4 → 0.1, interval 5 (k=5→6) has no end value on the old series → none,
    # intervals 6..11 → 0.2. Mean = (5·0.1 + 6·0.2) / 11.
    old = gs("cpu", C | {"id": "a"}, {k: 30.0 * k for k in range(6)})
    new = gs("cpu", C | {"id": "b"}, {k: 60.0 * (k - 6) for k in range(6, 13)})
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        container_cpu_usage_seconds_total=[old, new],
    )
    assert row["cpu_usage_cores"] == pytest.approx((5 * 0.1 + 6 * 0.2) / 11, rel=1e-12)


def test_pod_level_cadvisor_series_are_not_containers() -> None:
    running = [gs("r", C, every(1))]
    cpu = [
        gs("cpu", C, {k: 30.0 * k for k in range(13)}),
        gs("cpu", C | {"container": ""}, {k: 9e9 * k for k in range(13)}),
        gs("cpu", C | {"container": "POD"}, {k: 9e9 * k for k in range(13)}),
        gs("cpu", {"namespace": "ns", "pod": "p"}, {k: 9e9 * k for k in range(13)}),
    ]
    rows = container_rows(
        {"kube_pod_container_status_running": running, "container_cpu_usage_seconds_total": cpu},
        GRID,
        {},
    )
    # 30 s per 5 min = 0.1 cores; the pod-level series (9e9 s!) are ignored.
    assert [(r["container"], r["cpu_usage_cores"]) for r in rows] == [("c", pytest.approx(0.1))]


# --- running fraction, requests, memory, restarts --------------------------------------


def test_container_running_30_of_60_minutes() -> None:
    # status_running = 1 at k = 0..5 (10:00–10:25), 0 afterwards: 6 of 12 points.
    running = {k: (1.0 if k < 6 else 0.0) for k in range(13)}
    row = one_container(kube_pod_container_status_running=[gs("r", C, running)])
    assert row["running_hours"] == 0.5


def test_request_changing_mid_hour_is_time_weighted() -> None:
    # 0.5 cores for 10:00–10:30 (6 points), 1.0 for 10:30–11:00 (6): (6·0.5 + 6·1)/12 = 0.75
    req = {k: (0.5 if k < 6 else 1.0) for k in range(13)}
    mem = every(2 * 1024**3)
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        kube_pod_container_resource_requests=[
            gs("q", C | {"resource": "cpu", "unit": "core"}, req),
            gs("q", C | {"resource": "memory", "unit": "byte"}, mem),
        ],
        kube_pod_container_resource_limits=[
            gs("l", C | {"resource": "memory", "unit": "byte"}, every(4 * 1024**3))
        ],
    )
    assert (
        row["cpu_request_cores"],
        row["ram_request_bytes"],
        row["ram_limit_bytes"],
        row["cpu_limit_cores"],
    ) == (0.75, 2 * 1024**3, 4 * 1024**3, None)


def test_missing_request_stays_null_not_zero() -> None:
    row = one_container(kube_pod_container_status_running=[gs("r", C, every(1))])
    assert (row["cpu_request_cores"], row["ram_request_bytes"], row["gpu_request"]) == (
        None,
        None,
        None,
    )


def test_memory_mean_and_max_and_max_across_series() -> None:
    # points 0..5 at 100, 6..11 at 300 → mean 200, max 300; a second (stale) series of
    # the same container at 50 never wins the per-point max.
    mem = [
        gs("m", C, {k: (100.0 if k < 6 else 300.0) for k in range(12)}),
        gs("m", C | {"id": "old"}, every(50.0, range(12))),
    ]
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        container_memory_working_set_bytes=mem,
    )
    assert (row["ram_usage_bytes"], row["ram_usage_max_bytes"]) == (200.0, 300.0)


def test_restarts_and_oom_kills() -> None:
    # Restarts 0 → 1 between k=3 and k=4 with OOMKilled set from k=4, then 1 → 3 between
    # k=8 and k=9 while the flag stays set: 3 restarts, all OOM kills.
    restarts = {k: 0.0 if k < 4 else (1.0 if k < 9 else 3.0) for k in range(13)}
    oom = {k: 0.0 if k < 4 else 1.0 for k in range(13)}
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        kube_pod_container_status_restarts_total=[gs("x", C, restarts)],
        kube_pod_container_status_last_terminated_reason=[
            gs("o", C | {"reason": "OOMKilled"}, oom)
        ],
    )
    assert (row["restarts"], row["oom_kills"]) == (3, 3)


def test_gpu_request_mig_slices_are_fractions() -> None:
    # 2 × nvidia.com/mig-3g.20gb = 2 · 3/7 of a GPU
    row = one_container(
        kube_pod_container_status_running=[gs("r", C, every(1))],
        kube_pod_container_resource_requests=[
            gs("q", C | {"resource": "nvidia_com_mig_3g_20gb"}, every(2.0))
        ],
    )
    assert row["gpu_request"] == pytest.approx(6 / 7, rel=1e-12)
    assert (gpu_units("nvidia_com_gpu"), gpu_units("cpu")) == (1.0, None)


def test_node_hours_presence_and_capacity() -> None:
    node = {"node": "n1"}
    rows = node_hour_rows(
        {
            "kube_node_info": [gs("i", node | {"provider_id": "aws:///z/i-1"}, every(1, range(9)))],
            "kube_node_status_capacity": [
                gs("c", node | {"resource": "cpu"}, every(8)),
                gs("c", node | {"resource": "memory"}, every(32.0)),
            ],
        },
        GRID,
    )
    # present at k = 0..8 → 9/12 = 0.75 of the hour
    assert rows == [
        {
            "node": "n1",
            "hour": H10,
            "running_hours": 0.75,
            "cpu_cores": 8.0,
            "ram_bytes": 32.0,
            "gpu_count": None,
        }
    ]


# --- inventory ----------------------------------------------------------------------------


def test_controller_rollup_replicaset_to_deployment_and_job_to_cronjob() -> None:
    one = every(1)
    series = {
        "kube_pod_info": [
            gs(
                "i",
                {
                    "namespace": "a",
                    "pod": "web-1",
                    "created_by_kind": "ReplicaSet",
                    "created_by_name": "web-7f",
                },
                one,
            ),
            gs(
                "i",
                {
                    "namespace": "a",
                    "pod": "job-1",
                    "created_by_kind": "Job",
                    "created_by_name": "nightly-1",
                },
                one,
            ),
            gs("i", {"namespace": "a", "pod": "bare", "created_by_kind": "<none>"}, one),
            gs(
                "i",
                {
                    "namespace": "a",
                    "pod": "orphan-rs-1",
                    "created_by_kind": "ReplicaSet",
                    "created_by_name": "lonely",
                },
                one,
            ),
        ],
        "kube_replicaset_owner": [
            gs(
                "o",
                {
                    "namespace": "a",
                    "replicaset": "web-7f",
                    "owner_kind": "Deployment",
                    "owner_name": "web",
                },
                one,
            ),
            gs(
                "o",
                {
                    "namespace": "a",
                    "replicaset": "lonely",
                    "owner_kind": "<none>",
                    "owner_name": "<none>",
                },
                one,
            ),
        ],
        "kube_job_owner": [
            gs(
                "o",
                {
                    "namespace": "a",
                    "job_name": "nightly-1",
                    "owner_kind": "CronJob",
                    "owner_name": "nightly",
                },
                one,
            )
        ],
    }
    pods = pod_rows(series, GRID, owner_rows(series))
    assert {
        p["pod"]: (p["owner_kind"], p["owner_name"], p["controller_kind"], p["controller_name"])
        for p in pods
    } == {
        "web-1": ("ReplicaSet", "web-7f", "Deployment", "web"),
        "job-1": ("Job", "nightly-1", "CronJob", "nightly"),
        "bare": (None, None, None, None),
        "orphan-rs-1": ("ReplicaSet", "lonely", "ReplicaSet", "lonely"),
    }


def test_label_unsanitising() -> None:
    labels = object_labels(
        {
            "namespace": "x",
            "label_app_kubernetes_io_name": "web",
            "label_team": "pay",
            "label_my_custom_key": "v",
            "label_cost_center": "cc1",
            "label_empty": "",
        }
    )
    assert labels == {
        "app.kubernetes.io/name": "web",
        "team": "pay",
        "my_custom_key": "v",
        "cost-center": "cc1",
    }
    assert unsanitize("topology_kubernetes_io_zone") == "topology.kubernetes.io/zone"
    assert json.loads(json.dumps(labels)) == labels


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"karpenter.sh/capacity-type": "spot"}, "spot"),
        ({"karpenter.sh/capacity-type": "on-demand"}, "on-demand"),
        ({"eks.amazonaws.com/capacity-type": "SPOT"}, "spot"),
        ({"eks.amazonaws.com/capacity-type": "ON_DEMAND"}, "on-demand"),
        ({"cloud.google.com/gke-spot": "true"}, "spot"),
        ({"kubernetes.azure.com/scalesetpriority": "spot"}, "spot"),
        ({}, None),
    ],
)
def test_capacity_type(labels: dict[str, str], expected: str | None) -> None:
    assert capacity_type(labels) == expected


# --- GPUs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "model", "share"),
    [
        ("1g.5gb", "NVIDIA A100-SXM4-40GB", 1 / 7),
        ("3g.40gb", "NVIDIA H100 80GB HBM3", 3 / 7),
        ("7g.80gb", "NVIDIA H100 80GB HBM3", 1.0),
        ("2g.12gb", "NVIDIA A30", 2 / 4),
        (None, "NVIDIA A100", 1.0),
    ],
)
def test_mig_fraction(profile: str | None, model: str, share: float) -> None:
    assert mig_fraction(profile, model) == share


def test_time_sliced_gpu_shared_by_pods_present() -> None:
    # GPU-9 serves pod a all hour and pod b only for k = 0..5: at those 6 points each has
    # 1/2, at the other 6 pod a has it alone → a: (6·0.5 + 6·1)/12 = 0.75, b: 0.5.
    base = {"gpu": "0", "UUID": "GPU-9", "Hostname": "n1", "modelName": "T4", "namespace": "ml"}
    rows = gpu_rows(
        {
            "DCGM_FI_DEV_GPU_UTIL": [
                gs("u", base | {"pod": "a", "container": "c"}, every(40.0, range(12))),
                gs("u", base | {"pod": "b", "container": "c"}, every(20.0, range(6))),
            ]
        },
        GRID,
    )
    assert [(r["pod"], r["gpu_share"], r["samples"], r["util_pct"]) for r in rows] == [
        ("a", 0.75, 12, 40.0),
        ("b", 0.5, 6, 20.0),
    ]


def test_idle_gpu_without_pod_and_fb_in_bytes() -> None:
    base = {"gpu": "1", "UUID": "GPU-7", "Hostname": "n1", "modelName": "A10G"}
    rows = gpu_rows(
        {
            "DCGM_FI_DEV_FB_USED": [gs("f", base, every(512.0, range(12)))],
            "DCGM_FI_DEV_POWER_USAGE": [gs("p", base, every(30.0, range(12)))],
        },
        GRID,
    )
    assert [(r["pod"], r["gpu_share"], r["fb_used_bytes"], r["power_watts"]) for r in rows] == [
        (None, 1.0, 512 * 1024 * 1024, 30.0)
    ]


# --- grid -----------------------------------------------------------------------------------


def test_resample_takes_newest_sample_within_lookback() -> None:
    t0 = GRID.start_ts
    # samples at 10:00:30, 10:01:30 … 10:09:30 (every 60 s), then nothing until 10:40:00.
    stamps = [t0 + 30 + 60 * i for i in range(10)] + [t0 + 2400]
    values = [float(i) for i in range(10)] + [99.0]
    points = resample(stamps, values, GRID)
    # k=0 (10:00): no sample yet. k=1 (10:05) sees 10:04:30 (value 4), k=2 (10:10) sees
    # 10:09:30 (9), k=3 (10:15) sees 10:09:30 too (5m30s ago > lookback? 10:15-5m=10:10,
    # so no). k=8 (10:40) sees 99, k=9 (10:45) sees 99 (10:40 ≥ 10:40, inclusive bound).
    assert points == {1: 4.0, 2: 9.0, 8: 99.0, 9: 99.0}


@pytest.mark.parametrize(
    ("text", "seconds"), [("5m", 300), ("30s", 30), ("1h", 3600), ("15m", 900)]
)
def test_parse_step(text: str, seconds: int) -> None:
    assert parse_step(text) == seconds


@pytest.mark.parametrize("bad", ["7m", "0s", "5 minutes", "2h"])
def test_parse_step_rejects(bad: str) -> None:
    with pytest.raises(InputError):
        parse_step(bad)
