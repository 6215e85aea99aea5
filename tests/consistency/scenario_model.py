"""The churn scenario's cluster: its nodes (churning, spot, a MIG-split GPU node, one the
bill never mentions) and the pods on them, as plain data (tests/consistency/scenario.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

__all__ = [
    "ACCOUNT",
    "CLUSTER",
    "END",
    "GPU",
    "HOUR",
    "LB_ARN",
    "LB_HOST",
    "NODES",
    "START",
    "TEAMS",
    "Node",
    "Pod",
    "pods",
    "t",
]

CLUSTER = "churn"
START = datetime(2026, 8, 1)
END = datetime(2026, 10, 1)
MONTHS = ("2026-08", "2026-09")
HOUR = timedelta(hours=1)
GIB = 1024**3
EPOCH = datetime(1970, 1, 1)
ACCOUNT = "444455556666"
LB_HOST = "a1b2c3d4e5f6a7b8-0123456789abcdef.elb.us-east-1.amazonaws.com"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:444455556666:loadbalancer/net/a1b2c3d4e5f6a7b8/x"


def t(month: int, day: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, ss)


@dataclass(frozen=True)
class Node:
    name: str
    iid: str | None  # None: the bill never mentions it (an estimate)
    itype: str
    capacity: str  # on-demand | spot
    cpu: int
    ram_gib: int
    hourly: Decimal
    start: datetime
    end: datetime
    gpus: int = 0
    mig_gpus: int = 0  # of them split into 7 × 1g.5gb


@dataclass
class Pod:
    ns: str
    name: str
    node: Node
    start: datetime
    end: datetime
    owner: tuple[str, str]  # direct owner kind, name
    container: str
    cpu: float  # request, cores
    ram_gib: float
    cpu_use: float
    ram_use_gib: float
    gpu: tuple[str, int] | None = None  # (resource, count)
    ip: str = ""
    pvc: str | None = None


NODES = [
    Node("sys-1", "i-0a5e1000000000001", "m6i.xlarge", "on-demand", 4, 16, Decimal("0.192"),
         START, END),
    Node("gpu-1", "i-0a6b1000000000001", "p4d.24xlarge", "on-demand", 96, 1152,
         Decimal("32.7726"), START, END, gpus=8, mig_gpus=1),
    Node("gen-a", "i-0ae0a000000000001", "m6i.2xlarge", "on-demand", 8, 32, Decimal("0.384"),
         START, t(8, 10, 14, 59, 55)),
    Node("gen-b", "i-0ae0b000000000001", "m6i.2xlarge", "on-demand", 8, 32, Decimal("0.384"),
         t(8, 10, 14, 57, 30), t(8, 25, 3, 20)),
    Node("gen-c", "i-0ae0c000000000001", "m6i.2xlarge", "on-demand", 8, 32, Decimal("0.384"),
         t(8, 25, 3, 18, 10), t(9, 20, 7, 59, 58)),
    Node("gen-d", "i-0ae0d000000000001", "m6i.2xlarge", "on-demand", 8, 32, Decimal("0.384"),
         t(9, 20, 7, 55), END),
    Node("spot-1", "i-0b0f1000000000001", "m6i.2xlarge", "spot", 8, 32, Decimal("0.1536"),
         START, t(8, 6, 9, 47)),
    Node("spot-2", "i-0b0f2000000000001", "m6i.2xlarge", "spot", 8, 32, Decimal("0.1536"),
         t(8, 6, 9, 49), t(8, 19, 22, 59, 59)),
    Node("spot-3", "i-0b0f3000000000001", "m6i.2xlarge", "spot", 8, 32, Decimal("0.1536"),
         t(8, 19, 22, 58), t(9, 14, 5, 5)),
    Node("spot-4", "i-0b0f4000000000001", "m6i.2xlarge", "spot", 8, 32, Decimal("0.1536"),
         t(9, 14, 5, 7), END),
    Node("edge-1", None, "m6i.large", "on-demand", 2, 8, Decimal("0.096"),
         t(9, 1), t(9, 15)),
]  # fmt: skip
BY_NAME = {n.name: n for n in NODES}
GEN = [BY_NAME[n] for n in ("gen-a", "gen-b", "gen-c", "gen-d")]
SPOT = [BY_NAME[n] for n in ("spot-1", "spot-2", "spot-3", "spot-4")]
GPU = BY_NAME["gpu-1"]
TEAMS = {"kube-system": "platform", "shop": "shop", "batch": "data", "db": "shop", "ml": "ml",
         "research": "ml", "edge": "platform"}  # fmt: skip


def pods() -> list[Pod]:
    pods: list[Pod] = []
    ip = iter(f"10.1.{i // 250}.{i % 250 + 2}" for i in range(10_000))

    def add(**kw: Any) -> None:
        pods.append(Pod(**kw, ip=next(ip)))

    for n in NODES:  # a DaemonSet on every node
        add(ns="edge" if n.name == "edge-1" else "kube-system", name=f"agent-{n.name}", node=n,
            start=n.start, end=n.end, owner=("DaemonSet", "agent"), container="agent",
            cpu=0.1, ram_gib=0.125, cpu_use=0.05, ram_use_gib=0.1)  # fmt: skip
    for n in GEN:
        for i in range(2):
            add(ns="shop", name=f"web-7c9-{n.name}-{i}", node=n, start=n.start, end=n.end,
                owner=("ReplicaSet", "web-7c9"), container="web", cpu=1.0, ram_gib=2.0,
                cpu_use=0.4, ram_use_gib=1.2)  # fmt: skip
        add(ns="db", name="postgres-0", node=n, start=n.start, end=n.end,
            owner=("StatefulSet", "postgres"), container="pg", cpu=2.0, ram_gib=8.0,
            cpu_use=0.8, ram_use_gib=6.0, pvc="data-postgres-0")  # fmt: skip
    for n in SPOT:
        add(ns="batch", name=f"worker-5f-{n.name}", node=n, start=n.start, end=n.end,
            owner=("ReplicaSet", "worker-5f"), container="worker", cpu=2.0, ram_gib=4.0,
            cpu_use=1.5, ram_use_gib=3.0)  # fmt: skip
    for i in range(3):
        add(ns="ml", name=f"embed-6d-{i}", node=GPU, start=START, end=END,
            owner=("ReplicaSet", "embed-6d"), container="server", cpu=2.0, ram_gib=8.0,
            cpu_use=1.0, ram_use_gib=6.0, gpu=("nvidia_com_mig_1g_5gb", 1))  # fmt: skip
    add(ns="ml", name="trainer-1-x7", node=GPU, start=t(9, 8), end=t(9, 12),
        owner=("Job", "trainer-1"), container="train", cpu=32.0, ram_gib=256.0, cpu_use=30.0,
        ram_use_gib=200.0, gpu=("nvidia_com_gpu", 4))  # fmt: skip
    add(ns="research", name="notebook-ana", node=GPU, start=START, end=END,
        owner=("<none>", "<none>"), container="lab", cpu=4.0, ram_gib=32.0, cpu_use=0.1,
        ram_use_gib=4.0, gpu=("nvidia_com_gpu", 1))  # fmt: skip
    return pods
