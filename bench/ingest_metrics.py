"""Metrics ingest at scale: a synthetic OpenMetrics file per size through ``ingest_openmetrics``.

Each size's file is written once (:mod:`bench.metrics_file`: the demo's label
conventions, hourly samples, 11 series per pod), then ingested ``RUNS`` times, each in
its own subprocess (``python -m bench.ingest_metrics --pods N --file F``) with a fresh
warehouse, timing ``ingest_openmetrics`` with ``step="1h"`` and the default 24-hour
chunks and daily slices; the child reports its own peak RSS (``RUSAGE_SELF``: DuckDB's
threads are in the process). Run alone (``python -m bench.ingest_metrics``) it merges
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

SIZES = (1_000, 5_000, 20_000)
RUNS = 3
DAYS = 30
ROOT = Path(__file__).resolve().parent.parent


def case(pods: int, days: int, path: Path, lines: int, generate_s: float) -> dict[str, Any]:
    """One ingest of the file the parent wrote, in this process (PENNY_HOME set by the
    caller)."""
    from assistant.config import load_settings
    from assistant.ingest.metrics.openmetrics import ingest_openmetrics

    size_mb = path.stat().st_size / 1e6
    settings = load_settings()
    t, cpu = time.perf_counter(), time.process_time()
    # the ingest alone (no allocate hook; allocation is measured by bench/allocation.py)
    report = ingest_openmetrics([path], "bench", settings, step="1h")
    ingest_s, ingest_cpu_s = time.perf_counter() - t, time.process_time() - cpu
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


def _one_run(pods: int, path: Path, lines: int, generate_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="penny-bench-metrics-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PENNY_")}
        env["PENNY_HOME"] = home
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
                "--file",
                str(path),
                "--lines",
                str(lines),
                "--generate-s",
                str(generate_s),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            cwd=ROOT,
        )
        if proc.returncode != 0:
            err = proc.stderr
            brief = err if len(err) < 6000 else err[:3000] + "\n…\n" + err[-3000:]
            raise RuntimeError(f"bench case {pods} pods failed:\n{brief}")
        result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = result["self_peak_rss_mb"]
    result["us_per_container_hour"] = round(result["ingest_s"] / result["container_hours"] * 1e6, 2)
    result["sample_lines_per_s"] = round(result["sample_lines"] / result["ingest_s"])
    result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def run(sizes: tuple[int, ...] = SIZES, runs: int = RUNS) -> dict[str, Any]:
    """Every size: the file written once, then ``runs`` ingests, each in a fresh
    subprocess and warehouse; the case is the median run by wall time, with the peak
    RSS of the worst run."""
    cases = []
    for pods in sizes:
        from bench.metrics_file import write_cluster

        with tempfile.TemporaryDirectory(prefix="penny-bench-file-") as work:
            path = Path(work) / f"bench-{pods}.om"
            t = time.perf_counter()
            lines = write_cluster(path, pods, DAYS)
            generate_s = round(time.perf_counter() - t, 1)
            all_runs = [_one_run(pods, path, lines, generate_s) for _ in range(runs)]
        by_wall = sorted(all_runs, key=lambda r: r["ingest_s"])
        result = dict(by_wall[len(by_wall) // 2])
        result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in all_runs)
        result["runs"] = [
            {k: r[k] for k in ("ingest_s", "ingest_cpu_s", "peak_rss_mb", "load_avg_1m")}
            for r in all_runs
        ]
        result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        cases.append(result)
        print(
            f"  {pods:>6} pods: {result['file_mb']} MB, ingest "
            f"{[r['ingest_s'] for r in all_runs]} s, RSS "
            f"{[r['peak_rss_mb'] for r in all_runs]} MB",
            file=sys.stderr,
        )
    return {
        "cases": cases,
        "step": "1h",
        "samples": "hourly",
        "runs": runs,
        "targets": {"ingest_5k_pods_30d_s": 30, "peak_rss_mb_20k": 2048},
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
    twenty = next((c for c in section["cases"] if c["pods"] == 20_000), None)
    if five is not None and "ingest_5k_pods_30d_s" in targets:
        runs = ", ".join(f"{r['ingest_s']} s" for r in five.get("runs", [five]))
        met = five["ingest_s"] <= targets["ingest_5k_pods_30d_s"]
        lines += [
            "",
            f"5k pods × 30 days ≤ {targets['ingest_5k_pods_30d_s']} s: "
            f"{'met' if met else 'not met'} (median of {runs}; 1-minute load average "
            f"{five['load_avg_1m'][0]} before the median run).",
        ]
    if twenty is not None and "peak_rss_mb_20k" in targets:
        met = twenty["peak_rss_mb"] <= targets["peak_rss_mb_20k"]
        lines.append(
            f"Peak RSS at 20k pods × 30 days ≤ {targets['peak_rss_mb_20k']} MB: "
            f"{'met' if met else 'not met'} ({twenty['peak_rss_mb']} MB, the worst of "
            f"{len(twenty.get('runs', [twenty]))} runs; file {twenty['file_mb']:,} MB)."
        )
    return "\n".join(lines)


def _merge_results(section: dict[str, Any]) -> None:
    """Put this section into bench/results.json, keeping every other section."""
    from bench.run import RESULTS, update_docs

    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    # a run of some sizes keeps the other sizes' cases (a 20k-pod month is run on its own)
    ran = {c["pods"] for c in section["cases"]}
    kept = [c for c in data.get("ingest_metrics", {}).get("cases", []) if c["pods"] not in ran]
    section["cases"] = sorted(kept + section["cases"], key=lambda c: c["pods"])
    data["ingest_metrics"] = section
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    update_docs("ingest_metrics", markdown(section))


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, help="one size, in this process (child mode)")
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--file", type=Path, help="the generated file (child mode)")
    parser.add_argument("--lines", type=int, default=0)
    parser.add_argument("--generate-s", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=RUNS, help="ingests per size")
    parser.add_argument("sizes", nargs="*", type=int)
    args = parser.parse_args()
    if args.pods is None:
        started = time.perf_counter()
        section = run(tuple(args.sizes) or SIZES, args.runs)
        section["wall_s"] = round(time.perf_counter() - started, 1)
        section["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _merge_results(section)
        return
    print(json.dumps(case(args.pods, args.days, args.file, args.lines, args.generate_s)))


if __name__ == "__main__":
    _main()
