"""Small fixed warehouse rows for allocation tests, inserted straight into the m002/m003
tables (the ingest engineers' tables), so these tests do not depend on the ingests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from assistant.warehouse.db import Connection

GIB = 1024**3
T0 = datetime(2026, 10, 1)
HOUR = timedelta(hours=1)
_row = {"n": 0}


def h(i: int) -> datetime:
    """The i-th hour after 2026-10-01T00:00."""
    return T0 + i * HOUR


def bill(
    con: Connection,
    resource_id: str | None,
    start: datetime,
    end: datetime,
    effective: str,
    billed: str | None = None,
    *,
    service: str = "AmazonEC2",
    category: str = "Usage",
    tags: dict[str, str] | None = None,
    resource_name: str | None = None,
) -> None:
    _row["n"] += 1
    con.execute(
        """INSERT INTO billing_lines (ingest_id, source_file, source_row, billed_cost,
               effective_cost, charge_period_start, charge_period_end, resource_id,
               resource_name, service_name, charge_category, tags)
           VALUES ('test', 'test.csv', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            _row["n"],
            Decimal(billed if billed is not None else effective),
            Decimal(effective),
            start,
            end,
            resource_id,
            resource_name,
            service,
            category,
            json.dumps(tags) if tags else None,
        ],
    )


def node(
    con: Connection,
    name: str,
    instance_id: str | None,
    *,
    cpu: float,
    ram_gib: float,
    gpu: float = 0,
    hours: range = range(1),
    running: float = 1.0,
    cluster: str = "c1",
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO k8s_nodes (cluster, node, instance_id, ingest_id) "
        "VALUES (?, ?, ?, 'test')",
        [cluster, name, instance_id],
    )
    for i in hours:
        con.execute(
            "INSERT INTO node_hours VALUES (?, ?, ?, ?, ?, ?, ?, 'test')",
            [cluster, name, h(i), running, cpu, ram_gib * GIB, gpu],
        )


def namespace(
    con: Connection, ns: str, labels: dict[str, str] | None = None, cluster: str = "c1"
) -> None:
    con.execute(
        "INSERT INTO k8s_namespaces (cluster, namespace, labels, ingest_id) "
        "VALUES (?, ?, ?, 'test')",
        [cluster, ns, json.dumps(labels or {})],
    )


def pod(
    con: Connection,
    ns: str,
    name: str,
    labels: dict[str, str] | None = None,
    *,
    controller: tuple[str, str] | None = None,
    owner: tuple[str, str] | None = None,
    cluster: str = "c1",
) -> None:
    ck, cn = controller or (None, None)
    ok, on = owner or (None, None)
    con.execute(
        "INSERT INTO k8s_pods (cluster, namespace, pod, owner_kind, owner_name, "
        "controller_kind, controller_name, labels, ingest_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'test')",
        [cluster, ns, name, ok, on, ck, cn, json.dumps(labels or {})],
    )


def container(
    con: Connection,
    ns: str,
    pod_name: str,
    name: str,
    node_name: str | None,
    hour: int,
    *,
    running: float = 1.0,
    cpu_req: float | None = None,
    cpu_use: float | None = None,
    ram_req_gib: float | None = None,
    ram_use_gib: float | None = None,
    gpu: float | None = None,
    cluster: str = "c1",
) -> None:
    con.execute(
        """INSERT INTO container_hours (cluster, namespace, pod, container, node, hour,
               running_hours, cpu_request_cores, cpu_usage_cores, ram_request_bytes,
               ram_usage_bytes, gpu_request, ingest_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test')""",
        [
            cluster,
            ns,
            pod_name,
            name,
            node_name,
            h(hour),
            running,
            cpu_req,
            cpu_use,
            None if ram_req_gib is None else ram_req_gib * GIB,
            None if ram_use_gib is None else ram_use_gib * GIB,
            gpu,
        ],
    )


def pv(con: Connection, name: str, volume_id: str | None, gib: float, cluster: str = "c1") -> None:
    con.execute(
        "INSERT INTO k8s_pvs VALUES (?, ?, ?, 'gp3', ?, 'test')",
        [cluster, name, volume_id, gib * GIB],
    )


def pvc_hour(
    con: Connection,
    ns: str,
    pvc: str,
    pv_name: str,
    hour: int,
    gib: float,
    running: float = 1.0,
    cluster: str = "c1",
) -> None:
    con.execute(
        "INSERT INTO pvc_hours VALUES (?, ?, ?, ?, 'gp3', ?, ?, ?, 'test')",
        [cluster, ns, pvc, pv_name, h(hour), running, gib * GIB],
    )


def mount(
    con: Connection,
    ns: str,
    pod_name: str,
    pvc: str,
    hour: int,
    running: float = 1.0,
    cluster: str = "c1",
) -> None:
    con.execute(
        "INSERT INTO pod_pvc_hours VALUES (?, ?, ?, ?, ?, ?, 'test')",
        [cluster, ns, pod_name, pvc, h(hour), running],
    )


def service_hour(
    con: Connection, ns: str, svc: str, ingress: str, hour: int, cluster: str = "c1"
) -> None:
    con.execute(
        "INSERT INTO service_hours VALUES (?, ?, ?, 'LoadBalancer', ?, ?, 1.0, 'test')",
        [cluster, ns, svc, ingress, h(hour)],
    )


def service_pod(
    con: Connection,
    ns: str,
    svc: str,
    pod_name: str,
    hour: int,
    running: float = 1.0,
    cluster: str = "c1",
) -> None:
    con.execute(
        "INSERT INTO service_pod_hours VALUES (?, ?, ?, ?, ?, ?, 'test')",
        [cluster, ns, svc, pod_name, h(hour), running],
    )


def mark_allocated(con: Connection, start: datetime, end: datetime, run_id: str = "test") -> None:
    """Record ``[start, end)`` as allocated, with the fingerprints of the bill lines and
    metrics stored now, as ``penny allocate`` does: for warehouses whose allocation rows a
    test writes by hand (``freshness.require_fresh`` refuses hours with data and no
    allocation)."""
    from assistant.allocation.freshness import BILL_FINGERPRINT_SQL, FINGERPRINT_SQL

    con.execute(
        f"""
        INSERT OR REPLACE INTO allocation_hours (hour, run_id, fallback_source,
            fallback_cpu_price, fallback_ram_price, fallback_gpu_price, metrics_rows,
            metrics_hash, bill_rows, bill_hash)
        SELECT g.hour, $3, 'default', 0.031611, 0.004237, 0.95, coalesce(f.metrics_rows, 0),
               coalesce(f.metrics_hash, 0), coalesce(b.bill_rows, 0), coalesce(b.bill_hash, 0)
        FROM (SELECT unnest(generate_series($1, $2 - INTERVAL 1 HOUR, INTERVAL 1 HOUR))
              AS hour) g
        LEFT JOIN ({FINGERPRINT_SQL}) f USING (hour)
        LEFT JOIN ({BILL_FINGERPRINT_SQL}) b USING (hour)
        """,
        [start, end, run_id],
    )
