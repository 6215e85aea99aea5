"""Loopback load test of ``POST /v1/chat`` in offline mode (part of `make bench`).

Builds the default demo warehouse in a temporary home, serves the real app with uvicorn on
a free loopback port, and sends a fixed number of questions from a few concurrent clients
(each a keep-alive HTTP connection). Stops by itself. Records p50/p95/max latency and the
error count; a request is an error unless it returns 200 with an understood answer.
Warm-up requests (loading the entity index and embeddings) are made first and not counted.

Run alone with ``python -m bench.load_chat [REQUESTS] [CLIENTS]``: the result is merged
into bench/results.json under ``load_chat`` without touching other entries.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

REQUESTS = 200
CLIENTS = 4
SEQUENTIAL = 30  # requests from one client before the concurrent run
TARGET_P95_MS = 500.0
END = date(2026, 11, 20)
QUESTIONS = [
    "top 5 namespaces last month",
    "how much did team payments cost in October",
    "cost by team last month",
    "how much did the search namespace cost last month",
    "what was idle cost last month",
    "and in September?",
]
_TOKEN = "pny_bench-load-token"


def _percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of samples ≤ it."""
    rank = max(1, -(-len(sorted_ms) * pct // 100))
    return sorted_ms[int(rank) - 1]


def _client_run(url: str, jobs: list[int]) -> list[tuple[float, bool, str]]:
    out = []
    headers = {"Authorization": f"Bearer {_TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for i in jobs:
            question = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                r = client.post(
                    "/v1/chat", json={"message": question, "thread_id": f"load-{i % CLIENTS}"}
                )
                ok = r.status_code == 200 and r.json()["answer"]["understood"]
            except httpx.HTTPError:
                ok = False
            out.append(((time.perf_counter() - started) * 1000.0, ok, question))
    return out


def run(requests: int = REQUESTS, clients: int = CLIENTS) -> dict[str, Any]:
    from assistant.config import load_settings
    from assistant.demo.run import build_demo
    from assistant.interfaces.api import create_app
    from assistant.interfaces.auth import hash_token
    from assistant.interfaces.live_server import LiveServer

    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    with tempfile.TemporaryDirectory(prefix="penny-bench-chat-") as tmp:
        home = Path(tmp)
        settings = load_settings(
            home=home,
            now=datetime(END.year, END.month, END.day),
            server={
                "tokens": [
                    {
                        "sha256": hash_token(_TOKEN),
                        "user": "bench",
                        "scope": ["*"],
                        "rate_per_minute": 1_000_000,
                    }
                ]
            },
        )
        # The organisation `penny demo` builds (default scale), not the small test one.
        build_demo(settings, end=END, out_dir=home / "out", scale="default", use_prometheus=False)
        with LiveServer(create_app(settings, engine="offline")) as server:
            _client_run(server.url, list(range(len(QUESTIONS))))  # warm-up
            # one client alone first: the per-request cost without queueing
            alone = sorted(s[0] for s in _client_run(server.url, list(range(SEQUENTIAL))))
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                parts = list(
                    pool.map(
                        _client_run,
                        [server.url] * clients,
                        [list(range(c, requests, clients)) for c in range(clients)],
                    )
                )
            wall = time.perf_counter() - started
    samples = [s for part in parts for s in part]
    ms = sorted(s[0] for s in samples)
    errors = sum(1 for s in samples if not s[1])
    by_question = {
        q: round(statistics.median([s[0] for s in samples if s[2] == q]), 1) for q in QUESTIONS
    }
    return {
        "requests": len(samples),
        "clients": clients,
        "engine": "offline",
        "errors": errors,
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "max_ms": round(ms[-1], 1),
        "throughput_rps": round(len(samples) / wall, 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": _percentile(ms, 95) <= TARGET_P95_MS and errors == 0,
        "median_ms_by_question": by_question,
        "one_client": {
            "requests": len(alone),
            "p50_ms": round(_percentile(alone, 50), 1),
            "p95_ms": round(_percentile(alone, 95), 1),
        },
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def markdown(result: dict[str, Any]) -> str:
    one = result["one_client"]
    load = result.get("load_avg_1m")
    met = "met" if result["meets_target"] else "**not met**"
    return (
        "| requests | clients | p50 ms | p95 ms | max ms | req/s | errors |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {one['requests']} | 1 | {one['p50_ms']} | {one['p95_ms']} | | | |\n"
        f"| {result['requests']} | {result['clients']} | {result['p50_ms']} | "
        f"{result['p95_ms']} | {result['max_ms']} | {result['throughput_rps']} | "
        f"{result['errors']} |\n\n"
        f"Target p95 ≤ {result['target_p95_ms']:.0f} ms with 0 errors: {met}"
        + (f" (1-minute load average {load[0]} before, {load[1]} after)." if load else ".")
    )


def main(argv: list[str]) -> dict[str, Any]:
    from bench.run import RESULTS, _machine, update_docs

    result = run(*(int(a) for a in argv[:2]))
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    data["load_chat"] = {
        **result,
        "measured_at": datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _machine(),
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    update_docs("load_chat", markdown(result))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
