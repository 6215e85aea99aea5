"""Helpers for a real DuckDB warehouse with hand-placed rows in the tables rightsizing reads.

Rows go straight into container_hours, k8s_pods, node_cost_hours, gpu_hours, … so these
tests do not wait for ingest or allocation. ``NOW`` is pinned; history ends there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.warehouse.db import Connection

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

    def pod(self, ns: str, pod: str, kind: str | None, name: str | None, node: str = "n1",
            cluster: str = "c1") -> None:
        self.insert("k8s_pods", cluster=cluster, namespace=ns, pod=pod, node=node,
                    controller_kind=kind, controller_name=name, ingest_id="t")

    def node(self, node: str, *, hours: int, cpu_price: float = 0.04, ram_price: float = 0.005,
             gpu_price: float = 0.0, capacity_type: str = "on-demand", cpu: float = 8,
             ram_gib: float = 32, gpus: float = 0, cluster: str = "c1",
             node_cost: float = 1.0) -> None:
        self.insert("k8s_nodes", cluster=cluster, node=node, capacity_type=capacity_type,
                    instance_type="m5.2xlarge", instance_id=f"i-{node}", ingest_id="t")
        for h in range(hours):
            self.insert("node_cost_hours", run_id="r", cluster=cluster, node=node,
                        hour=NOW - timedelta(hours=hours - h), price_source="bill",
                        node_cost=node_cost, node_billed_cost=node_cost, cpu_cores=cpu,
                        ram_gib=ram_gib, gpu_count=gpus, cpu_price=cpu_price,
                        ram_price=ram_price, gpu_price=gpu_price, capacity_type=capacity_type)

    def container_series(self, ns: str, pod: str, container: str, *, cpu_max: list[float],
                         ram_max: list[float], cpu_avg: list[float] | None = None,
                         ram_avg: list[float] | None = None, cpu_request: float | None = 1.0,
                         cpu_limit: float | None = None, ram_request: float | None = GIB,
                         ram_limit: float | None = GIB, oom: dict[int, int] | None = None,
                         node: str = "n1", cluster: str = "c1") -> None:
        """One row per hour, ending at NOW (the last value is the hour NOW-1h)."""
        n = len(cpu_max)
        for i in range(n):
            self.insert(
                "container_hours", cluster=cluster, namespace=ns, pod=pod, container=container,
                node=node, hour=NOW - timedelta(hours=n - i), running_hours=1.0,
                cpu_request_cores=cpu_request, cpu_limit_cores=cpu_limit,
                cpu_usage_cores=(cpu_avg or cpu_max)[i], cpu_usage_max_cores=cpu_max[i],
                ram_request_bytes=ram_request, ram_limit_bytes=ram_limit,
                ram_usage_bytes=(ram_avg or ram_max)[i], ram_usage_max_bytes=ram_max[i],
                restarts=0, oom_kills=(oom or {}).get(i, 0), ingest_id="t",
            )

    def team(self, ns: str, pod: str, team: str, cluster: str = "c1") -> None:
        self.insert("allocations", run_id="r", cluster=cluster, hour=NOW - timedelta(hours=1),
                    kind="workload", node="n1", namespace=ns, pod=pod, container="x",
                    team=team, total_cost=0, billed_total_cost=0)
