"""A small fixed warehouse for the tool tests: four namespaces, four workloads, one month.

Allocation rows (cluster prod, October 2026, amortized total_cost):
  ml-serving     recsys-api       Deployment   team ml        10.00 + 5.50
  payments-prod  payments-ledger  StatefulSet  team payments  7.25 (invoice view 6.25)
  checkout       checkout-web     Deployment   team web       3.125
  kube-system    coredns          Deployment   __unlabeled__  1.00
  __idle__ (node-a, cpu) 2.00; __unallocated__ (EKS control plane) 0.10
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.warehouse.db import writer

_ALLOC_COLS = [
    "run_id",
    "cluster",
    "hour",
    "kind",
    "node",
    "namespace",
    "pod",
    "container",
    "controller_kind",
    "controller_name",
    "team",
    "app",
    "env",
    "cost_center",
    "service_name",
    "resource",
    "cpu_cost",
    "ram_cost",
    "gpu_cost",
    "other_cost",
    "total_cost",
    "billed_cpu_cost",
    "billed_ram_cost",
    "billed_gpu_cost",
    "billed_other_cost",
    "billed_total_cost",
]

ALLOCATIONS: list[dict[str, Any]] = [
    dict(
        kind="workload",
        node="node-a",
        namespace="ml-serving",
        pod="recsys-api-7d9f-abcde",
        container="api",
        controller_kind="Deployment",
        controller_name="recsys-api",
        team="ml",
        app="recsys",
        hour=datetime(2026, 10, 3, 10),
        cpu_cost=Decimal("6"),
        ram_cost=Decimal("4"),
        total_cost=Decimal("10.00"),
    ),
    dict(
        kind="workload",
        node="node-a",
        namespace="ml-serving",
        pod="recsys-api-7d9f-abcde",
        container="api",
        controller_kind="Deployment",
        controller_name="recsys-api",
        team="ml",
        app="recsys",
        hour=datetime(2026, 10, 20, 4),
        cpu_cost=Decimal("3.5"),
        ram_cost=Decimal("2"),
        total_cost=Decimal("5.50"),
    ),
    dict(
        kind="workload",
        node="node-b",
        namespace="payments-prod",
        pod="payments-ledger-0",
        container="ledger",
        controller_kind="StatefulSet",
        controller_name="payments-ledger",
        team="payments",
        app="ledger",
        hour=datetime(2026, 10, 5, 0),
        cpu_cost=Decimal("5"),
        ram_cost=Decimal("2.25"),
        total_cost=Decimal("7.25"),
        billed_cpu_cost=Decimal("4"),
        billed_total_cost=Decimal("6.25"),
    ),
    dict(
        kind="workload",
        node="node-b",
        namespace="checkout",
        pod="checkout-web-5c-xyz",
        container="web",
        controller_kind="Deployment",
        controller_name="checkout-web",
        team="web",
        app="checkout",
        hour=datetime(2026, 10, 7, 12),
        cpu_cost=Decimal("2"),
        ram_cost=Decimal("1.125"),
        total_cost=Decimal("3.125"),
    ),
    dict(
        kind="workload",
        node="node-a",
        namespace="kube-system",
        pod="coredns-1",
        container="coredns",
        controller_kind="Deployment",
        controller_name="coredns",
        team="__unlabeled__",
        hour=datetime(2026, 10, 9, 0),
        cpu_cost=Decimal("0.5"),
        ram_cost=Decimal("0.5"),
        total_cost=Decimal("1.00"),
    ),
    dict(
        kind="idle",
        node="node-a",
        namespace="__idle__",
        resource="cpu",
        hour=datetime(2026, 10, 9, 0),
        cpu_cost=Decimal("2"),
        total_cost=Decimal("2.00"),
    ),
    dict(
        kind="unallocated",
        namespace="__unallocated__",
        service_name="Amazon EKS",
        resource="Usage",
        hour=datetime(2026, 10, 1, 0),
        other_cost=Decimal("0.10"),
        total_cost=Decimal("0.10"),
    ),
]

#: a free last hour of October: added where a test needs the data to run to the month's
#: end (a trend reads days without cost inside the data as $0, after it as unknown)
OCTOBER_LAST_HOUR: dict[str, Any] = dict(
    kind="unallocated",
    namespace="__unallocated__",
    service_name="Amazon EKS",
    resource="Usage",
    hour=datetime(2026, 10, 31, 23),
    other_cost=Decimal(0),
    total_cost=Decimal(0),
)

NAMESPACES = {
    "ml-serving": {"team": "ml"},
    "payments-prod": {"team": "payments"},
    "checkout": {"team": "web"},
    "kube-system": {},
}

PODS = [
    (
        "ml-serving",
        "recsys-api-7d9f-abcde",
        "ReplicaSet",
        "recsys-api-7d9f",
        "Deployment",
        "recsys-api",
        {
            "app.kubernetes.io/name": "recsys",
            "team": "ml",
            "component": "recommendation-engine",
            "pod-template-hash": "7d9f",
        },
    ),
    (
        "payments-prod",
        "payments-ledger-0",
        "StatefulSet",
        "payments-ledger",
        "StatefulSet",
        "payments-ledger",
        {"app": "ledger", "team": "payments", "tier": "database"},
    ),
    (
        "checkout",
        "checkout-web-5c-xyz",
        "ReplicaSet",
        "checkout-web-5c",
        "Deployment",
        "checkout-web",
        {"app": "checkout", "team": "web", "tier": "frontend"},
    ),
    (
        "kube-system",
        "coredns-1",
        "ReplicaSet",
        "coredns-55",
        "Deployment",
        "coredns",
        {"k8s-app": "kube-dns"},
    ),
]


def insert_allocations(con: Any, rows: list[dict[str, Any]], run_id: str = "run1") -> None:
    for row in rows:
        full = {
            "run_id": run_id,
            "cluster": "prod",
            "cpu_cost": Decimal(0),
            "ram_cost": Decimal(0),
            "gpu_cost": Decimal(0),
            "other_cost": Decimal(0),
            **row,
        }
        for part in ("cpu", "ram", "gpu", "other", "total"):
            full.setdefault(f"billed_{part}_cost", full[f"{part}_cost"])
        values = [full.get(c) for c in _ALLOC_COLS]
        con.execute(
            f"INSERT INTO allocations ({', '.join(_ALLOC_COLS)}) "
            f"VALUES ({', '.join('?' for _ in _ALLOC_COLS)})",
            values,
        )


def build_warehouse(settings: Settings) -> None:
    with writer(settings) as con:
        con.execute(
            "INSERT INTO ingest_log VALUES ('ing1', 'prometheus', 'fixture', "
            "'2026-11-01 00:00', '2026-11-01 00:05', 10, '2026-10-01', '2026-11-01', 'ok', '{}')"
        )
        for ns, labels in NAMESPACES.items():
            con.execute(
                "INSERT INTO k8s_namespaces VALUES ('prod', ?, ?, NULL, NULL, 'ing1')",
                [ns, json.dumps(labels)],
            )
        for ns, pod, okind, oname, ckind, cname, labels in PODS:
            con.execute(
                "INSERT INTO k8s_pods VALUES ('prod', ?, ?, NULL, 'node-a', ?, ?, ?, ?, ?, "
                "NULL, NULL, 'ing1')",
                [ns, pod, okind, oname, ckind, cname, json.dumps(labels)],
            )
        insert_allocations(con, ALLOCATIONS)


@pytest.fixture
def settings(penny_env: Path) -> Settings:
    return load_settings(now=datetime(2026, 11, 15, 12))


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Settings]:
    build_warehouse(settings)
    yield settings
