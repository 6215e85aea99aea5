"""The simulated organisation's objects: clusters, nodes, workloads, pods, volumes, LBs.

Time is counted in whole hours from the demo's start (``Org.start``); every lifetime is
a half-open ``[start, end)`` of hour indexes, so a node's metric samples and its bill
lines cover exactly the same hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from assistant.demo.catalog import InstanceType

__all__ = [
    "GIB",
    "MIB",
    "Cluster",
    "ContainerSpec",
    "Hpa",
    "LoadBalancer",
    "Node",
    "Org",
    "Pod",
    "Volume",
    "Workload",
]

GIB = 1024.0**3
MIB = 1024.0**2
MIG_SLICES = 7  # an A100-40GB splits into seven 1g.5gb instances


@dataclass
class Cluster:
    name: str
    start: int
    end: int
    namespaces: dict[str, dict[str, str]]  # namespace -> namespace labels

    @property
    def arn(self) -> str:
        from assistant.demo.catalog import ACCOUNT_ID, REGION

        return f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/{self.name}"


@dataclass
class Node:
    cluster: str
    name: str
    pool: str
    itype: InstanceType
    capacity_type: str  # on-demand | spot
    zone: str
    instance_id: str
    start: int
    end: int
    mig_gpus: tuple[int, ...] = ()  # GPU indexes partitioned into 1g.5gb MIG instances
    gpu_uuids: list[str] = field(default_factory=list)

    @property
    def provider_id(self) -> str:
        return f"aws:///{self.zone}/{self.instance_id}"

    def alive(self, hour: int) -> bool:
        return self.start <= hour < self.end


@dataclass
class ContainerSpec:
    name: str
    cpu_request: float | None  # cores; None = no request
    cpu_limit: float | None
    mem_request: float | None  # bytes
    mem_limit: float | None
    cpu_use: float  # mean usage, cores, at full load
    mem_use: float  # mean working set, bytes
    profile: str = "flat"  # flat | traffic | batch | idle
    gpu: int = 0  # whole GPUs or MIG instances requested
    gpu_resource: str = "nvidia_com_gpu"
    gpu_profile: str | None = None  # training | inference | notebook
    oom_every_h: int = 0  # > 0: working set climbs to the limit and is OOMKilled


@dataclass
class Hpa:
    name: str
    min_replicas: list[tuple[int, int]]  # (from hour, value): the spec over time
    max_replicas: int
    target_utilization: int  # percent of CPU request

    def min_at(self, hour: int) -> int:
        value = self.min_replicas[0][1]
        for start, v in self.min_replicas:
            if hour >= start:
                value = v
        return value


@dataclass
class Workload:
    cluster: str
    namespace: str
    name: str
    kind: str  # Deployment | StatefulSet | DaemonSet | CronJob | Job | Pod
    containers: list[ContainerSpec]
    labels: dict[str, str]
    pools: tuple[str, ...] = ()  # node pools it may run on; () = every pool (DaemonSet)
    replicas: Callable[[int], int] | None = None
    runs: list[tuple[int, int]] = field(default_factory=list)  # Job/CronJob/Pod lifetimes
    parallelism: int = 1
    hpa: Hpa | None = None
    pvc_size_gib: int = 0  # StatefulSet volumeClaimTemplate size
    start: int = 0
    end: int | None = None


@dataclass
class Pod:
    workload: Workload
    name: str
    uid: str
    node: Node
    start: int
    end: int
    ip: str
    owner_kind: str  # direct owner: ReplicaSet, Job, StatefulSet, … <none>
    owner_name: str
    gpu_devices: list[tuple[int, int | None]] = field(default_factory=list)  # (gpu, MIG id)
    pvc: str | None = None

    @property
    def cluster(self) -> str:
        return self.workload.cluster

    @property
    def namespace(self) -> str:
        return self.workload.namespace


@dataclass
class Volume:
    cluster: str
    namespace: str
    pvc: str
    pv: str
    volume_id: str
    size_gib: int
    storage_class: str
    start: int
    end: int


@dataclass
class LoadBalancer:
    cluster: str
    namespace: str
    service: str
    workload: str  # the Deployment its selector matches
    hostname: str
    arn: str
    start: int
    end: int
    lcu_per_hour: float = 2.0


@dataclass
class Org:
    seed: int
    scale: str
    start: datetime  # naive UTC, 1st of a month, 00:00
    end: datetime  # naive UTC, exclusive
    step_s: int  # metric sample interval
    clusters: list[Cluster]
    nodes: list[Node]
    workloads: list[Workload]
    pods: list[Pod] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    lbs: list[LoadBalancer] = field(default_factory=list)
    months: list[tuple[int, int]] = field(default_factory=list)  # [start, end) hour spans
    events: dict[str, Any] = field(default_factory=dict)  # planted facts, by name
    savings_plan: dict[str, Any] = field(default_factory=dict)
    daily_network: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. unschedulable pods

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)

    def at(self, hour: int) -> datetime:
        return self.start + timedelta(hours=hour)

    def hour_of(self, when: datetime) -> int:
        return int((when - self.start).total_seconds() // 3600)
