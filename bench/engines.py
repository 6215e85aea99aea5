"""DuckDB vs Spark (local mode) on the same synthetic clusters: where to switch engines.

Per size (``SIZES`` pods × 30 days, the allocation bench's cluster shape:
:func:`bench.allocation.load_cluster`), two subprocesses:

* **duckdb**: load the raw tables into a fresh warehouse (one writer transaction, as
  ingest writes), ``allocate(engine="duckdb")``, then ``query_costs`` by namespace over
  the 30 days; then ``export-lake`` writes the same tables as the Spark engine's lake
  (Parquet by cluster and day; not timed).
* **spark**: ``allocate(engine="spark")`` over that lake, then the same ``query_costs``
  through the Spark connection (same SQL, transpiled).

Each child samples the resident memory of itself and every process it started (the
Spark JVM) every 0.2 s; *peak RSS* is the largest sum seen. A case that fails (e.g. out
of memory) or exceeds ``TIMEOUT_S`` is recorded as such, with the figures it reached.
Run alone: ``python -m bench.engines [PODS …]`` (merges its section into
``bench/results.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["SIZES", "markdown", "run"]

SIZES = (5_000, 20_000, 100_000)
DAYS = 30
TIMEOUT_S = 1800
ROOT = Path(__file__).resolve().parent.parent
#: Spark local mode on this machine: both cores, a driver heap that holds a 100k month's
#: shuffle partitions without thrashing (Spark spills beyond it).
SPARK_CONF = {
    "spark.driver.memory": "6g",
    "spark.sql.shuffle.partitions": "16",
    "spark.default.parallelism": "4",
}
MACHINE_RAM_MB = 24 * 1024


def _tree_rss_mb(root: int) -> float:
    """Resident MB of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class _Peak:
    """Samples the process tree's RSS in a thread; ``peak`` is the largest sum."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_mb(os.getpid()))
            self._stop.wait(0.2)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(max(self.peak, _tree_rss_mb(os.getpid())), 1)


def _query(con: Any, settings: Any) -> tuple[float, str]:
    from assistant.costs.query import query_costs
    from assistant.windows import Window

    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 1 + DAYS))
    t = time.perf_counter()
    table = query_costs(con, window=window, group_by="namespace", settings=settings)
    return time.perf_counter() - t, str(table.totals.total)


def case(pods: int, engine: str, home: Path) -> dict[str, Any]:
    """One size on one engine, in this process (the parent gives it a fresh home)."""
    from assistant.allocation.allocate import allocate
    from assistant.config import load_settings

    settings = load_settings(
        home=home, db=home / "penny.duckdb", warehouse={"spark_conf": SPARK_CONF}
    )
    peak = _Peak()
    out: dict[str, Any] = {"pods": pods, "days": DAYS, "engine": engine}
    if engine == "duckdb":
        from assistant.spark.export import export_lake
        from assistant.warehouse.db import reader, writer
        from bench.allocation import load_cluster

        t = time.perf_counter()
        with writer(settings) as con:
            load_cluster(con, pods, DAYS)
        out["load_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        report = allocate(settings, engine="duckdb")
        out["allocate_s"] = round(time.perf_counter() - t, 2)
        with reader(settings) as con:
            query_s, total = _query(con, settings)
        out["peak_rss_mb"] = peak.stop()
        t = time.perf_counter()
        export_lake(settings)
        out["export_s"] = round(time.perf_counter() - t, 2)
    else:
        from assistant.spark.engine import spark_reader

        t = time.perf_counter()
        report = allocate(settings, engine="spark")
        out["allocate_s"] = round(time.perf_counter() - t, 2)
        with spark_reader(settings) as con:
            query_s, total = _query(con, settings)
        out["peak_rss_mb"] = peak.stop()
    out.update(
        query_s=round(query_s, 2),
        total_30d=total,
        container_hours=report.container_hours,
        reconciled=report.reconciled,
    )
    return out


def _child(pods: int, engine: str, home: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENNY_")}
    env["PENNY_HOME"] = home
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.engines", "--child", str(pods), engine, home],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"pods": pods, "engine": engine, "error": f"no result in {TIMEOUT_S} s"}
    wall = round(time.perf_counter() - started, 1)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"pods": pods, "engine": engine, "error": " | ".join(tail)[-400:], "wall_s": wall}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load_avg_1m"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return result


def _meta() -> dict[str, Any]:
    return {
        "spark_conf": SPARK_CONF,
        "machine_ram_mb": MACHINE_RAM_MB,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run(sizes: tuple[int, ...] = SIZES, *, record: bool = False) -> dict[str, Any]:
    """Each size: DuckDB first (it also writes the lake), then Spark on that lake;
    ``record`` merges every case into bench/results.json as soon as it is measured."""
    cases = []
    for pods in sizes:
        with tempfile.TemporaryDirectory(prefix="penny-bench-engines-") as home:
            for engine in ("duckdb", "spark"):
                result = _child(pods, engine, home)
                cases.append(result)
                print(f"  {pods:>7} pods {engine:>6}: {json.dumps(result)}", file=sys.stderr)
                if record:  # keep what is measured even if a later, larger case never ends
                    _merge_results({"cases": [result], **_meta()})
                if "error" in result and engine == "duckdb":
                    cases.append({"pods": pods, "engine": "spark", "error": "no lake"})
                    break
    return {"cases": cases, **_meta()}


def markdown(section: dict[str, Any]) -> str:
    lines = [
        "| pods × 30 days | engine | container-hours | allocate (s) | 30-day query (s) "
        "| peak RSS (MB) | reconciled | 1-min load |",
        "|---:|:---|---:|---:|---:|---:|:---:|:---|",
    ]
    for c in section["cases"]:
        if "error" in c:
            lines.append(f"| {c['pods']:,} | {c['engine']} | | | | | | failed: {c['error']} |")
            continue
        load = c.get("load_avg_1m", ["", ""])
        lines.append(
            f"| {c['pods']:,} | {c['engine']} | {c['container_hours']:,} | {c['allocate_s']} "
            f"| {c['query_s']} | {c['peak_rss_mb']:,} | {'yes' if c['reconciled'] else 'NO'} "
            f"| {load[0]} → {load[1]} |"
        )
    return "\n".join(lines)


def _merge_results(section: dict[str, Any]) -> None:
    from bench.run import RESULTS, update_docs

    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    # sizes run separately (e.g. 100k alone) keep the other sizes' cases
    new = {(c["pods"], c["engine"]) for c in section["cases"]}
    kept = [
        c for c in data.get("engines", {}).get("cases", []) if (c["pods"], c["engine"]) not in new
    ]
    section["cases"] = sorted(kept + section["cases"], key=lambda c: (c["pods"], c["engine"]))
    data["engines"] = section
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    update_docs("engines", markdown(section))


def _case_lines(log: Path) -> list[str]:
    return [
        line.strip()
        for line in log.read_text(encoding="utf-8").splitlines()
        if " pods " in line and ": {" in line
    ]


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("PODS", "ENGINE", "HOME"))
    parser.add_argument("--record-log", type=Path, help="record the cases a run logged")
    parser.add_argument("sizes", nargs="*", type=int)
    args = parser.parse_args()
    if args.child:
        pods, engine, home = args.child
        print(json.dumps(case(int(pods), engine, Path(home))))
        return
    if args.record_log:  # cases a run printed before it was stopped
        cases = [json.loads(line.split(": ", 1)[1]) for line in _case_lines(args.record_log)]
        _merge_results({"cases": cases, **_meta()})
        return
    run(tuple(args.sizes) or SIZES, record=True)


if __name__ == "__main__":
    _main()
