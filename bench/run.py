"""`make bench` (``python -m bench.run``): run every bench module once, record one result.

Each module in :data:`BENCH_MODULES` exposes ``run() -> dict`` (its measurements) and
optionally ``markdown(dict) -> str`` (its table for docs/benchmarks.md). Another
engineer adds a bench (e.g. the HTTP load test) by appending its module name here. All
results of one run go to ``bench/results.json`` together, with the machine they ran on,
and each module's table replaces the block between its markers in the docs:
``<!-- bench:NAME:start -->`` … ``<!-- bench:NAME:end -->``.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DOCS = ROOT / "docs" / "benchmarks.md"

#: bench modules, run in order; each result is stored under the part after ``bench.``
BENCH_MODULES: list[str] = [
    "bench.startup",
    "bench.allocation",
    "bench.read_path",
    "bench.ingest_metrics",
    "bench.load_chat",
    "bench.service_load",
    "bench.engines",
]


def _machine() -> dict[str, Any]:
    import duckdb

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def update_docs(name: str, table: str, docs: Path = DOCS) -> bool:
    """Replace the marked block for ``name``; False when the markers are absent."""
    if not docs.exists():
        return False
    text = docs.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- bench:{name}:start -->\n).*?(<!-- bench:{name}:end -->)", re.S)
    if not pattern.search(text):
        return False
    docs.write_text(pattern.sub(lambda m: m[1] + table + "\n" + m[2], text), encoding="utf-8")
    return True


def main(modules: list[str] | None = None) -> dict[str, Any]:
    """Run the given bench modules (default: all) and merge their sections into the file.

    Sections of modules not run this time are kept, each with its own ``measured_at``,
    so ``python -m bench.run bench.load_chat`` re-measures one thing without erasing the rest.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results: dict[str, Any] = (
        json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    )
    results.update({"measured_at": stamp, "machine": _machine()})
    for module_name in modules or BENCH_MODULES:
        name = module_name.removeprefix("bench.")
        module = importlib.import_module(module_name)
        print(f"bench {name}…", file=sys.stderr)
        started = time.perf_counter()
        section = module.run()
        section["wall_s"] = round(time.perf_counter() - started, 1)
        section["measured_at"] = stamp
        results[name] = section
        if hasattr(module, "markdown"):
            update_docs(name, module.markdown(section))
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return results


if __name__ == "__main__":
    main(sys.argv[1:] or None)
