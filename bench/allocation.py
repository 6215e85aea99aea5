"""Allocation at scale: synthetic clusters written straight into the raw tables.

Each size runs in its own subprocess (``python -m bench.allocation --pods N``) with a
fresh warehouse, so its peak RSS is its own: the parent reads
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after each child, and the child reports its
``RUSAGE_SELF`` figure too. Timed per size: the load (the ingest-equivalent INSERTs,
one writer transaction as ingest uses), ``allocate()``, and a bare DuckDB
scan-aggregate over the same container-hour rows (the floor any allocation needs).

Shape: 20 pods per m6i.4xlarge node (16 vCPU, 64 GiB), 50 namespaces in 10 teams, one
container per pod running every hour, an hourly EC2 bill line per node plus an EKS
control-plane line per hour, so allocation does its full job (bill match, ratio split,
max(request, usage), idle, unallocated, reconciliation).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["SIZES", "load_cluster", "markdown", "run"]

SIZES = (1_000, 5_000, 20_000)
DAYS = 30
PODS_PER_NODE = 20
_START = "TIMESTAMP '2026-10-01 00:00:00'"


def load_cluster(con: Any, pods: int, days: int) -> None:
    """Write a synthetic cluster of ``pods`` pods over ``days`` days into the raw tables."""
    hours = days * 24
    nodes = -(-pods // PODS_PER_NODE)
    con.execute(f"""
        INSERT INTO k8s_nodes (cluster, node, provider_id, instance_id, instance_type, region,
                               zone, capacity_type, labels, first_seen, last_seen, ingest_id)
        SELECT 'bench', 'node-' || i, 'aws:///us-east-1a/i-0' || lpad(to_hex(i), 16, '0'),
               'i-0' || lpad(to_hex(i), 16, '0'), 'm6i.4xlarge', 'us-east-1', 'us-east-1a',
               'on-demand', '{{}}', {_START}, {_START} + to_hours({hours}), 'bench'
        FROM range({nodes}) t(i)""")
    con.execute(f"""
        INSERT INTO node_hours
        SELECT 'bench', 'node-' || i, {_START} + to_hours(h), 1.0, 16, 68719476736, 0, 'bench'
        FROM range({nodes}) a(i), range({hours}) b(h)""")
    con.execute("""
        INSERT INTO k8s_namespaces
        SELECT 'bench', 'ns-' || i, json_object('team', 'team-' || (i % 10)), NULL, NULL,
               'bench'
        FROM range(50) t(i)""")
    con.execute(f"""
        INSERT INTO k8s_pods (cluster, namespace, pod, uid, node, owner_kind, owner_name,
                              controller_kind, controller_name, labels, first_seen, last_seen,
                              ingest_id)
        SELECT 'bench', 'ns-' || (i % 50), 'pod-' || i, 'uid-' || i,
               'node-' || (i // {PODS_PER_NODE}), 'ReplicaSet', 'app-' || (i // 10) || '-7d9f',
               'Deployment', 'app-' || (i // 10),
               json_object('app.kubernetes.io/name', 'app-' || (i // 10)),
               {_START}, {_START} + to_hours({hours}), 'bench'
        FROM range({pods}) t(i)""")
    con.execute(f"""
        INSERT INTO container_hours (cluster, namespace, pod, container, node, hour,
            running_hours, cpu_request_cores, cpu_limit_cores, cpu_usage_cores,
            cpu_usage_max_cores, ram_request_bytes, ram_limit_bytes, ram_usage_bytes,
            ram_usage_max_bytes, gpu_request, restarts, oom_kills, ingest_id)
        SELECT 'bench', 'ns-' || (i % 50), 'pod-' || i, 'main', 'node-' || (i // {PODS_PER_NODE}),
               {_START} + to_hours(h), 1.0, 0.5, NULL, 0.1 + 0.06 * ((i * 7 + h) % 10),
               0.9, 1610612736, 2147483648, 1073741824 + 10485760 * ((i + h) % 50),
               1900000000, NULL, 0, 0, 'bench'
        FROM range({pods}) a(i), range({hours}) b(h)""")
    con.execute(f"""
        INSERT INTO billing_lines (ingest_id, source_file, source_row, billed_cost,
            effective_cost, list_cost, charge_period_start, charge_period_end,
            billing_period_start, billing_period_end, charge_category, service_name,
            provider_name, resource_id, billing_currency)
        SELECT 'bench', 'bench.csv', row_number() OVER (), 0.768, 0.768, 0.768,
               {_START} + to_hours(h), {_START} + to_hours(h + 1), {_START},
               {_START} + INTERVAL 1 MONTH, 'Usage', 'Amazon Elastic Compute Cloud', 'AWS',
               'i-0' || lpad(to_hex(i), 16, '0'), 'USD'
        FROM range({nodes}) a(i), range({hours}) b(h)
        UNION ALL
        SELECT 'bench', 'bench.csv', {nodes * hours} + h + 1, 0.10, 0.10, 0.10,
               {_START} + to_hours(h), {_START} + to_hours(h + 1), {_START},
               {_START} + INTERVAL 1 MONTH, 'Usage', 'Amazon Elastic Kubernetes Service', 'AWS',
               'arn:aws:eks:us-east-1:000000000000:cluster/bench', 'USD'
        FROM range({hours}) b(h)""")


_SCAN = """
    SELECT {keys}, sum(greatest(coalesce(cpu_request_cores, 0), cpu_usage_cores) * running_hours),
           sum(greatest(coalesce(ram_request_bytes, 0), ram_usage_bytes) * running_hours)
    FROM container_hours GROUP BY {keys}"""


def _median_time(con: Any, sql: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    return sorted(times)[runs // 2]


def case(pods: int, days: int) -> dict[str, Any]:
    """One size, in this process: load, allocate, scan. Needs PENNY_HOME set by the caller."""
    from assistant.allocation.allocate import allocate
    from assistant.config import load_settings
    from assistant.warehouse.db import connect, writer

    settings = load_settings()
    t = time.perf_counter()
    with writer(settings) as con:
        load_cluster(con, pods, days)
    load_s = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    report = allocate(settings)
    allocate_s, allocate_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    con = connect(settings.db_path, read_only=True)
    # the floor: one pass over the same rows computing OpenCost's billable quantities,
    # grouped as the bench has always grouped it (by namespace, 50 groups) and as idle
    # needs it (by node-hour, one group per node-hour); each the median of three runs
    scan_s = _median_time(con, _SCAN.format(keys="namespace"))
    node_hour_scan_s = _median_time(con, _SCAN.format(keys="cluster, node, hour"))
    con.close()
    return {
        "pods": pods,
        "days": days,
        "container_hours": report.container_hours,
        "node_hours": report.node_hours,
        "allocation_rows": report.rows,
        "load_s": round(load_s, 3),
        "allocate_s": round(allocate_s, 3),
        "allocate_cpu_s": round(allocate_cpu_s, 3),
        "scan_s": round(scan_s, 4),
        "node_hour_scan_s": round(node_hour_scan_s, 4),
        "reconciled": report.reconciled,
        "phases_s": report.phases,
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run() -> dict[str, Any]:
    """Every size in a fresh subprocess, smallest first; returns the bench section."""
    cases = []
    for pods in SIZES:
        with tempfile.TemporaryDirectory(prefix="penny-bench-") as home:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PENNY_")}
            env["PENNY_HOME"] = home
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.allocation",
                    "--pods",
                    str(pods),
                    "--days",
                    str(DAYS),
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                cwd=Path(__file__).resolve().parent.parent,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"bench case {pods} pods failed:\n{proc.stderr[-2000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            # RUSAGE_CHILDREN is the max over waited children; sizes grow, so it is this one
            result["peak_rss_mb"] = round(max(after, before) / 1024, 1)
            result["ratio_to_scan"] = round(result["allocate_s"] / max(result["scan_s"], 1e-6), 1)
            result["ratio_to_node_hour_scan"] = round(
                result["allocate_s"] / max(result["node_hour_scan_s"], 1e-6), 1
            )
            result["allocate_us_per_container_hour"] = round(
                result["allocate_s"] / result["container_hours"] * 1e6, 3
            )
            cases.append(result)
            print(
                f"  {pods:>6} pods: load {result['load_s']}s, allocate {result['allocate_s']}s,"
                f" scan {result['scan_s']}s, ratio {result['ratio_to_scan']}, "
                f"RSS {result['peak_rss_mb']} MB",
                file=sys.stderr,
            )
    per_row = [c["allocate_us_per_container_hour"] for c in cases]
    five_k = next(c for c in cases if c["pods"] == 5_000)
    return {
        "cases": cases,
        "targets": {"allocate_5k_pods_30d_s": 30, "peak_rss_mb": 2048, "ratio_to_scan": 5},
        "checks": {
            "allocate_5k_pods_30d_s": five_k["allocate_s"],
            "max_peak_rss_mb_5k": five_k["peak_rss_mb"],
            "ratio_to_scan_5k": five_k["ratio_to_scan"],
            "ratio_to_node_hour_scan_5k": five_k["ratio_to_node_hour_scan"],
            # linear cost: time per container-hour at 20k pods vs at 1k (1.0 = perfectly linear)
            "per_row_cost_20k_vs_1k": round(per_row[-1] / per_row[0], 2),
        },
    }


def markdown(section: dict[str, Any]) -> str:
    lines = [
        "| pods × 30 days | container-hours | load (s) | allocate (s) | allocate CPU (s) "
        "| bare scan (s) | allocate ÷ scan | node-hour scan (s) | allocate ÷ node-hour scan "
        "| µs per container-hour | peak RSS (MB) | reconciled |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for c in section["cases"]:
        lines.append(
            f"| {c['pods']:,} | {c['container_hours']:,} | {c['load_s']} | {c['allocate_s']} "
            f"| {c['allocate_cpu_s']} | {c['scan_s']} | {c['ratio_to_scan']} "
            f"| {c.get('node_hour_scan_s', '')} | {c.get('ratio_to_node_hour_scan', '')} "
            f"| {c['allocate_us_per_container_hour']} "
            f"| {c['peak_rss_mb']} | {'yes' if c['reconciled'] else 'NO'} |"
        )
    return "\n".join(lines)


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args()
    print(json.dumps(case(args.pods, args.days)))


if __name__ == "__main__":
    _main()
