"""A tiny hand-built warehouse for `penny review`, rows inserted straight into m003/m004.

Cluster ``prod``, 720 hours from 2026-10-01 (so ``--window 30d`` before the latest hour,
2026-10-30 23:00, is exactly these 720 h), three nodes running every hour:

    node  pool     cores  RAM GiB  GPUs  $/core-h  $/GiB-h  $/GPU-h
    n1    general    8      32      0     0.04      0.005     —
    n2    general    8      32      0     0.01      0.003     —
    g1    gpu        8      64      2     0.04      0.005    2.50

Capacity-weighted unit prices (the review's price basis):
    CPU  (8×0.04 + 8×0.01 + 8×0.04) / 24      = 0.72 / 24   = 0.03   $/core-h
    RAM  (32×0.005 + 32×0.003 + 64×0.005) / 128 = 0.576 / 128 = 0.0045 $/GiB-h
    GPU  (2×2.50) / 2                                          = 2.50   $/GPU-h

Observed workloads:
    shop/Deployment/web   3 pods × 720 h allocated at $0.02 per pod-hour = $43.20
    data/CronJob/nightly  24 runs × 3 h, one pod each (two containers) = 72 pod-hours
                          allocated at $0.05 per pod-hour = $3.60
"""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.config import Settings
from assistant.warehouse.db import Connection, writer

START = datetime(2026, 10, 1)
HOURS = 720
DEC = "DECIMAL(38,12)"


def node(
    con: Connection,
    name: str,
    *,
    cores: int,
    ram_gib: int,
    gpus: int,
    cpu_price: str,
    ram_price: str,
    gpu_price: str | None,
    pool: str,
    cluster: str = "prod",
    hours: int = HOURS,
) -> None:
    con.execute(
        "INSERT INTO k8s_nodes (cluster, node, capacity_type, labels, ingest_id) "
        "VALUES (?, ?, 'on-demand', ?, 't')",
        [cluster, name, f'{{"pool": "{pool}"}}'],
    )
    cost = f"{cores} * {cpu_price} + {ram_gib} * {ram_price} + {gpus} * {gpu_price or 0}"
    con.execute(
        f"INSERT INTO node_cost_hours SELECT 'run', ?, ?, ? + to_hours(i::BIGINT), 'bill', "
        f"CAST({cost} AS {DEC}), CAST({cost} AS {DEC}), {cores}, {ram_gib}, {gpus}, "
        f"{cpu_price}, {ram_price}, {gpu_price or 'NULL'}, 'on-demand', 'm5' FROM range(?) t(i)",
        [cluster, name, START, hours],
    )
    con.execute(
        "INSERT INTO node_hours SELECT ?, ?, ? + to_hours(i::BIGINT), 1.0, ?, ?, ?, 't' "
        "FROM range(?) t(i)",
        [cluster, name, START, cores, ram_gib * 1024**3, gpus, hours],
    )


def pod(
    con: Connection, namespace: str, name: str, kind: str, controller: str, cluster: str = "prod"
) -> None:
    con.execute(
        "INSERT INTO k8s_pods (cluster, namespace, pod, controller_kind, "
        "controller_name, ingest_id) VALUES (?, ?, ?, ?, ?, 't')",
        [cluster, namespace, name, kind, controller],
    )


def container_hour(
    con: Connection,
    namespace: str,
    pod_name: str,
    container: str,
    hour: datetime,
    cluster: str = "prod",
) -> None:
    con.execute(
        "INSERT INTO container_hours (cluster, namespace, pod, container, node, hour, "
        "running_hours, cpu_request_cores, ingest_id) VALUES (?, ?, ?, ?, 'n1', ?, "
        "1.0, 1.0, 't')",
        [cluster, namespace, pod_name, container, hour],
    )


def allocated(
    con: Connection,
    namespace: str,
    pod_name: str,
    kind: str,
    controller: str,
    start: datetime,
    hours: int,
    per_hour: str,
    cluster: str = "prod",
) -> None:
    """One allocation row per hour from ``start``, each costing ``per_hour``."""
    con.execute(
        f"INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod, "
        f"container, controller_kind, controller_name, total_cost, billed_total_cost) "
        f"SELECT 'run', ?, ? + to_hours(i::BIGINT), 'workload', 'n1', ?, ?, 'c', ?, ?, "
        f"CAST(? AS {DEC}), CAST(? AS {DEC}) FROM range(?) t(i)",
        [cluster, start, namespace, pod_name, kind, controller, per_hour, per_hour, hours],
    )


def namespace(con: Connection, name: str, cluster: str = "prod") -> None:
    con.execute(
        "INSERT INTO k8s_namespaces (cluster, namespace, ingest_id) VALUES (?, ?, 't')",
        [cluster, name],
    )


def build(settings: Settings, *, second_cluster: bool = False) -> None:
    with writer(settings) as con:
        node(
            con,
            "n1",
            cores=8,
            ram_gib=32,
            gpus=0,
            cpu_price="0.04",
            ram_price="0.005",
            gpu_price=None,
            pool="general",
        )
        node(
            con,
            "n2",
            cores=8,
            ram_gib=32,
            gpus=0,
            cpu_price="0.01",
            ram_price="0.003",
            gpu_price=None,
            pool="general",
        )
        node(
            con,
            "g1",
            cores=8,
            ram_gib=64,
            gpus=2,
            cpu_price="0.04",
            ram_price="0.005",
            gpu_price="2.50",
            pool="gpu",
        )
        for ns in ("shop", "data", "ml", "monitoring"):
            namespace(con, ns)
        for i in range(3):
            pod(con, "shop", f"web-{i}", "Deployment", "web")
            allocated(con, "shop", f"web-{i}", "Deployment", "web", START, HOURS, "0.02")
        for day in range(24):
            name = f"nightly-{day}"
            pod(con, "data", name, "CronJob", "nightly")
            run = [START + timedelta(days=day, hours=h) for h in (1, 2, 3)]
            for hour in run:
                container_hour(con, "data", name, "main", hour)
                container_hour(con, "data", name, "log", hour)
            allocated(con, "data", name, "CronJob", "nightly", run[0], 3, "0.05")
        if second_cluster:
            node(
                con,
                "s1",
                cores=4,
                ram_gib=16,
                gpus=0,
                cpu_price="0.05",
                ram_price="0.006",
                gpu_price=None,
                pool="general",
                cluster="stage",
            )
            namespace(con, "shop", cluster="stage")
