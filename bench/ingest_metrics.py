"""Metrics ingest at scale: a synthetic OpenMetrics file per size through ``ingest_openmetrics``.

Each size runs in its own subprocess (``python -m bench.ingest_metrics --pods N``) with a
fresh warehouse: the child writes the file (:mod:`bench.metrics_file`: the demo's label
conventions, hourly samples, 11 series per pod), then times ``ingest_openmetrics`` with
``step="1h"`` and the default 24-hour chunks. The parent reads the child's peak RSS with
``getrusage(RUSAGE_CHILDREN)``. Run alone (``python -m bench.ingest_metrics``) it merges
its section into ``bench/results.json`` and refreshes its table in docs/benchmarks.md;
``bench.run`` runs it with the others.
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

__all__ = ["SIZES", "markdown", "run"]

SIZES = (1_000, 5_000)
DAYS = 30
ROOT = Path(__file__).resolve().parent.parent


def case(pods: int, days: int, work: Path) -> dict[str, Any]:
    """One size, in this process. Needs PENNY_HOME set by the caller."""
    from assistant.config import load_settings
    from assistant.ingest.metrics.openmetrics import ingest_openmetrics
    from bench.metrics_file import write_cluster

    path = work / f"bench-{pods}.om"
    t = time.perf_counter()
    lines = write_cluster(path, pods, days)
    generate_s = time.perf_counter() - t
    size_mb = path.stat().st_size / 1e6
    settings = load_settings()
    t, cpu = time.perf_counter(), time.process_time()
    # the ingest alone (no allocate hook; allocation is measured by bench/allocation.py)
    report = ingest_openmetrics([path], "bench", settings, step="1h")
    ingest_s, ingest_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    path.unlink()
    return {
        "pods": pods,
        "days": days,
        "sample_lines": lines,
        "file_mb": round(size_mb, 1),
        "generate_s": round(generate_s, 1),
        "ingest_s": round(ingest_s, 2),
        "ingest_cpu_s": round(ingest_cpu_s, 2),
        "container_hours": report.rows["container_hours"],
        "rows": report.total_rows,
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Every size in a fresh subprocess, smallest first; returns the bench section."""
    cases = []
    for pods in sizes:
        with tempfile.TemporaryDirectory(prefix="penny-bench-metrics-") as home:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PENNY_")}
            env["PENNY_HOME"] = home
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.ingest_metrics",
                    "--pods",
                    str(pods),
                    "--days",
                    str(DAYS),
                    "--work",
                    home,
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                cwd=ROOT,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"bench case {pods} pods failed:\n{proc.stderr[-2000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            # RUSAGE_CHILDREN is the max over waited children; sizes grow, so it is this one
            result["peak_rss_mb"] = round(max(after, before) / 1024, 1)
            result["us_per_container_hour"] = round(
                result["ingest_s"] / result["container_hours"] * 1e6, 2
            )
            result["sample_lines_per_s"] = round(result["sample_lines"] / result["ingest_s"])
            result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            cases.append(result)
            print(
                f"  {pods:>6} pods: {result['file_mb']} MB, ingest {result['ingest_s']}s "
                f"(CPU {result['ingest_cpu_s']}s), RSS {result['peak_rss_mb']} MB",
                file=sys.stderr,
            )
    return {
        "cases": cases,
        "step": "1h",
        "samples": "hourly",
        "targets": {"ingest_5k_pods_30d_s": 30, "peak_rss_mb": 2048},
    }


def markdown(section: dict[str, Any]) -> str:
    lines = [
        "| pods × 30 days | sample lines | file (MB) | container-hours | ingest (s) "
        "| ingest CPU (s) | µs per container-hour | lines per s | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in section["cases"]:
        lines.append(
            f"| {c['pods']:,} | {c['sample_lines']:,} | {c['file_mb']:,} "
            f"| {c['container_hours']:,} | {c['ingest_s']} | {c['ingest_cpu_s']} "
            f"| {c['us_per_container_hour']} | {c['sample_lines_per_s']:,} "
            f"| {c['peak_rss_mb']} |"
        )
    targets = section.get("targets", {})
    five = next((c for c in section["cases"] if c["pods"] == 5_000), None)
    if five is not None and targets:
        met = (
            five["ingest_s"] <= targets["ingest_5k_pods_30d_s"]
            and five["peak_rss_mb"] <= targets["peak_rss_mb"]
        )
        load = five.get("load_avg_1m")
        lines += [
            "",
            f"Target at 5k pods × 30 days ≤ {targets['ingest_5k_pods_30d_s']} s and "
            f"≤ {targets['peak_rss_mb']} MB RSS: {'met' if met else 'not met'}"
            + (f" (1-minute load average {load[0]} before, {load[1]} after)." if load else "."),
        ]
    return "\n".join(lines)


def _merge_results(section: dict[str, Any]) -> None:
    """Put this section into bench/results.json, keeping every other section."""
    from bench.run import RESULTS, update_docs

    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    data["ingest_metrics"] = section
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    update_docs("ingest_metrics", markdown(section))


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, help="one size, in this process (child mode)")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--work", type=Path, help="directory for the generated file")
    args = parser.parse_args()
    if args.pods is None:
        started = time.perf_counter()
        section = run()
        section["wall_s"] = round(time.perf_counter() - started, 1)
        section["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _merge_results(section)
        return
    print(json.dumps(case(args.pods, args.days, args.work or Path(tempfile.gettempdir()))))


if __name__ == "__main__":
    _main()
