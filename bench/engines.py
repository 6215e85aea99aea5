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
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def _tree_rss_mb(root: int) -> tuple[float, float]:
    """Resident MB of ``root`` and all its descendants, from /proc: all resident pages,
    and the private ones (resident minus file-backed and shared pages, /proc/PID/statm).
    The difference is mostly page cache the kernel can drop: files Spark memory-maps
    (shuffle blocks, Parquet) and the shared libraries and jars."""
    children: dict[int, list[int]] = {}
    pages: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm", encoding="ascii") as fh:
                resident, shared = (int(v) for v in fh.read().split()[1:3])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        pages[int(entry)] = (resident, resident - shared)
    total = private = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        resident, own = pages.get(pid, (0, 0))
        total, private = total + resident, private + own
        stack.extend(children.get(pid, []))
    mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    return total * mb, private * mb


class _Peak:
    """Samples the process tree's RSS in a thread: the largest sums of all resident and
    of private resident memory (each its own maximum)."""

    def __init__(self, root: int | None = None) -> None:
        self.root = os.getpid() if root is None else root
        self.peak = (0.0, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        total, private = _tree_rss_mb(self.root)
        self.peak = (max(self.peak[0], total), max(self.peak[1], private))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.2)

    def figures(self) -> dict[str, float]:
        return {"peak_rss_mb": round(self.peak[0], 1), "peak_private_mb": round(self.peak[1], 1)}

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._sample()
        return self.figures()


def _query(con: Any, settings: Any) -> tuple[float, str]:
    from assistant.costs.query import query_costs
    from assistant.windows import Window

    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 1 + DAYS))
    t = time.perf_counter()
    table = query_costs(con, window=window, group_by="namespace", settings=settings)
    return time.perf_counter() - t, str(table.totals.total)


def case(pods: int, engine: str, home: Path) -> dict[str, Any]:
    """One size on one engine, in this process (the parent gives it a fresh home).

    Before each step a line of what is measured so far (``running``: the step) goes to
    stdout, so a case the parent stops still reports the steps it finished."""
    from assistant.allocation.allocate import allocate
    from assistant.config import load_settings

    settings = load_settings(
        home=home, db=home / "penny.duckdb", warehouse={"spark_conf": SPARK_CONF}
    )
    peak = _Peak()
    out: dict[str, Any] = {"pods": pods, "days": DAYS, "engine": engine}
    if engine == "duckdb":
        out["memory_limit_mb"] = settings.allocation.memory_limit_mb

    def step(name: str) -> None:
        print(json.dumps({**out, **peak.figures(), "running": name}), flush=True)

    if engine == "duckdb":
        from assistant.spark.export import export_lake
        from assistant.warehouse.db import reader, writer
        from bench.allocation import load_cluster

        step("load")
        t = time.perf_counter()
        with writer(settings) as con:
            load_cluster(con, pods, DAYS)
        out["load_s"] = round(time.perf_counter() - t, 2)
        step("allocate")
        t = time.perf_counter()
        report = allocate(settings, engine="duckdb")
        out["allocate_s"] = round(time.perf_counter() - t, 2)
        out["allocate_phases"] = report.phases
        step("query")
        with reader(settings) as con:
            query_s, total = _query(con, settings)
        out["query_s"] = round(query_s, 2)
        out.update(peak.stop())
        step("export")
        t = time.perf_counter()
        export_lake(settings)
        out["export_s"] = round(time.perf_counter() - t, 2)
    else:
        from assistant.spark.engine import spark_reader

        step("allocate")
        t = time.perf_counter()
        report = allocate(settings, engine="spark")
        out["allocate_s"] = round(time.perf_counter() - t, 2)
        out["allocate_phases"] = report.phases
        step("query")
        with spark_reader(settings) as con:
            query_s, total = _query(con, settings)
        out["query_s"] = round(query_s, 2)
        out.update(peak.stop())
    out.update(
        total_30d=total,
        container_hours=report.container_hours,
        reconciled=report.reconciled,
    )
    return out


def _child(pods: int, engine: str, home: str, memory_mb: int | None = None) -> dict[str, Any]:
    """Run one case in a fresh process (its own session, so a case past ``TIMEOUT_S`` is
    stopped with the JVM it started); a stopped or failed case keeps the figures it
    reached: the steps it finished and the peak memory the parent saw."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENNY_")}
    env["PENNY_HOME"] = home
    if memory_mb is not None:
        env["PENNY_ALLOCATION__MEMORY_LIMIT_MB"] = str(memory_mb)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.engines", "--child", str(pods), engine, home],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    seen = _Peak(proc.pid)
    error = None
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        error = f"no result in {TIMEOUT_S} s"
    reached = seen.stop()
    wall = round(time.perf_counter() - started, 1)
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if error is None and proc.returncode != 0:
        error = _error_line(stderr) or f"exit {proc.returncode}"
    loads = [round(load, 2), round(os.getloadavg()[0], 2)]
    if error is None and lines and not lines[-1].get("running"):
        return {**lines[-1], "load_avg_1m": loads}
    partial = {k: v for k, v in (lines[-1] if lines else {}).items() if k != "running"}
    stopped_in = lines[-1].get("running") if lines else None
    return {
        **partial,
        "pods": pods,
        "engine": engine,
        "error": error or "no result",
        "stopped_in": stopped_in,
        "wall_s": wall,
        **reached,
        "load_avg_1m": loads,
    }


def _error_line(stderr: str) -> str:
    """The exception's message from a child's traceback (its last ``…Error: …`` or
    ``…Exception: …`` line), else the last lines."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "Exception" in line) and ":" in line:
            return line[-400:]
    return " | ".join(lines[-3:])[-400:]


def _meta() -> dict[str, Any]:
    return {
        "spark_conf": SPARK_CONF,
        "machine_ram_mb": MACHINE_RAM_MB,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run(
    sizes: tuple[int, ...] = SIZES,
    *,
    engines: tuple[str, ...] = ("duckdb", "spark"),
    keep: Path | None = None,
    memory_mb: int | None = None,
    record: bool = False,
) -> dict[str, Any]:
    """Each size: DuckDB first (it also writes the lake), then Spark on that lake;
    ``record`` merges every case into bench/results.json as soon as it is measured.

    ``keep`` (a folder) holds each size's warehouse and lake in ``keep/<pods>`` instead of
    a temporary folder, so the engines can be run at different times (``--engine duckdb``
    builds the lake; a later ``--engine spark`` reads it): on a shared machine the long
    cases then wait for a quiet moment one by one."""
    cases = []
    for pods in sizes:
        with _home(keep, pods) as home:
            for engine in engines:
                if engine == "spark" and not (Path(home) / "lake").exists():
                    result: dict[str, Any] = {"pods": pods, "engine": "spark", "error": "no lake"}
                else:
                    if engine == "duckdb":  # a fresh warehouse, whatever a kept home held
                        _clear(Path(home))
                    result = _child(pods, engine, home, memory_mb if engine == "duckdb" else None)
                cases.append(result)
                print(f"  {pods:>7} pods {engine:>6}: {json.dumps(result)}", file=sys.stderr)
                if record:  # keep what is measured even if a later, larger case never ends
                    _merge_results({"cases": [result], **_meta()})
                if "error" in result and engine == "duckdb":
                    break
    return {"cases": cases, **_meta()}


def _clear(home: Path) -> None:
    for entry in home.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@contextmanager
def _home(keep: Path | None, pods: int) -> Iterator[str]:
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="penny-bench-engines-") as tmp:
            yield tmp
        return
    kept = keep / str(pods)
    kept.mkdir(parents=True, exist_ok=True)
    yield str(kept)


def _label(case: dict[str, Any]) -> str:
    limit = case.get("memory_limit_mb")
    if case["engine"] != "duckdb" or limit is None:
        return str(case["engine"])
    return f"duckdb ({limit / 1024:g} GB limit)"


def markdown(section: dict[str, Any]) -> str:
    lines = [
        "| pods × 30 days | engine | container-hours | allocate (s) | 30-day query (s) "
        "| peak RSS (MB) | private (MB) | reconciled | 1-min load |",
        "|---:|:---|---:|---:|---:|---:|---:|:---:|:---|",
    ]
    for c in section["cases"]:
        c = {**c, "engine": _label(c)}
        loads = c.get("load_avg_1m")
        load = f"{loads[0]} → {loads[1]}" if loads else "–"
        rss = " | ".join(
            f"{c[k]:,}" if c.get(k) is not None else "–" for k in ("peak_rss_mb", "peak_private_mb")
        )
        if "error" in c:
            where = f" in {c['stopped_in']}" if c.get("stopped_in") else ""
            after = f" after {c['wall_s']} s" if c.get("wall_s") else ""
            lines.append(
                f"| {c['pods']:,} | {c['engine']} | | no result{where}{after}: {c['error'][:100]} "
                f"| | {rss} | | {load} |"
            )
            continue
        lines.append(
            f"| {c['pods']:,} | {c['engine']} | {c['container_hours']:,} | {c['allocate_s']} "
            f"| {c['query_s']} | {rss} | {'yes' if c['reconciled'] else 'NO'} "
            f"| {load} |"
        )
    return "\n".join(lines)


def _key(case: dict[str, Any]) -> tuple[int, str, int]:
    """A case is its size, engine and (DuckDB) memory limit; a rerun replaces it."""
    return (case["pods"], case["engine"], case.get("memory_limit_mb") or 0)


def _merge_results(section: dict[str, Any]) -> None:
    from bench.run import RESULTS, update_docs

    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    # sizes run separately (e.g. 100k alone) keep the other sizes' cases
    new = {_key(c) for c in section["cases"]}
    kept = [c for c in data.get("engines", {}).get("cases", []) if _key(c) not in new]
    section["cases"] = sorted(kept + section["cases"], key=_key)
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
    parser.add_argument("--engine", choices=("duckdb", "spark"), help="run one engine only")
    parser.add_argument(
        "--keep", type=Path, help="keep each size's warehouse and lake in KEEP/<pods>"
    )
    parser.add_argument(
        "--duckdb-memory-mb", type=int, help="DuckDB's memory limit while allocating"
    )
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
    engines = (args.engine,) if args.engine else ("duckdb", "spark")
    run(
        tuple(args.sizes) or SIZES,
        engines=engines,
        keep=args.keep,
        memory_mb=args.duckdb_memory_mb,
        record=True,
    )


if __name__ == "__main__":
    _main()
