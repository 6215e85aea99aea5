"""A synthetic cluster as an OpenMetrics file, for the metrics-ingest bench.

Same metric names and label conventions as the demo's writer
(``assistant/demo/openmetrics_writer.py``): kube-state-metrics v2 info/label/owner
series, requests and limits per resource, running status, the restart counter, and
cAdvisor's CPU counter and working set. One sample per series per ``step_s`` (hourly by
default, matching the allocation bench's "N pods × D days hourly"), every pod alive for
the whole window, 20 pods per node, 50 namespaces, 10 pods per Deployment, one
container per pod. Written family by family (OpenMetrics keeps a family contiguous), so
``promtool`` would accept it too.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

__all__ = ["START", "write_cluster"]

START = datetime(2026, 10, 1)
PODS_PER_NODE = 20
GIB = 1024**3


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def write_cluster(path: Path, pods: int, days: int, step_s: int = 3600) -> int:
    """Write the file; returns the number of sample lines."""
    t0 = int((START - datetime(1970, 1, 1)).total_seconds())
    n = days * 86400 // step_s
    stamps = [f" {t0 + k * step_s}\n" for k in range(n)]
    ones = "".join(f" 1{s}" for s in stamps)
    nodes = -(-pods // PODS_PER_NODE)
    lines = 0

    def const(fh: object, name: str, labels: dict[str, str], value: str) -> None:
        nonlocal lines
        prefix = name + _labels(labels)
        body = ones if value == "1" else "".join(f" {value}{s}" for s in stamps)
        # every line is prefix + " value ts\n": splice the prefix in front of each line
        fh.write(prefix + body[:-1].replace("\n", "\n" + prefix) + "\n")  # type: ignore[attr-defined]
        lines += n

    def series(fh: object, name: str, labels: dict[str, str], values: list[str]) -> None:
        nonlocal lines
        prefix = name + _labels(labels) + " "
        fh.write("".join(prefix + v + s for v, s in zip(values, stamps, strict=True)))  # type: ignore[attr-defined]
        lines += n

    def pod_ids(i: int) -> dict[str, str]:
        return {
            "namespace": f"ns-{i % 50}",
            "pod": f"app-{i // 10}-7d9f-{i:05d}",
            "uid": f"uid-{i:08d}",
        }

    def container(i: int) -> dict[str, str]:
        return {**pod_ids(i), "container": "main", "node": f"node-{i // PODS_PER_NODE}"}

    with path.open("w", encoding="utf-8", buffering=1 << 22) as fh:
        fh.write("# TYPE kube_node_info gauge\n")
        for j in range(nodes):
            const(
                fh,
                "kube_node_info",
                {"node": f"node-{j}", "provider_id": f"aws:///us-east-1a/i-0{j:016x}"},
                "1",
            )
        fh.write("# TYPE kube_node_labels gauge\n")
        for j in range(nodes):
            const(
                fh,
                "kube_node_labels",
                {
                    "node": f"node-{j}",
                    "label_node_kubernetes_io_instance_type": "m6i.4xlarge",
                    "label_topology_kubernetes_io_region": "us-east-1",
                    "label_topology_kubernetes_io_zone": "us-east-1a",
                    "label_karpenter_sh_capacity_type": "on-demand",
                },
                "1",
            )
        fh.write("# TYPE kube_node_status_capacity gauge\n")
        for j in range(nodes):
            const(
                fh,
                "kube_node_status_capacity",
                {"node": f"node-{j}", "resource": "cpu", "unit": "core"},
                "16",
            )
            const(
                fh,
                "kube_node_status_capacity",
                {"node": f"node-{j}", "resource": "memory", "unit": "byte"},
                str(64 * GIB),
            )
        fh.write("# TYPE kube_namespace_labels gauge\n")
        for ns in range(50):
            const(
                fh,
                "kube_namespace_labels",
                {"namespace": f"ns-{ns}", "label_team": f"team-{ns % 10}"},
                "1",
            )
        fh.write("# TYPE kube_pod_info gauge\n")
        for i in range(pods):
            const(
                fh,
                "kube_pod_info",
                {
                    **pod_ids(i),
                    "node": f"node-{i // PODS_PER_NODE}",
                    "pod_ip": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                    "created_by_kind": "ReplicaSet",
                    "created_by_name": f"app-{i // 10}-7d9f",
                },
                "1",
            )
        fh.write("# TYPE kube_pod_labels gauge\n")
        for i in range(pods):
            const(
                fh,
                "kube_pod_labels",
                {
                    **pod_ids(i),
                    "label_app_kubernetes_io_name": f"app-{i // 10}",
                    "label_team": f"team-{i % 50 % 10}",
                },
                "1",
            )
        fh.write("# TYPE kube_pod_owner gauge\n")
        for i in range(pods):
            const(
                fh,
                "kube_pod_owner",
                {
                    **pod_ids(i),
                    "owner_kind": "ReplicaSet",
                    "owner_name": f"app-{i // 10}-7d9f",
                    "owner_is_controller": "true",
                },
                "1",
            )
        fh.write("# TYPE kube_replicaset_owner gauge\n")
        for d in range(-(-pods // 10)):
            const(
                fh,
                "kube_replicaset_owner",
                {
                    "namespace": f"ns-{d * 10 % 50}",
                    "replicaset": f"app-{d}-7d9f",
                    "owner_kind": "Deployment",
                    "owner_name": f"app-{d}",
                    "owner_is_controller": "true",
                },
                "1",
            )
        for metric, cpu, mem in (
            ("kube_pod_container_resource_requests", "0.5", "1610612736"),
            ("kube_pod_container_resource_limits", "1", "2147483648"),
        ):
            fh.write(f"# TYPE {metric} gauge\n")
            for i in range(pods):
                const(fh, metric, {**container(i), "resource": "cpu", "unit": "core"}, cpu)
                const(fh, metric, {**container(i), "resource": "memory", "unit": "byte"}, mem)
        fh.write("# TYPE kube_pod_container_status_running gauge\n")
        for i in range(pods):
            const(fh, "kube_pod_container_status_running", {**pod_ids(i), "container": "main"}, "1")
        fh.write("# TYPE kube_pod_container_status_restarts counter\n")
        for i in range(pods):
            const(
                fh,
                "kube_pod_container_status_restarts_total",
                {**pod_ids(i), "container": "main"},
                "0",
            )
        fh.write("# TYPE container_cpu_usage_seconds counter\n")
        for i in range(pods):
            total, values = 0.0, []
            for k in range(n):
                values.append(f"{total:.3f}")
                total += (0.1 + 0.06 * ((i * 7 + k) % 10)) * step_s
            series(
                fh,
                "container_cpu_usage_seconds_total",
                {
                    "namespace": f"ns-{i % 50}",
                    "pod": pod_ids(i)["pod"],
                    "container": "main",
                    "node": f"node-{i // PODS_PER_NODE}",
                },
                values,
            )
        fh.write("# TYPE container_memory_working_set_bytes gauge\n")
        for i in range(pods):
            series(
                fh,
                "container_memory_working_set_bytes",
                {
                    "namespace": f"ns-{i % 50}",
                    "pod": pod_ids(i)["pod"],
                    "container": "main",
                    "node": f"node-{i // PODS_PER_NODE}",
                },
                [str(1073741824 + 10485760 * ((i + k) % 50)) for k in range(n)],
            )
        fh.write("# EOF\n")
        # on disk before the caller times the ingest: otherwise the kernel writes gigabytes
        # back while the file is being read, and the ingest is charged for the generator
        fh.flush()
        os.fsync(fh.fileno())
    return lines
