"""A tiny, fully known cluster as an OpenMetrics file (2026-10-01 10:00–12:00 UTC).

Samples every 60 s at whole minutes m = 0 … 120 (10:00 … 12:00). Step 5m → grid points
10:00, 10:05, …; each point sees the newest sample at or before it within 5 minutes.

* node-a (aws:///us-east-1a/i-0abc123, m5.xlarge, spot): 4 CPU, 16 GiB, 2 GPUs.
* shop/web-abc-1 (ReplicaSet web-abc → Deployment web), container app, running all
  the time: CPU request 0.5 for m < 30, then 1.0; memory request 1 GiB; CPU limit 2;
  CPU counter +15 s/min (0.25 cores), restarted at m = 90 with 5 s used; working set
  200 MiB (m < 60), 300 MiB (60 ≤ m < 90), 500 MiB (m ≥ 90); restarts 0 → 1 at m = 90
  with last_terminated_reason=OOMKilled from then on.
* batch/report-1-xyz (Job report-1 → CronJob report), container main: running for
  m < 30 (status 1, then 0); request 2 CPU, 4 GiB; CPU counter +60 s/min for m ≤ 29
  then the cAdvisor series ends; working set 1 GiB for m ≤ 29.
* cAdvisor pod-level series for web-abc-1 (container "" and "POD"): must be ignored.
* PVC shop/data-web → pv-1 (gp3, EBS CSI handle vol-0123), 10 GiB, mounted by web-abc-1.
* LoadBalancer shop/web (hostname web.elb.example), endpoint 10.0.0.5 = web-abc-1.
* HPA shop/web → Deployment web, 2..10 replicas, CPU utilization 70.
* DCGM: GPU-1 MIG 1g.5gb (GPU_I_ID 7) for ml/infer-1, engine active 0.25; GPU-2
  time-sliced by ml/nb-1 and ml/nb-2, util 10 (nb-1) and 30 (nb-2), FB 1024 MiB, 50 W.
* A usage counter for unit costs, http_requests_total{namespace="shop", service="web"}:
  +10 a minute, restarted at m = 90 (value 0, then +10 a minute again). Penny reads it
  only when settings.units names it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

T0 = datetime(2026, 10, 1, 10, 0)
T0_S = int((T0 - datetime(1970, 1, 1)).total_seconds())
MINUTES = range(0, 121)
GIB = 1024**3
MIB = 1024**2

Value = Callable[[int], float | None]


def _fmt_labels(labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return "{" + inner + "}" if inner else ""


def _const(v: float) -> Value:
    return lambda m: v


def _cpu_web(m: int) -> float:
    return 15.0 * m if m < 90 else 5.0 + 15.0 * (m - 90)


def _mem_web(m: int) -> float:
    return 200 * MIB if m < 60 else (300 * MIB if m < 90 else 500 * MIB)


def series() -> list[tuple[str, dict[str, str], Value]]:
    node = {"node": "node-a"}
    web = {"namespace": "shop", "pod": "web-abc-1", "uid": "u-web"}
    job = {"namespace": "batch", "pod": "report-1-xyz", "uid": "u-job"}
    dcgm = {"gpu": "0", "UUID": "GPU-1", "modelName": "NVIDIA A100-SXM4-40GB", "Hostname": "node-a"}
    dcgm2 = {
        "gpu": "1",
        "UUID": "GPU-2",
        "modelName": "NVIDIA A100-SXM4-40GB",
        "Hostname": "node-a",
    }
    one = _const(1.0)
    return [
        ("kube_node_info", {**node, "provider_id": "aws:///us-east-1a/i-0abc123"}, one),
        (
            "kube_node_labels",
            {
                **node,
                "label_node_kubernetes_io_instance_type": "m5.xlarge",
                "label_topology_kubernetes_io_region": "us-east-1",
                "label_topology_kubernetes_io_zone": "us-east-1a",
                "label_karpenter_sh_capacity_type": "spot",
            },
            one,
        ),
        ("kube_node_status_capacity", {**node, "resource": "cpu", "unit": "core"}, _const(4)),
        (
            "kube_node_status_capacity",
            {**node, "resource": "memory", "unit": "byte"},
            _const(16 * GIB),
        ),
        (
            "kube_node_status_capacity",
            {**node, "resource": "nvidia_com_gpu", "unit": "integer"},
            _const(2),
        ),
        (
            "kube_namespace_labels",
            {"namespace": "shop", "label_team": "payments", "label_cost_center": "cc-42"},
            one,
        ),
        # shop/web-abc-1
        (
            "kube_pod_info",
            {
                **web,
                "node": "node-a",
                "created_by_kind": "ReplicaSet",
                "created_by_name": "web-abc",
                "pod_ip": "10.0.0.5",
            },
            one,
        ),
        (
            "kube_pod_labels",
            {**web, "label_app_kubernetes_io_name": "web", "label_team": "payments"},
            one,
        ),
        (
            "kube_pod_owner",
            {
                **web,
                "owner_kind": "ReplicaSet",
                "owner_name": "web-abc",
                "owner_is_controller": "true",
            },
            one,
        ),
        (
            "kube_replicaset_owner",
            {
                "namespace": "shop",
                "replicaset": "web-abc",
                "owner_kind": "Deployment",
                "owner_name": "web",
            },
            one,
        ),
        ("kube_pod_container_status_running", {**web, "container": "app"}, one),
        (
            "kube_pod_container_resource_requests",
            {**web, "container": "app", "node": "node-a", "resource": "cpu", "unit": "core"},
            lambda m: 0.5 if m < 30 else 1.0,
        ),
        (
            "kube_pod_container_resource_requests",
            {**web, "container": "app", "node": "node-a", "resource": "memory", "unit": "byte"},
            _const(GIB),
        ),
        (
            "kube_pod_container_resource_limits",
            {**web, "container": "app", "node": "node-a", "resource": "cpu", "unit": "core"},
            _const(2),
        ),
        (
            "container_cpu_usage_seconds_total",
            {"namespace": "shop", "pod": "web-abc-1", "container": "app", "node": "node-a"},
            _cpu_web,
        ),
        (
            "container_cpu_usage_seconds_total",
            {"namespace": "shop", "pod": "web-abc-1", "container": "", "node": "node-a"},
            lambda m: 1000.0 * m,
        ),
        (
            "container_cpu_usage_seconds_total",
            {"namespace": "shop", "pod": "web-abc-1", "container": "POD", "node": "node-a"},
            lambda m: 1000.0 * m,
        ),
        (
            "container_memory_working_set_bytes",
            {"namespace": "shop", "pod": "web-abc-1", "container": "app", "node": "node-a"},
            _mem_web,
        ),
        (
            "kube_pod_container_status_restarts_total",
            {**web, "container": "app"},
            lambda m: 0.0 if m < 90 else 1.0,
        ),
        (
            "kube_pod_container_status_last_terminated_reason",
            {**web, "container": "app", "reason": "OOMKilled"},
            lambda m: 0.0 if m < 90 else 1.0,
        ),
        (
            "kube_pod_spec_volumes_persistentvolumeclaims_info",
            {**web, "volume": "data", "persistentvolumeclaim": "data-web"},
            one,
        ),
        # batch/report-1-xyz
        (
            "kube_pod_info",
            {
                **job,
                "node": "node-a",
                "created_by_kind": "Job",
                "created_by_name": "report-1",
                "pod_ip": "10.0.0.9",
            },
            one,
        ),
        (
            "kube_pod_owner",
            {**job, "owner_kind": "Job", "owner_name": "report-1", "owner_is_controller": "true"},
            one,
        ),
        (
            "kube_job_owner",
            {
                "namespace": "batch",
                "job_name": "report-1",
                "owner_kind": "CronJob",
                "owner_name": "report",
            },
            one,
        ),
        (
            "kube_pod_container_status_running",
            {**job, "container": "main"},
            lambda m: 1.0 if m < 30 else 0.0,
        ),
        (
            "kube_pod_container_resource_requests",
            {**job, "container": "main", "node": "node-a", "resource": "cpu", "unit": "core"},
            _const(2),
        ),
        (
            "kube_pod_container_resource_requests",
            {**job, "container": "main", "node": "node-a", "resource": "memory", "unit": "byte"},
            _const(4 * GIB),
        ),
        (
            "container_cpu_usage_seconds_total",
            {"namespace": "batch", "pod": "report-1-xyz", "container": "main", "node": "node-a"},
            lambda m: 60.0 * m if m <= 29 else None,
        ),
        (
            "container_memory_working_set_bytes",
            {"namespace": "batch", "pod": "report-1-xyz", "container": "main", "node": "node-a"},
            lambda m: float(GIB) if m <= 29 else None,
        ),
        # storage
        (
            "kube_persistentvolumeclaim_info",
            {
                "namespace": "shop",
                "persistentvolumeclaim": "data-web",
                "storageclass": "gp3",
                "volumename": "pv-1",
            },
            one,
        ),
        (
            "kube_persistentvolumeclaim_resource_requests_storage_bytes",
            {"namespace": "shop", "persistentvolumeclaim": "data-web"},
            _const(10 * GIB),
        ),
        (
            "kube_persistentvolume_info",
            {
                "persistentvolume": "pv-1",
                "storageclass": "gp3",
                "csi_driver": "ebs.csi.aws.com",
                "csi_volume_handle": "vol-0123",
            },
            one,
        ),
        ("kube_persistentvolume_capacity_bytes", {"persistentvolume": "pv-1"}, _const(10 * GIB)),
        # load balancer
        (
            "kube_service_info",
            {"namespace": "shop", "service": "web", "cluster_ip": "172.20.0.10"},
            one,
        ),
        (
            "kube_service_spec_type",
            {"namespace": "shop", "service": "web", "type": "LoadBalancer"},
            one,
        ),
        (
            "kube_service_status_load_balancer_ingress",
            {"namespace": "shop", "service": "web", "hostname": "web.elb.example"},
            one,
        ),
        (
            "kube_endpoint_address",
            {"namespace": "shop", "endpoint": "web", "ip": "10.0.0.5", "ready": "true"},
            one,
        ),
        # HPA
        (
            "kube_horizontalpodautoscaler_info",
            {
                "namespace": "shop",
                "horizontalpodautoscaler": "web",
                "scaletargetref_kind": "Deployment",
                "scaletargetref_name": "web",
            },
            one,
        ),
        (
            "kube_horizontalpodautoscaler_spec_min_replicas",
            {"namespace": "shop", "horizontalpodautoscaler": "web"},
            _const(2),
        ),
        (
            "kube_horizontalpodautoscaler_spec_max_replicas",
            {"namespace": "shop", "horizontalpodautoscaler": "web"},
            _const(10),
        ),
        (
            "kube_horizontalpodautoscaler_spec_target_metric",
            {
                "namespace": "shop",
                "horizontalpodautoscaler": "web",
                "metric_name": "cpu",
                "metric_target_type": "utilization",
            },
            _const(70),
        ),
        # DCGM
        (
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
            {
                **dcgm,
                "GPU_I_PROFILE": "1g.5gb",
                "GPU_I_ID": "7",
                "namespace": "ml",
                "pod": "infer-1",
                "container": "server",
            },
            _const(0.25),
        ),
        (
            "DCGM_FI_DEV_GPU_UTIL",
            {**dcgm2, "namespace": "ml", "pod": "nb-1", "container": "lab"},
            _const(10),
        ),
        (
            "DCGM_FI_DEV_GPU_UTIL",
            {**dcgm2, "namespace": "ml", "pod": "nb-2", "container": "lab"},
            _const(30),
        ),
        (
            "DCGM_FI_DEV_FB_USED",
            {**dcgm2, "namespace": "ml", "pod": "nb-1", "container": "lab"},
            _const(1024),
        ),
        (
            "DCGM_FI_DEV_POWER_USAGE",
            {**dcgm2, "namespace": "ml", "pod": "nb-1", "container": "lab"},
            _const(50),
        ),
        # last, so the line numbers of the other series stay those of older tests
        (
            "http_requests_total",
            {"namespace": "shop", "service": "web", "pod": "web-abc-1"},
            lambda m: 10.0 * m if m < 90 else 10.0 * (m - 90),
        ),
    ]


def render(*, openmetrics: bool = True) -> str:
    """OpenMetrics (seconds, '# EOF') or Prometheus text (milliseconds) of the cluster.

    Samples of one family must be contiguous and in time order per series for promtool.
    """
    lines: list[str] = []
    seen_types: set[str] = set()
    all_series = series()
    order = {name: i for i, (name, _, _) in reversed(list(enumerate(all_series)))}
    for name, labels, value in sorted(all_series, key=lambda s: order[s[0]]):
        if name not in seen_types:
            kind = "counter" if name.endswith("_total") else "gauge"
            family = name.removesuffix("_total") if (kind == "counter" and openmetrics) else name
            if openmetrics:
                lines.append(f"# TYPE {family} {kind}")
            seen_types.add(name)
        for m in MINUTES:
            v = value(m)
            if v is None:
                continue
            ts = T0_S + 60 * m
            stamp = str(ts) if openmetrics else str(ts * 1000)
            lines.append(f"{name}{_fmt_labels(labels)} {v!r} {stamp}")
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"


def write(path: Path, *, openmetrics: bool = True) -> Path:
    path.write_text(render(openmetrics=openmetrics), encoding="utf-8")
    return path


TABLES = (
    "k8s_nodes",
    "node_hours",
    "k8s_namespaces",
    "k8s_owners",
    "k8s_pods",
    "container_hours",
    "k8s_pvs",
    "pvc_hours",
    "pod_pvc_hours",
    "service_hours",
    "service_pod_hours",
    "gpu_hours",
    "k8s_hpas",
)


def dump(settings: object) -> dict[str, list[tuple[object, ...]]]:
    """Every m003 row (without ingest_id), sorted, per table: for equality checks."""
    from assistant.warehouse.db import reader

    with reader(settings) as con:  # type: ignore[arg-type]
        return {
            t: con.execute(f"SELECT * EXCLUDE (ingest_id) FROM {t} ORDER BY ALL").fetchall()
            for t in TABLES
        }
