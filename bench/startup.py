"""Start-up time of the `penny` command: how long before a command does anything.

`penny version` should feel instant (target ≤ 0.3 s): a run imports only its command's
module, and DuckDB, LangChain, Chroma, matplotlib and the cloud SDKs load only where used.
`penny --help` has to import every command module (it lists them), and `penny costs`
also reads the warehouse; both are measured for the record. Each command runs N times in
a fresh process; the median and the best are reported with the machine's load.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

RUNS = 7
TARGET_VERSION_S = 0.3
END = date(2026, 11, 20)


def _penny() -> list[str]:
    exe = Path(sys.executable).with_name("penny")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant.cli"]


def _time(argv: list[str], env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([*_penny(), *argv], env=env, check=True, capture_output=True)
        out.append(time.perf_counter() - started)
    return out


def run() -> dict[str, Any]:
    from assistant.config import load_settings
    from assistant.demo.run import build_demo

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="penny-bench-start-") as tmp:
        home = Path(tmp)
        build_demo(
            load_settings(home=home),
            end=END,
            out_dir=home / "out",
            scale="small",
            use_prometheus=False,
        )
        env = {**os.environ, "PENNY_HOME": str(home), "PENNY_NOW": f"{END}T00:00:00"}
        cases = {
            "version": ["version"],
            "help": ["--help"],
            "costs": ["costs", "--window", "2026-10", "--by", "team"],
        }
        times = {name: _time(argv, env) for name, argv in cases.items()}
    result: dict[str, Any] = {
        name: {"median_s": round(statistics.median(t), 3), "best_s": round(min(t), 3)}
        for name, t in times.items()
    }
    result.update(
        runs=RUNS,
        target_version_s=TARGET_VERSION_S,
        meets_target=statistics.median(times["version"]) <= TARGET_VERSION_S,
        load_avg_1m=[round(load_before, 2), round(os.getloadavg()[0], 2)],
    )
    return result


def markdown(result: dict[str, Any]) -> str:
    rows = [
        "| command | median | best | target |",
        "|---|---|---|---|",
    ]
    for name, argv in (
        ("version", "penny version"),
        ("help", "penny --help"),
        ("costs", "penny costs --window 2026-10 --by team (small demo)"),
    ):
        r = result[name]
        target = f"≤ {result['target_version_s']} s" if name == "version" else ""
        rows.append(f"| `{argv}` | {r['median_s']} s | {r['best_s']} s | {target} |")
    rows.append(
        f"\n{result['runs']} runs each in a fresh process; load average "
        f"{result['load_avg_1m'][0]} → {result['load_avg_1m'][1]}; "
        f"measured {result['measured_at']}."
    )
    return "\n".join(rows)
