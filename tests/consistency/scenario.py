"""A second, independently generated cluster: two closed months of churn (issue 10).

Cluster ``churn`` (AWS, EKS), 2026-08-01 to 2026-10-01, written as the files a user has:
an OpenMetrics file (kube-state-metrics, cAdvisor, DCGM; a sample at every hour and one
last sample 15 s before an object goes away) and FOCUS 1.2 CSVs (per-second EC2 billing
as one line per node-hour, daily EBS, hourly ELB and EKS, daily NAT, a monthly tax), then
a restatement of August. Deterministic: no randomness, every amount computed here.

What it has that the demo has not:

* **node churn at any second**: general-pool nodes replaced mid-hour. ``gen-a`` ends at
  14:59:55, so its last sample (14:59:40) is seen by the 15:00 grid point: an hour with
  metrics and no bill line (a boundary hour). ``gen-b`` starts at 14:57:30: its first
  billed seconds fall in an hour no metrics saw (a line for an unobserved hour).
* **spot interruptions**: four spot nodes in a row, one ending 22:59:59 (another boundary).
* **MIG**: ``gpu-1``, a p4d with GPU 0 split into seven 1g.5gb instances ("mixed":
  ``nvidia.com/gpu`` 7 + ``mig-1g.5gb`` 7 = 8 GPUs), three serving ``ml/embed``; a one-off
  training Job on four whole GPUs; a notebook holding one GPU idle.
* **PVs**: ``db/postgres-0`` moves with the churning nodes, its volume follows it; an
  unattached volume bills on.
* **a restated bill**: August re-issued with the spot hours re-priced (× 0.9) and a credit.
* **an estimate**: ``edge-1`` runs Sep 1–15 but the bill (another account) never mentions
  it: priced from the price list, listed apart, never in a total.

:func:`generate` writes the files and returns :class:`Truth`: per month and basis the
bill (Σ EffectiveCost / Σ BilledCost after the restatement), per node and month Σ of its
lines, per cluster and month Σ of the lines attributable to it — computed from the lines
written, independently of the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.consistency.scenario_bill import bill_lines, line, write_csv
from tests.consistency.scenario_model import (
    CLUSTER,
    END,
    GPU,
    HOUR,
    LB_HOST,
    NODES,
    START,
    TEAMS,
    Pod,
    pods,
    t,
)

__all__ = ["CLUSTER", "END", "MONTHS", "START", "Truth", "generate"]

MONTHS = ("2026-08", "2026-09")
GIB = 1024**3
EPOCH = datetime(1970, 1, 1)


def _sample_times(start: datetime, end: datetime) -> list[datetime]:
    """Every hour boundary in [start, end), then 15 s before the end (a last scrape)."""
    first = start.replace(minute=0, second=0)
    if first < start:
        first += HOUR
    out = []
    h = first
    while h < min(end, END):
        out.append(h)
        h += HOUR
    if end < END:
        out.append(end - timedelta(seconds=15))
    return out


class _Writer:
    def __init__(self) -> None:
        self.families: dict[str, list[str]] = defaultdict(list)

    def series(self, name: str, labels: dict[str, str], times: list[datetime], value: Any) -> None:
        inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines = self.families[name]
        for when in times:
            v = value(when) if callable(value) else value
            lines.append(f"{name}{{{inner}}} {float(v)!r} {int((when - EPOCH).total_seconds())}")

    def text(self) -> str:
        out = []
        for name, lines in self.families.items():
            kind = "counter" if name.endswith("_total") else "gauge"
            out.append(
                f"# TYPE {name.removesuffix('_total') if kind == 'counter' else name} {kind}"
            )
            out.extend(lines)
        out.append("# EOF")
        return "\n".join(out) + "\n"


def _metrics(pods: list[Pod]) -> str:
    w = _Writer()
    for ns, team in TEAMS.items():
        w.series("kube_namespace_labels", {"namespace": ns, "label_team": team},
                 _sample_times(START, END), 1)  # fmt: skip
    for n in NODES:
        ts = _sample_times(n.start, n.end)
        node = {"node": n.name}
        pid = f"aws:///us-east-1a/{n.iid or 'i-0ed9e100000000001'}"
        w.series("kube_node_info", {**node, "provider_id": pid}, ts, 1)
        w.series("kube_node_labels", {**node, "label_node_kubernetes_io_instance_type": n.itype,
                 "label_karpenter_sh_capacity_type": n.capacity}, ts, 1)  # fmt: skip
        w.series("kube_node_status_capacity", {**node, "resource": "cpu", "unit": "core"}, ts,
                 n.cpu)  # fmt: skip
        w.series("kube_node_status_capacity", {**node, "resource": "memory", "unit": "byte"},
                 ts, n.ram_gib * GIB)  # fmt: skip
        if n.gpus:
            w.series("kube_node_status_capacity", {**node, "resource": "nvidia_com_gpu",
                     "unit": "integer"}, ts, n.gpus - n.mig_gpus)  # fmt: skip
            w.series("kube_node_status_capacity", {**node, "resource": "nvidia_com_mig_1g_5gb",
                     "unit": "integer"}, ts, 7 * n.mig_gpus)  # fmt: skip
    for p in pods:
        ts = _sample_times(p.start, p.end)
        base = {"namespace": p.ns, "pod": p.name, "uid": f"u-{p.name}-{p.node.name}"}
        owner_kind, owner = p.owner
        w.series("kube_pod_info", {**base, "node": p.node.name, "created_by_kind": owner_kind,
                 "created_by_name": owner, "pod_ip": p.ip}, ts, 1)  # fmt: skip
        w.series("kube_pod_owner", {**base, "owner_kind": owner_kind, "owner_name": owner,
                 "owner_is_controller": "true"}, ts, 1)  # fmt: skip
        c = {**base, "container": p.container}
        w.series("kube_pod_container_status_running", c, ts, 1)
        res = {**c, "node": p.node.name}
        w.series("kube_pod_container_resource_requests", {**res, "resource": "cpu",
                 "unit": "core"}, ts, p.cpu)  # fmt: skip
        w.series("kube_pod_container_resource_requests", {**res, "resource": "memory",
                 "unit": "byte"}, ts, p.ram_gib * GIB)  # fmt: skip
        if p.gpu:
            w.series("kube_pod_container_resource_requests", {**res, "resource": p.gpu[0],
                     "unit": "integer"}, ts, p.gpu[1])  # fmt: skip
        cad = {"namespace": p.ns, "pod": p.name, "container": p.container, "node": p.node.name}
        w.series("container_cpu_usage_seconds_total", cad, ts,
                 lambda when, p=p: p.cpu_use * (when - p.start).total_seconds())  # fmt: skip
        w.series("container_memory_working_set_bytes", cad, ts, p.ram_use_gib * GIB)
        if p.pvc:
            w.series("kube_pod_spec_volumes_persistentvolumeclaims_info", {**base,
                     "volume": "data", "persistentvolumeclaim": p.pvc}, ts, 1)  # fmt: skip
    for_all = _sample_times(START, END)
    claim = {"namespace": "db", "persistentvolumeclaim": "data-postgres-0"}
    w.series("kube_persistentvolumeclaim_info", {**claim, "storageclass": "gp3",
             "volumename": "pv-pg"}, for_all, 1)  # fmt: skip
    w.series("kube_persistentvolumeclaim_resource_requests_storage_bytes", claim, for_all,
             100 * GIB)  # fmt: skip
    for pv, vol, gib in (
        ("pv-pg", "vol-0pg00000000001", 100),
        ("pv-old", "vol-0old0000000001", 500),
    ):
        info = {"persistentvolume": pv, "storageclass": "gp3", "csi_driver": "ebs.csi.aws.com",
                "csi_volume_handle": vol}  # fmt: skip
        w.series("kube_persistentvolume_info", info, for_all, 1)
        w.series("kube_persistentvolume_capacity_bytes", {"persistentvolume": pv}, for_all,
                 gib * GIB)  # fmt: skip
    svc = {"namespace": "shop", "service": "web"}
    w.series("kube_service_info", {**svc, "cluster_ip": "172.20.0.10"}, for_all, 1)
    w.series("kube_service_spec_type", {**svc, "type": "LoadBalancer"}, for_all, 1)
    w.series("kube_service_status_load_balancer_ingress", {**svc, "hostname": LB_HOST}, for_all, 1)
    for rs, deploy, ns in (("web-7c9", "web", "shop"), ("worker-5f", "worker", "batch"),
                           ("embed-6d", "embed", "ml")):  # fmt: skip
        w.series("kube_replicaset_owner", {"namespace": ns, "replicaset": rs,
                 "owner_kind": "Deployment", "owner_name": deploy}, for_all, 1)  # fmt: skip
    for p in pods:
        if p.ns == "shop":
            w.series("kube_endpoint_address", {"namespace": "shop", "endpoint": "web",
                     "ip": p.ip, "ready": "true"}, _sample_times(p.start, p.end), 1)  # fmt: skip
    _dcgm(w, pods)
    return w.text()


def _dcgm(w: _Writer, pods: list[Pod]) -> None:
    gpu = {"modelName": "NVIDIA A100-SXM4-40GB", "Hostname": GPU.name}
    embed = [p for p in pods if p.name.startswith("embed")]
    trainer = next(p for p in pods if p.name.startswith("trainer"))
    notebook = next(p for p in pods if p.name.startswith("notebook"))
    every = _sample_times(START, END)
    for k in range(7):  # GPU 0: seven MIG instances
        labels = {**gpu, "gpu": "0", "UUID": "GPU-0", "GPU_I_PROFILE": "1g.5gb",
                  "GPU_I_ID": str(k)}  # fmt: skip
        if k < len(embed):
            p = embed[k]
            labels |= {"namespace": p.ns, "pod": p.name, "container": p.container}
        w.series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", labels, every, 0.4 if k < len(embed) else 0.0)
    for g in range(1, 8):
        labels = {**gpu, "gpu": str(g), "UUID": f"GPU-{g}"}
        if g == 1:
            holder = {"namespace": "research", "pod": notebook.name, "container": "lab"}
            w.series("DCGM_FI_DEV_GPU_UTIL", labels | holder, every, 0.2)
            w.series("DCGM_FI_DEV_POWER_USAGE", labels | holder, every, 60.0)
        elif 2 <= g <= 5:
            busy = _sample_times(trainer.start, trainer.end)
            holder = {"namespace": "ml", "pod": trainer.name, "container": "train"}
            w.series("DCGM_FI_DEV_GPU_UTIL", labels | holder, busy, 90.0)
            w.series("DCGM_FI_DEV_POWER_USAGE", labels | holder, busy, 350.0)
            free = [x for x in every if not trainer.start <= x < trainer.end]
            w.series("DCGM_FI_DEV_GPU_UTIL", labels, free, 0.0)
        else:
            w.series("DCGM_FI_DEV_GPU_UTIL", labels, every, 0.0)


@dataclass
class Truth:
    """The bill as written, after the restatement, per month (Decimal, exact)."""

    bill: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # month → basis → Σ
    nodes: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # month → node → Σ
    clusters: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # month → cluster
    estimated_nodes: dict[str, set[str]] = field(default_factory=dict)  # month → nodes


@dataclass
class Files:
    metrics: Path
    bill_v1: Path  # August and September
    bill_august_restated: Path
    truth: Truth


def generate(out: Path) -> Files:
    out.mkdir(parents=True, exist_ok=True)
    cluster_pods = pods()
    metrics = out / "churn.om"
    metrics.write_text(_metrics(cluster_pods), encoding="utf-8")
    v1 = bill_lines()
    restated = [
        (owner, row)
        for owner, row in bill_lines(spot_factor=Decimal("0.9"))
        if row["BillingPeriodStart"].startswith("2026-08")
    ]
    credit = line(t(8, 20), t(8, 21), Decimal("-25.00"), ResourceId=None,
                   ServiceName="Amazon Elastic Compute Cloud", ChargeCategory="Credit")  # fmt: skip
    restated.append((None, credit))
    bill_v1 = write_csv(out / "bill-2026-08-09.csv", [r for _, r in v1])
    bill_v2 = write_csv(out / "bill-2026-08-restated.csv", [r for _, r in restated])
    final = [x for x in v1 if not x[1]["BillingPeriodStart"].startswith("2026-08")] + restated
    truth = Truth()
    for owner, row in final:
        month = row["ChargePeriodStart"][:7]
        for basis, column in (("amortized", "EffectiveCost"), ("invoice", "BilledCost")):
            b = truth.bill.setdefault(month, {})
            b[basis] = b.get(basis, Decimal(0)) + Decimal(row[column])
        amount = Decimal(row["EffectiveCost"])
        if owner is not None and owner != "cluster":
            nodes = truth.nodes.setdefault(month, {})
            nodes[owner] = nodes.get(owner, Decimal(0)) + amount
        if owner is not None:
            clusters = truth.clusters.setdefault(month, {})
            clusters[CLUSTER] = clusters.get(CLUSTER, Decimal(0)) + amount
    truth.estimated_nodes = {"2026-09": {"edge-1"}}
    return Files(metrics, bill_v1, bill_v2, truth)
