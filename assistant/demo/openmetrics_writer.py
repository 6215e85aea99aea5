"""Write the organisation's metrics as OpenMetrics text with timestamps, one file per cluster.

The files hold what a Prometheus scraping kube-state-metrics v2, cAdvisor and
dcgm-exporter would have stored: standard metric names and labels, one sample every
``org.step_s`` seconds while the object exists. They are what ``promtool tsdb
create-blocks-from openmetrics`` backfills and what the OpenMetrics ingest reads, so the
demo exercises the same parsing code as a user's export.

Layout rules (OpenMetrics): a family's samples are contiguous, each series' samples are
in time order, counters are written as ``<family>_total``, and the file ends in ``# EOF``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from assistant.demo.model import GIB, MIG_SLICES, Node, Org, Pod
from assistant.demo.usage import (
    cpu_rate,
    gpu_series,
    memory_working_set,
    oom_sample_indexes,
    sample_range,
)

__all__ = ["sanitize_label", "write_openmetrics"]


def sanitize_label(key: str) -> str:
    """kube-state-metrics' form: ``app.kubernetes.io/name`` -> ``label_app_kubernetes_io_name``."""
    return "label_" + "".join(ch if ch.isalnum() else "_" for ch in key)


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in labels.items() if v != "") + "}"


class _Writer:
    def __init__(self, fh: IO[str], org: Org) -> None:
        self.fh = fh
        self.org = org
        t0 = calendar.timegm(org.start.timetuple())
        n = org.hours * 3600 // org.step_s
        self.ts = [f" {t0 + k * org.step_s}\n" for k in range(n)]
        self.samples = 0

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.fh.write(f"# TYPE {name} {kind}\n# HELP {name} {help_text}\n")

    def const(self, name: str, labels: dict[str, str], value: float | str, ks: range) -> None:
        prefix = f"{name}{_labels(labels)} {value}"
        self.fh.writelines(prefix + self.ts[k] for k in ks)
        self.samples += len(ks)

    def series(
        self,
        name: str,
        labels: dict[str, str],
        values: Iterable[float],
        ks: range,
        fmt: str = "{:.6g}",
    ) -> None:
        prefix = f"{name}{_labels(labels)} "
        ts = self.ts
        self.fh.writelines(prefix + fmt.format(v) + ts[k] for v, k in zip(values, ks, strict=True))
        self.samples += len(ks)


def _pod_ids(p: Pod) -> dict[str, str]:
    return {"namespace": p.namespace, "pod": p.name, "uid": p.uid}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def write_openmetrics(org: Org, out_dir: Path) -> dict[str, Path]:
    """Write ``<cluster>.om`` per cluster into ``out_dir``; returns cluster -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for cl in org.clusters:
        path = out_dir / f"{cl.name}.om"
        with path.open("w", encoding="utf-8", buffering=1 << 20) as fh:
            w = _Writer(fh, org)
            _write_cluster(w, org, cl.name)
            fh.write("# EOF\n")
        paths[cl.name] = path
    return paths


def _write_cluster(w: _Writer, org: Org, cluster: str) -> None:
    nodes = [n for n in org.nodes if n.cluster == cluster]
    pods = [p for p in org.pods if p.cluster == cluster]
    cl = next(c for c in org.clusters if c.name == cluster)
    span = sample_range(org, cl.start, cl.end)
    _nodes(w, org, nodes)
    w.family("kube_namespace_labels", "gauge", "Kubernetes labels converted to Prometheus labels.")
    for ns, labels in cl.namespaces.items():
        w.const(
            "kube_namespace_labels",
            {"namespace": ns, **{sanitize_label(k): v for k, v in labels.items()}},
            1,
            span,
        )
    _pods(w, org, pods)
    _containers(w, org, pods)
    _storage(w, org, cluster, pods)
    _services(w, org, cluster, pods)
    _hpas(w, org, cluster)
    _usage(w, org, pods)
    _gpus(w, org, nodes, pods)


def _nodes(w: _Writer, org: Org, nodes: list[Node]) -> None:
    w.family("kube_node_info", "gauge", "Information about a cluster node.")
    for n in nodes:
        w.const(
            "kube_node_info",
            {
                "node": n.name,
                "provider_id": n.provider_id,
                "kubelet_version": "v1.31.2-eks-94953ac",
                "os_image": "Amazon Linux 2023",
            },
            1,
            sample_range(org, n.start, n.end),
        )
    w.family("kube_node_labels", "gauge", "Kubernetes labels converted to Prometheus labels.")
    for n in nodes:
        labels = {
            "node": n.name,
            "label_node_kubernetes_io_instance_type": n.itype.name,
            "label_topology_kubernetes_io_region": "us-east-1",
            "label_topology_kubernetes_io_zone": n.zone,
            "label_karpenter_sh_capacity_type": n.capacity_type,
            "label_karpenter_sh_nodepool": n.pool,
        }
        if n.itype.gpu_model:
            labels["label_nvidia_com_gpu_product"] = n.itype.gpu_model.replace(" ", "-")
        w.const("kube_node_labels", labels, 1, sample_range(org, n.start, n.end))
    w.family("kube_node_status_capacity", "gauge", "The capacity for resources of a node.")
    for n in nodes:
        ks = sample_range(org, n.start, n.end)
        w.const(
            "kube_node_status_capacity",
            {"node": n.name, "resource": "cpu", "unit": "core"},
            n.itype.vcpu,
            ks,
        )
        w.const(
            "kube_node_status_capacity",
            {"node": n.name, "resource": "memory", "unit": "byte"},
            int(n.itype.mem_gib * GIB),
            ks,
        )
        if n.itype.gpus:
            # the device plugin's "mixed" MIG strategy: whole GPUs and MIG instances apart
            w.const(
                "kube_node_status_capacity",
                {"node": n.name, "resource": "nvidia_com_gpu", "unit": "integer"},
                n.itype.gpus - len(n.mig_gpus),
                ks,
            )
            if n.mig_gpus:
                w.const(
                    "kube_node_status_capacity",
                    {"node": n.name, "resource": "nvidia_com_mig_1g_5gb", "unit": "integer"},
                    len(n.mig_gpus) * MIG_SLICES,
                    ks,
                )


def _pods(w: _Writer, org: Org, pods: list[Pod]) -> None:
    w.family("kube_pod_info", "gauge", "Information about pod.")
    for p in pods:
        w.const(
            "kube_pod_info",
            {
                **_pod_ids(p),
                "node": p.node.name,
                "pod_ip": p.ip,
                "host_ip": "",
                "created_by_kind": p.owner_kind,
                "created_by_name": p.owner_name,
                "priority_class": "",
            },
            1,
            sample_range(org, p.start, p.end),
        )
    w.family("kube_pod_labels", "gauge", "Kubernetes labels converted to Prometheus labels.")
    for p in pods:
        labels = {sanitize_label(k): v for k, v in p.workload.labels.items()}
        w.const("kube_pod_labels", {**_pod_ids(p), **labels}, 1, sample_range(org, p.start, p.end))
    w.family("kube_pod_owner", "gauge", "Information about the Pod's owner.")
    for p in pods:
        w.const(
            "kube_pod_owner",
            {
                **_pod_ids(p),
                "owner_kind": p.owner_kind,
                "owner_name": p.owner_name,
                "owner_is_controller": "true" if p.owner_kind != "<none>" else "<none>",
            },
            1,
            sample_range(org, p.start, p.end),
        )
    rs_span: dict[tuple[str, str, str], list[int]] = {}
    job_span: dict[tuple[str, str, str, str], list[int]] = {}
    for p in pods:
        if p.owner_kind == "ReplicaSet":
            key = (p.namespace, p.owner_name, p.workload.name)
            s = rs_span.setdefault(key, [p.start, p.end])
            s[0], s[1] = min(s[0], p.start), max(s[1], p.end)
        elif p.owner_kind == "Job":
            parent = p.workload.name if p.workload.kind == "CronJob" else "<none>"
            jkey = (
                p.namespace,
                p.owner_name,
                "CronJob" if parent != "<none>" else "<none>",
                parent,
            )
            s = job_span.setdefault(jkey, [p.start, p.end])
            s[0], s[1] = min(s[0], p.start), max(s[1], p.end)
    w.family("kube_replicaset_owner", "gauge", "Information about the ReplicaSet's owner.")
    for (ns, rs, deploy), (a, b) in rs_span.items():
        w.const(
            "kube_replicaset_owner",
            {
                "namespace": ns,
                "replicaset": rs,
                "owner_kind": "Deployment",
                "owner_name": deploy,
                "owner_is_controller": "true",
            },
            1,
            sample_range(org, a, b),
        )
    w.family("kube_job_owner", "gauge", "Information about the Job's owner.")
    for (ns, job, kind, parent), (a, b) in job_span.items():
        w.const(
            "kube_job_owner",
            {
                "namespace": ns,
                "job_name": job,
                "owner_kind": kind,
                "owner_name": parent,
                "owner_is_controller": "true" if kind != "<none>" else "<none>",
            },
            1,
            sample_range(org, a, b),
        )


def _containers(w: _Writer, org: Org, pods: list[Pod]) -> None:
    for metric, attr in (
        ("kube_pod_container_resource_requests", "request"),
        ("kube_pod_container_resource_limits", "limit"),
    ):
        w.family(metric, "gauge", f"The number of {attr}ed resource by a container.")
        for p in pods:
            ks = sample_range(org, p.start, p.end)
            for c in p.workload.containers:
                base = {**_pod_ids(p), "container": c.name, "node": p.node.name}
                cpu = c.cpu_request if attr == "request" else c.cpu_limit
                mem = c.mem_request if attr == "request" else c.mem_limit
                if cpu is not None:
                    w.const(metric, {**base, "resource": "cpu", "unit": "core"}, _num(cpu), ks)
                if mem is not None:
                    w.const(metric, {**base, "resource": "memory", "unit": "byte"}, _num(mem), ks)
                if c.gpu:
                    w.const(
                        metric, {**base, "resource": c.gpu_resource, "unit": "integer"}, c.gpu, ks
                    )
    w.family(
        "kube_pod_container_status_running",
        "gauge",
        "Describes whether the container is currently in running state.",
    )
    for p in pods:
        ks = sample_range(org, p.start, p.end)
        for c in p.workload.containers:
            w.const(
                "kube_pod_container_status_running", {**_pod_ids(p), "container": c.name}, 1, ks
            )
    w.family(
        "kube_pod_container_status_restarts",
        "counter",
        "The number of container restarts per container.",
    )
    for p in pods:
        ks = sample_range(org, p.start, p.end)
        for c in p.workload.containers:
            counts = np.zeros(len(ks))
            for k in oom_sample_indexes(org, p, c):
                counts[k - ks.start :] += 1
            w.series(
                "kube_pod_container_status_restarts_total",
                {**_pod_ids(p), "container": c.name},
                counts,
                ks,
                "{:.0f}",
            )
    w.family(
        "kube_pod_container_status_last_terminated_reason",
        "gauge",
        "Describes the last reason the container was in terminated state.",
    )
    for p in pods:
        for c in p.workload.containers:
            ooms = oom_sample_indexes(org, p, c)
            if ooms:
                end = sample_range(org, p.start, p.end).stop
                w.const(
                    "kube_pod_container_status_last_terminated_reason",
                    {**_pod_ids(p), "container": c.name, "reason": "OOMKilled"},
                    1,
                    range(ooms[0], end),
                )


def _storage(w: _Writer, org: Org, cluster: str, pods: list[Pod]) -> None:
    vols = [v for v in org.volumes if v.cluster == cluster]
    w.family(
        "kube_persistentvolumeclaim_info", "gauge", "Information about persistent volume claim."
    )
    for v in vols:
        w.const(
            "kube_persistentvolumeclaim_info",
            {
                "namespace": v.namespace,
                "persistentvolumeclaim": v.pvc,
                "storageclass": v.storage_class,
                "volumename": v.pv,
            },
            1,
            sample_range(org, v.start, v.end),
        )
    w.family("kube_persistentvolume_info", "gauge", "Information about persistentvolume.")
    for v in vols:
        w.const(
            "kube_persistentvolume_info",
            {
                "persistentvolume": v.pv,
                "storageclass": v.storage_class,
                "csi_driver": "ebs.csi.aws.com",
                "csi_volume_handle": v.volume_id,
            },
            1,
            sample_range(org, v.start, v.end),
        )
    w.family("kube_persistentvolume_capacity_bytes", "gauge", "Persistentvolume capacity in bytes.")
    for v in vols:
        w.const(
            "kube_persistentvolume_capacity_bytes",
            {"persistentvolume": v.pv},
            int(v.size_gib * GIB),
            sample_range(org, v.start, v.end),
        )
    w.family(
        "kube_persistentvolumeclaim_resource_requests_storage_bytes",
        "gauge",
        "The capacity of storage requested by the persistent volume claim.",
    )
    for v in vols:
        w.const(
            "kube_persistentvolumeclaim_resource_requests_storage_bytes",
            {"namespace": v.namespace, "persistentvolumeclaim": v.pvc},
            int(v.size_gib * GIB),
            sample_range(org, v.start, v.end),
        )
    w.family(
        "kube_pod_spec_volumes_persistentvolumeclaims_info",
        "gauge",
        "Information about persistentvolumeclaim volumes in a pod.",
    )
    for p in pods:
        if p.pvc:
            w.const(
                "kube_pod_spec_volumes_persistentvolumeclaims_info",
                {**_pod_ids(p), "volume": "data", "persistentvolumeclaim": p.pvc},
                1,
                sample_range(org, p.start, p.end),
            )


def _services(w: _Writer, org: Org, cluster: str, pods: list[Pod]) -> None:
    lbs = [lb for lb in org.lbs if lb.cluster == cluster]
    families = [
        ("kube_service_info", "Information about service."),
        ("kube_service_spec_type", "Type about service."),
        ("kube_service_status_load_balancer_ingress", "Service load balancer ingress."),
    ]
    for i, (name, text) in enumerate(families):
        w.family(name, "gauge", text)
        for n, lb in enumerate(lbs):
            base = {
                "namespace": lb.namespace,
                "service": lb.service,
                "uid": f"5e1c{n:04d}-0000-4000-8000-{lb.arn[-12:]}",
            }
            extra = [
                {"cluster_ip": f"172.20.{n}.10"},
                {"type": "LoadBalancer"},
                {"hostname": lb.hostname},
            ][i]
            w.const(name, {**base, **extra}, 1, sample_range(org, lb.start, lb.end))
    w.family(
        "kube_endpoint_address",
        "gauge",
        "Information about Endpoint available and non available addresses.",
    )
    for lb in lbs:
        for p in pods:
            if p.namespace == lb.namespace and p.workload.name == lb.workload:
                w.const(
                    "kube_endpoint_address",
                    {
                        "namespace": lb.namespace,
                        "endpoint": lb.service,
                        "ip": p.ip,
                        "ready": "true",
                    },
                    1,
                    sample_range(org, max(p.start, lb.start), min(p.end, lb.end)),
                )


def _hpas(w: _Writer, org: Org, cluster: str) -> None:
    hpas = [wl for wl in org.workloads if wl.cluster == cluster and wl.hpa]
    names = [
        "kube_horizontalpodautoscaler_info",
        "kube_horizontalpodautoscaler_spec_min_replicas",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_spec_target_metric",
    ]
    for name in names:
        w.family(name, "gauge", "HorizontalPodAutoscaler " + name.rsplit("_", 2)[-2:][-1])
        for wl in hpas:
            assert wl.hpa is not None
            hpa = wl.hpa
            base = {"namespace": wl.namespace, "horizontalpodautoscaler": hpa.name}
            ks = sample_range(org, wl.start, wl.end or org.hours)
            if name.endswith("_info"):
                w.const(
                    name,
                    {
                        **base,
                        "scaletargetref_api_version": "apps/v1",
                        "scaletargetref_kind": "Deployment",
                        "scaletargetref_name": wl.name,
                    },
                    1,
                    ks,
                )
            elif name.endswith("min_replicas"):
                vals = [hpa.min_at(k * org.step_s // 3600) for k in ks]
                w.series(name, base, vals, ks, "{:d}")
            elif name.endswith("max_replicas"):
                w.const(name, base, hpa.max_replicas, ks)
            else:
                w.const(
                    name,
                    {**base, "metric_name": "cpu", "metric_target_type": "utilization"},
                    hpa.target_utilization,
                    ks,
                )


def _usage(w: _Writer, org: Org, pods: list[Pod]) -> None:
    w.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.")
    for p in pods:
        ks = sample_range(org, p.start, p.end)
        for c in p.workload.containers:
            rate = cpu_rate(org, p, c, ks)
            total = np.concatenate([[0.0], np.cumsum(rate[:-1] * org.step_s)])
            for k in oom_sample_indexes(org, p, c):  # a restarted container counts from 0
                i = k - ks.start
                total[i:] -= total[i]
            w.series(
                "container_cpu_usage_seconds_total",
                {"namespace": p.namespace, "pod": p.name, "container": c.name, "node": p.node.name},
                total,
                ks,
                "{:.3f}",
            )
    w.family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    for p in pods:
        ks = sample_range(org, p.start, p.end)
        for c in p.workload.containers:
            w.series(
                "container_memory_working_set_bytes",
                {"namespace": p.namespace, "pod": p.name, "container": c.name, "node": p.node.name},
                memory_working_set(org, p, c, ks),
                ks,
                "{:.0f}",
            )


def gpu_segments(
    org: Org, node: Node, pods: list[Pod]
) -> list[tuple[tuple[int, int | None], Pod | None, int, int]]:
    """Per GPU device (whole GPU or MIG instance): who used it when, gaps included."""
    out: list[tuple[tuple[int, int | None], Pod | None, int, int]] = []
    devices: list[tuple[int, int | None]] = [
        (g, None) for g in range(node.itype.gpus) if g not in node.mig_gpus
    ]
    devices += [(g, k) for g in node.mig_gpus for k in range(MIG_SLICES)]
    for dev in devices:
        users = sorted(
            (p for p in pods if p.node is node and dev in p.gpu_devices), key=lambda p: p.start
        )
        t = node.start
        for p in users:
            if p.start > t:
                out.append((dev, None, t, p.start))
            out.append((dev, p, p.start, p.end))
            t = p.end
        if t < node.end:
            out.append((dev, None, t, node.end))
    return out


def _gpus(w: _Writer, org: Org, nodes: list[Node], pods: list[Pod]) -> None:
    segs = [(n, seg) for n in nodes if n.itype.gpus for seg in gpu_segments(org, n, pods)]
    fams = [
        ("DCGM_FI_DEV_GPU_UTIL", "util", "GPU utilization (in %).", "{:.1f}"),
        (
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
            "engine",
            "Ratio of time the graphics engine is active.",
            "{:.4f}",
        ),
        ("DCGM_FI_DEV_FB_USED", "fb", "Framebuffer memory used (in MiB).", "{:.0f}"),
        ("DCGM_FI_DEV_POWER_USAGE", "power", "Power draw (in W).", "{:.2f}"),
    ]
    for name, key, text, fmt in fams:
        w.family(name, "gauge", text)
        for n, ((g, mig), pod, a, b) in segs:
            if mig is not None and key == "util":
                continue  # DCGM does not report GPU_UTIL per MIG instance
            ks = sample_range(org, a, b)
            labels = {
                "gpu": str(g),
                "UUID": n.gpu_uuids[g],
                "device": f"nvidia{g}",
                "modelName": n.itype.gpu_model or "",
                "Hostname": n.name,
                "GPU_I_PROFILE": "1g.5gb" if mig is not None else "",
                "GPU_I_ID": str(mig) if mig is not None else "",
                "namespace": pod.namespace if pod else "",
                "pod": pod.name if pod else "",
                "container": next(c.name for c in pod.workload.containers if c.gpu) if pod else "",
            }
            series = gpu_series(org, pod, ks, f"{n.name}/{g}/{mig}")
            w.series(name, labels, series[key], ks, fmt)
