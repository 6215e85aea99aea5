"""Hand-built months inserted straight into the m002/m003/m004 tables.

`two_months(con)` writes September and November 2026 for cluster `prod` with planted
drivers whose dollar amounts are worked out in tests/billing/test_bill_explain.py:
a new GPU training job, a replica scale-up, a spot-to-on-demand fallback, a savings plan
starting mid-month, a NAT gateway, a bigger credit and more tax. Every node-hour's cost is
split into workloads + idle exactly, and every cost has a bill line, so the allocation
reconciles with the bill to the cent (as `penny allocate` guarantees).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from assistant.warehouse.db import Connection
from tests.allocation.alloc_rows import mark_allocated

SEP = datetime(2026, 9, 1)
OCT = datetime(2026, 10, 1)
NOV = datetime(2026, 11, 1)
DEC = "DECIMAL(38,12)"
_line = {"n": 0}


def node(
    con: Connection, name: str, instance: str, capacity: str, itype: str, cluster: str = "prod"
) -> None:
    con.execute(
        "INSERT OR REPLACE INTO k8s_nodes (cluster, node, instance_id, instance_type, "
        "capacity_type, ingest_id) VALUES (?, ?, ?, ?, ?, 't')",
        [cluster, name, instance, itype, capacity],
    )


def node_hours(
    con: Connection,
    start: datetime,
    hours: range,
    name: str,
    instance: str,
    *,
    capacity: str,
    itype: str,
    cpu: int,
    cpu_price: str,
    gpu: int = 0,
    gpu_price: str = "0",
    list_hourly: str | None = None,
    covered: bool = False,
    cluster: str = "prod",
) -> None:
    """node_cost_hours rows plus the node's hourly bill lines.

    Node cost per hour = cpu × cpu_price + gpu × gpu_price (no RAM, to keep sums by hand).
    ``covered``: a savings plan covers the hour (BilledCost 0, ListCost = ``list_hourly``).
    """
    cost = (
        f"CAST({cpu} * CAST('{cpu_price}' AS {DEC}) + {gpu} * CAST('{gpu_price}' AS {DEC})"
        f" AS {DEC})"
    )
    con.execute(
        f"INSERT INTO node_cost_hours SELECT 'run', ?, ?, ? + to_hours(i::BIGINT), 'bill', "
        f"{cost}, {cost}, {cpu}, 0, {gpu}, {cpu_price}, 0, {gpu_price}, ?, ? "
        "FROM range(?, ?) t(i)",
        [cluster, name, start, capacity, itype, hours.start, hours.stop],
    )
    _line["n"] += 1
    con.execute(
        f"""INSERT INTO billing_lines (ingest_id, source_file, source_row, billed_cost,
                effective_cost, list_cost, charge_period_start, charge_period_end,
                resource_id, service_name, charge_category, pricing_category,
                commitment_discount_status, commitment_discount_id)
            SELECT 't', 'bill.csv', ? * 100000 + i, {"0" if covered else cost}, {cost},
                   CAST(? AS {DEC}), ? + to_hours(i::BIGINT), ? + to_hours(i::BIGINT + 1),
                   ?, 'Amazon Elastic Compute Cloud', 'Usage',
                   ?, ?, ?
            FROM range(?, ?) t(i)""",
        [
            _line["n"],
            list_hourly,
            start,
            start,
            instance,
            "Committed" if covered else ("Dynamic" if capacity == "spot" else "Standard"),
            "Used" if covered else None,
            "sp-1" if covered else None,
            hours.start,
            hours.stop,
        ],
    )


def alloc(
    con: Connection,
    start: datetime,
    hours: range,
    *,
    kind: str = "workload",
    node: str | None,
    namespace: str,
    controller: tuple[str, str] | None = None,
    pod: str | None = None,
    team: str | None = None,
    cpu: float = 0,
    cpu_price: str = "0",
    gpu: float = 0,
    gpu_price: str = "0",
    resource: str | None = None,
    other: str | None = None,
    service: str | None = None,
    cluster: str = "prod",
) -> None:
    """One allocation row per hour; costs = quantity × price (or ``other`` per hour)."""
    cpu_cost = f"CAST({cpu} * CAST('{cpu_price}' AS {DEC}) AS {DEC})"
    gpu_cost = f"CAST({gpu} * CAST('{gpu_price}' AS {DEC}) AS {DEC})"
    other_cost = f"CAST('{other or 0}' AS {DEC})"
    total = f"({cpu_cost} + {gpu_cost} + {other_cost})"
    con.execute(
        f"""INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod,
               controller_kind, controller_name, team, service_name, resource,
               cpu_core_hours, gpu_hours, cpu_cost, gpu_cost, other_cost, total_cost,
               billed_total_cost)
            SELECT 'run', ?, ? + to_hours(i::BIGINT), ?, ?, ?, ?, ?, ?, ?, ?, ?,
                   {cpu if kind == "workload" else "NULL"},
                   {gpu if kind == "workload" else "NULL"},
                   {cpu_cost}, {gpu_cost}, {other_cost}, {total}, {total}
            FROM range(?, ?) t(i)""",
        [
            cluster,
            start,
            kind,
            node,
            namespace,
            pod or (controller[1] + "-0" if controller else namespace),
            controller[0] if controller else None,
            controller[1] if controller else None,
            team or namespace,
            service,
            resource,
            hours.start,
            hours.stop,
        ],
    )


def bill_line(
    con: Connection,
    start: datetime,
    end: datetime,
    *,
    service: str,
    category: str,
    effective: str,
    billed: str | None = None,
    status: str | None = None,
) -> None:
    _line["n"] += 1
    con.execute(
        """INSERT INTO billing_lines (ingest_id, source_file, source_row, billed_cost,
               effective_cost, charge_period_start, charge_period_end, service_name,
               charge_category, commitment_discount_status)
           VALUES ('t', 'bill.csv', ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            _line["n"] * 100000,
            Decimal(billed if billed is not None else effective),
            Decimal(effective),
            start,
            end,
            service,
            category,
            status,
        ],
    )


def unallocated_hourly(
    con: Connection,
    start: datetime,
    hours: range,
    *,
    service: str,
    hourly: str,
    category: str = "Usage",
    cluster: str = "prod",
) -> None:
    alloc(
        con,
        start,
        hours,
        kind="unallocated",
        node=None,
        namespace="__unallocated__",
        team="__unallocated__",
        resource=category,
        other=hourly,
        service=service,
        cluster=cluster,
    )
    _line["n"] += 1
    con.execute(
        f"""INSERT INTO billing_lines (ingest_id, source_file, source_row, billed_cost,
               effective_cost, charge_period_start, charge_period_end, service_name,
               charge_category)
            SELECT 't', 'bill.csv', ? * 100000 + i, CAST(? AS {DEC}), CAST(? AS {DEC}),
                   ? + to_hours(i::BIGINT), ? + to_hours(i::BIGINT + 1), ?, ?
            FROM range(?, ?) t(i)""",
        [_line["n"], hourly, hourly, start, start, service, category, hours.start, hours.stop],
    )


def unallocated_once(
    con: Connection,
    start: datetime,
    *,
    service: str,
    amount: str,
    category: str,
    cluster: str = "prod",
) -> None:
    """A one-off line (credit, tax) booked in the first hour of the month."""
    alloc(
        con,
        start,
        range(0, 1),
        kind="unallocated",
        node=None,
        namespace="__unallocated__",
        team="__unallocated__",
        resource=category,
        other=amount,
        service=service,
        cluster=cluster,
    )
    bill_line(
        con, start, start + timedelta(hours=1), service=service, category=category, effective=amount
    )


def september(con: Connection) -> None:
    """720 h. od-1: on-demand m5.xlarge, 8 cores at 0.04; spot-1: spot, 8 cores at 0.012."""
    all_h = range(0, 720)
    node_hours(
        con,
        SEP,
        all_h,
        "od-1",
        "i-od1",
        capacity="on-demand",
        itype="m5.xlarge",
        cpu=8,
        cpu_price="0.04",
        list_hourly="0.32",
    )
    node_hours(
        con,
        SEP,
        all_h,
        "spot-1",
        "i-spot1",
        capacity="spot",
        itype="m5.xlarge",
        cpu=8,
        cpu_price="0.012",
        list_hourly="0.32",
    )
    # web: 4 cores on spot all month: 2880 core-h × 0.012 = 34.56
    alloc(
        con,
        SEP,
        all_h,
        node="spot-1",
        namespace="shop",
        controller=("Deployment", "web"),
        cpu=4,
        cpu_price="0.012",
    )
    # api: 2 cores on on-demand: 1440 core-h × 0.04 = 57.60
    alloc(
        con,
        SEP,
        all_h,
        node="od-1",
        namespace="shop",
        controller=("Deployment", "api"),
        cpu=2,
        cpu_price="0.04",
    )
    # old-batch: 4 cores for hours 0..24 (25 h): 100 core-h × 0.04 = 4.00; gone in November
    alloc(
        con,
        SEP,
        range(0, 25),
        node="od-1",
        namespace="data",
        controller=("CronJob", "old-batch"),
        cpu=4,
        cpu_price="0.04",
    )
    # idle od-1: 2 cores × 25 h + 6 cores × 695 h = 4220 core-h × 0.04 = 168.80
    alloc(
        con,
        SEP,
        range(0, 25),
        kind="idle",
        node="od-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=2,
        cpu_price="0.04",
    )
    alloc(
        con,
        SEP,
        range(25, 720),
        kind="idle",
        node="od-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=6,
        cpu_price="0.04",
    )
    # idle spot-1: 4 cores × 720 h = 2880 core-h × 0.012 = 34.56
    alloc(
        con,
        SEP,
        all_h,
        kind="idle",
        node="spot-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=4,
        cpu_price="0.012",
    )
    # EKS control plane 0.10/h = 72.00; credit -10.00; tax 20.00
    unallocated_hourly(con, SEP, all_h, service="Amazon EKS", hourly="0.10")
    unallocated_once(con, SEP, service="AWS credits", amount="-10.00", category="Credit")
    unallocated_once(con, SEP, service="Tax", amount="20.00", category="Tax")


def november(con: Connection, hours: int = 720) -> None:
    """Spot node lost at hour 360 (web falls back to on-demand); a savings plan covers od-1
    from hour 360 (Nov 16 00:00) at 0.24/h instead of the 0.32/h list price (cpu 0.03);
    api scaled 2 -> 3 cores; a GPU training job for hours 100..199; a NAT gateway appears."""
    first = range(0, min(360, hours))
    second = range(360, hours) if hours > 360 else range(0)
    node_hours(
        con,
        NOV,
        first,
        "od-1",
        "i-od1",
        capacity="on-demand",
        itype="m5.xlarge",
        cpu=8,
        cpu_price="0.04",
        list_hourly="0.32",
    )
    if second:
        node_hours(
            con,
            NOV,
            second,
            "od-1",
            "i-od1",
            capacity="on-demand",
            itype="m5.xlarge",
            cpu=8,
            cpu_price="0.03",
            list_hourly="0.32",
            covered=True,
        )
        # the savings plan's own fee: billed as a purchase, amortized into usage (0 effective)
        bill_line(
            con,
            NOV + timedelta(hours=360),
            NOV + timedelta(hours=720),
            service="Savings Plans",
            category="Purchase",
            effective="0",
            billed="86.40",
        )
    node_hours(
        con,
        NOV,
        first,
        "spot-1",
        "i-spot1",
        capacity="spot",
        itype="m5.xlarge",
        cpu=8,
        cpu_price="0.012",
        list_hourly="0.32",
    )
    gpu_h = range(100, min(200, hours))
    node_hours(
        con,
        NOV,
        gpu_h,
        "gpu-1",
        "i-gpu1",
        capacity="on-demand",
        itype="p3.16xlarge",
        cpu=0,
        cpu_price="0",
        gpu=8,
        gpu_price="2.00",
        list_hourly="16.00",
    )
    # web: 4 cores; spot for 360 h (17.28), on-demand under the plan for 360 h (43.20)
    alloc(
        con,
        NOV,
        first,
        node="spot-1",
        namespace="shop",
        controller=("Deployment", "web"),
        cpu=4,
        cpu_price="0.012",
    )
    alloc(
        con,
        NOV,
        second,
        node="od-1",
        namespace="shop",
        controller=("Deployment", "web"),
        cpu=4,
        cpu_price="0.03",
    )
    # api: 3 cores: 360 h × 3 × 0.04 = 43.20 + 360 h × 3 × 0.03 = 32.40 -> 75.60
    alloc(
        con,
        NOV,
        first,
        node="od-1",
        namespace="shop",
        controller=("Deployment", "api"),
        cpu=3,
        cpu_price="0.04",
    )
    alloc(
        con,
        NOV,
        second,
        node="od-1",
        namespace="shop",
        controller=("Deployment", "api"),
        cpu=3,
        cpu_price="0.03",
    )
    # train-llm: 8 GPUs × 100 h = 800 GPU-h × 2.00 = 1600.00
    alloc(
        con,
        NOV,
        gpu_h,
        node="gpu-1",
        namespace="ml",
        controller=("Job", "train-llm"),
        gpu=8,
        gpu_price="2.00",
    )
    # idle od-1: 5 cores × 360 h × 0.04 = 72.00 + 1 core × 360 h × 0.03 = 10.80
    alloc(
        con,
        NOV,
        first,
        kind="idle",
        node="od-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=5,
        cpu_price="0.04",
    )
    alloc(
        con,
        NOV,
        second,
        kind="idle",
        node="od-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=1,
        cpu_price="0.03",
    )
    # idle spot-1: 4 cores × 360 h × 0.012 = 17.28
    alloc(
        con,
        NOV,
        first,
        kind="idle",
        node="spot-1",
        namespace="__idle__",
        team="__idle__",
        resource="cpu",
        cpu=4,
        cpu_price="0.012",
    )
    all_h = range(0, hours)
    unallocated_hourly(con, NOV, all_h, service="Amazon EKS", hourly="0.10")
    unallocated_hourly(con, NOV, all_h, service="NAT Gateway", hourly="0.0625")
    unallocated_once(con, NOV, service="AWS credits", amount="-110.00", category="Credit")
    unallocated_once(con, NOV, service="Tax", amount="25.00", category="Tax")


def two_months(con: Connection, november_hours: int = 720) -> None:
    node(con, "od-1", "i-od1", "on-demand", "m5.xlarge")
    node(con, "spot-1", "i-spot1", "spot", "m5.xlarge")
    node(con, "gpu-1", "i-gpu1", "on-demand", "p3.16xlarge")
    september(con)
    november(con, november_hours)
    # the rows above are what `penny allocate` would store: record the hours as allocated
    mark_allocated(con, SEP, datetime(2026, 12, 1))


ANOMALY_START = datetime(2026, 8, 3)  # a Monday


def anomaly_days(con: Connection) -> None:
    """42 days from Mon 2026-08-03 of hourly allocations for teams shop (quiet) and ml (a
    spike on day 38 = Thu 2026-09-10)."""
    for i in range(42):
        day = ANOMALY_START + timedelta(days=i)
        # shop: weekdays 4 cores, weekends 2, at 1.00 $/core-h -> 96 or 48 $/day
        cores = 4 if i % 7 < 5 else 2
        alloc(
            con,
            day,
            range(24),
            node="n1",
            namespace="shop",
            controller=("Deployment", "web"),
            team="shop",
            cpu=cores,
            cpu_price="1",
        )
        # ml: a steady 1 core (24 $/day)
        alloc(
            con,
            day,
            range(24),
            node="n1",
            namespace="ml",
            controller=("Deployment", "infer"),
            team="ml",
            cpu=1,
            cpu_price="1",
        )
    # the spike: a job with 10 GPUs × 5 h × 3.00 = 150 $
    alloc(
        con,
        ANOMALY_START + timedelta(days=38),
        range(5),
        node="n1",
        namespace="ml",
        controller=("Job", "train-x"),
        team="ml",
        gpu=10,
        gpu_price="3",
    )
