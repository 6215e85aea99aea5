"""Helpers for a real DuckDB warehouse with hand-placed rows in the tables rightsizing reads.

Rows go straight into container_hours, k8s_pods, node_cost_hours, gpu_hours, … so these
tests do not wait for ingest or allocation. ``NOW`` is pinned; history ends there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.warehouse.db import Connection
from tests.allocation.alloc_rows import mark_allocated

NOW = datetime(2026, 11, 15)
GIB = 1024**3
MIB = 1024**2


class Warehouse:
    """Insert helpers over one open writer connection."""

    def __init__(self, con: Connection) -> None:
        self.con = con

    def insert(self, table: str, **values: Any) -> None:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))

    def pod(
        self,
        ns: str,
        pod: str,
        kind: str | None,
        name: str | None,
        node: str = "n1",
        cluster: str = "c1",
    ) -> None:
        self.insert(
            "k8s_pods",
            cluster=cluster,
            namespace=ns,
            pod=pod,
            node=node,
            controller_kind=kind,
            controller_name=name,
            ingest_id="t",
        )

    def node(
        self,
        node: str,
        *,
        hours: int,
        cpu_price: float = 0.04,
        ram_price: float = 0.005,
        gpu_price: float = 0.0,
        capacity_type: str = "on-demand",
        cpu: float = 8,
        ram_gib: float = 32,
        gpus: float = 0,
        cluster: str = "c1",
        node_cost: float = 1.0,
    ) -> None:
        self.insert(
            "k8s_nodes",
            cluster=cluster,
            node=node,
            capacity_type=capacity_type,
            instance_type="m5.2xlarge",
            instance_id=f"i-{node}",
            ingest_id="t",
        )
        for h in range(hours):
            self.insert(
                "node_cost_hours",
                run_id="r",
                cluster=cluster,
                node=node,
                hour=NOW - timedelta(hours=hours - h),
                price_source="bill",
                node_cost=node_cost,
                node_billed_cost=node_cost,
                cpu_cores=cpu,
                ram_gib=ram_gib,
                gpu_count=gpus,
                cpu_price=cpu_price,
                ram_price=ram_price,
                gpu_price=gpu_price,
                capacity_type=capacity_type,
            )

    def container_series(
        self,
        ns: str,
        pod: str,
        container: str,
        *,
        cpu_max: list[float],
        ram_max: list[float],
        cpu_avg: list[float] | None = None,
        ram_avg: list[float] | None = None,
        cpu_request: float | None = 1.0,
        cpu_limit: float | None = None,
        ram_request: float | None = GIB,
        ram_limit: float | None = GIB,
        oom: dict[int, int] | None = None,
        node: str = "n1",
        cluster: str = "c1",
    ) -> None:
        """One row per hour, ending at NOW (the last value is the hour NOW-1h)."""
        n = len(cpu_max)
        for i in range(n):
            self.insert(
                "container_hours",
                cluster=cluster,
                namespace=ns,
                pod=pod,
                container=container,
                node=node,
                hour=NOW - timedelta(hours=n - i),
                running_hours=1.0,
                cpu_request_cores=cpu_request,
                cpu_limit_cores=cpu_limit,
                cpu_usage_cores=(cpu_avg or cpu_max)[i],
                cpu_usage_max_cores=cpu_max[i],
                ram_request_bytes=ram_request,
                ram_limit_bytes=ram_limit,
                ram_usage_bytes=(ram_avg or ram_max)[i],
                ram_usage_max_bytes=ram_max[i],
                restarts=0,
                oom_kills=(oom or {}).get(i, 0),
                ingest_id="t",
            )

    def gpu_alloc(
        self,
        node: str,
        hour: Any,
        *,
        ns: str | None = None,
        pod: str | None = None,
        gpu_hours: float = 0.0,
        cost: str = "0",
        controller: tuple[str, str] | None = None,
        team: str | None = None,
        cluster: str = "c1",
    ) -> None:
        """An allocation row with GPU cost, stored as a test's writer connection sees
        allocations: a pod's GPU-hours (``pod`` given) or the node-hour's idle GPU (``pod``
        None). A pod also gets its container-hour (running, no requests: zero cost in the
        computed view), so it is not mistaken for an orphan."""
        idle = pod is None
        if not idle:
            self.insert(
                "container_hours",
                cluster=cluster,
                namespace=ns,
                pod=pod,
                container="c",
                node=node,
                hour=hour,
                running_hours=1.0,
                ingest_id="t",
            )
        self.insert(
            "allocations",
            run_id="r",
            cluster=cluster,
            hour=hour,
            kind="idle" if idle else "workload",
            node=node,
            namespace="__idle__" if idle else ns,
            pod="__idle__" if idle else pod,
            container=None if idle else "gpu",
            controller_kind=controller[0] if controller else None,
            controller_name=controller[1] if controller else None,
            team="__idle__" if idle else team,
            resource="gpu" if idle else None,
            gpu_hours=None if idle else gpu_hours,
            gpu_cost=cost,
            total_cost=cost,
            billed_gpu_cost=cost,
            billed_total_cost=cost,
            price_source="bill",
        )

    def team(self, ns: str, pod: str, team: str, cluster: str = "c1") -> None:
        self.insert(
            "allocations",
            run_id="r",
            cluster=cluster,
            hour=NOW - timedelta(hours=1),
            kind="workload",
            node="n1",
            namespace=ns,
            pod=pod,
            container="x",
            team=team,
            total_cost=0,
            billed_total_cost=0,
        )


def plant_gpus(wh: Warehouse) -> None:
    """A planted idle notebook, a busy training job with short gaps, an idle MIG slice.

    g1 (A100, $2.00/GPU-h): gpu 0 = ml/notebook-0 (StatefulSet notebook, team research),
    engine_active 1% at 60 W for 10 h; gpu 1 = ml/train-x (Job train, team training),
    90% at 350 W except hours 4–5 at 2% (a 2-hour gap between epochs).
    g2 ($3.50/GPU-h): MIG slice 1g.5gb (1/7 of a GPU) for serve/infer-0, no profiling
    metrics, GPU_UTIL 0% for 6 h; a 6% busy slice beside it.

    The allocation rows match (GPU cost = GPU-hours × $/GPU-h): notebook-0 and train-x
    1 GPU-h = $2.00 an hour each; infer-0 and infer-1 1/7 GPU-h = $0.50 an hour each; g2's
    unrequested GPU (idle) $3.50 an hour, $2.50 in the 6 hours the two slices ran.
    """
    from datetime import timedelta as _td

    wh.node("g1", hours=10, gpu_price=2.0, gpus=2)
    wh.node("g2", hours=10, gpu_price=3.5, gpus=1)
    wh.pod("ml", "notebook-0", "StatefulSet", "notebook", node="g1")
    wh.team("ml", "notebook-0", "research")
    wh.pod("ml", "train-x", "Job", "train", node="g1")
    wh.team("ml", "train-x", "training")
    wh.pod("serve", "infer-0", "Deployment", "infer", node="g2")
    wh.pod("serve", "infer-1", "Deployment", "infer", node="g2")
    for i in range(10):
        hour = NOW - _td(hours=10 - i)
        base = dict(cluster="c1", hour=hour, samples=60, ingest_id="t")
        wh.insert(
            "gpu_hours",
            node="g1",
            gpu="0",
            model="A100",
            namespace="ml",
            pod="notebook-0",
            container="jupyter",
            engine_active=0.01,
            util_pct=3.0,
            power_watts=60.0,
            **base,
        )
        wh.gpu_alloc(
            "g1", hour, ns="ml", pod="notebook-0", gpu_hours=1.0, cost="2.0",
            controller=("StatefulSet", "notebook"), team="research",
        )  # fmt: skip
        wh.gpu_alloc(
            "g1", hour, ns="ml", pod="train-x", gpu_hours=1.0, cost="2.0",
            controller=("Job", "train"), team="training",
        )  # fmt: skip
        wh.gpu_alloc("g2", hour, cost="3.5" if i < 4 else "2.5")
        busy = i not in (4, 5)
        wh.insert(
            "gpu_hours",
            node="g1",
            gpu="1",
            model="A100",
            namespace="ml",
            pod="train-x",
            container="trainer",
            engine_active=0.9 if busy else 0.02,
            util_pct=95.0 if busy else 1.0,
            power_watts=350.0 if busy else 90.0,
            **base,
        )
    for i in range(6):
        hour = NOW - _td(hours=6 - i)
        base = dict(cluster="c1", hour=hour, samples=60, ingest_id="t")
        for pod in ("infer-0", "infer-1"):
            wh.gpu_alloc(
                "g2", hour, ns="serve", pod=pod, gpu_hours=1 / 7, cost="0.5",
                controller=("Deployment", "infer"),
            )  # fmt: skip
        wh.insert(
            "gpu_hours",
            node="g2",
            gpu="0-mig-1",
            model="A100",
            mig_profile="1g.5gb",
            gpu_share=1 / 7,
            namespace="serve",
            pod="infer-0",
            util_pct=0.0,
            **base,
        )
        wh.insert(
            "gpu_hours",
            node="g2",
            gpu="0-mig-2",
            model="A100",
            mig_profile="1g.5gb",
            gpu_share=1 / 7,
            namespace="serve",
            pod="infer-1",
            util_pct=6.0,
            **base,
        )
    # the rows above are what `penny allocate` would have stored: record the hours as
    # allocated (the GPU views refuse hours with data and no allocation)
    mark_allocated(wh.con, NOW - _td(days=30), NOW)
