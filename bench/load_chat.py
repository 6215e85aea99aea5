"""Loopback load test of ``POST /v1/chat`` in offline mode (part of `make bench`).

Builds the default demo warehouse in a temporary home, serves the real app with uvicorn on
a free loopback port, and sends a fixed number of questions from concurrent clients (each
a keep-alive HTTP connection), once with 4 clients and once with 8. The question mix is
the README's questions plus period comparisons ("compare October with September", "why
did October go up?"), the expensive kind. Stops by itself. Records p50/p95/max latency
and the error count; a request is an error unless it returns 200 with an understood
answer. Each question is first asked once on the fresh server and timed ("cold": nothing
memoized yet); those warm-up requests are not in the percentiles.

Run alone with ``python -m bench.load_chat [REQUESTS] [CLIENTS…]``: the result is merged
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

REQUESTS = 300
CLIENTS = (4, 8)
SEQUENTIAL = 30  # requests from one client before the concurrent runs
TARGET_P95_MS = 500.0
END = date(2026, 11, 20)
QUESTIONS = [
    "top 5 namespaces last month",
    "how much did team payments cost in October",
    "cost by team last month",
    "how much did the search namespace cost last month",
    "what was idle cost last month",
    "and in September?",
    "compare October with September",
    "why did October go up?",
]
_TOKEN = "pny_bench-load-token"


def _percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of samples ≤ it."""
    rank = max(1, -(-len(sorted_ms) * pct // 100))
    return sorted_ms[int(rank) - 1]


def _client_run(url: str, jobs: list[int], clients: int) -> list[tuple[float, bool, str]]:
    out = []
    headers = {"Authorization": f"Bearer {_TOKEN}"}
    offset = jobs[0] if jobs else 0
    thread = f"load-{clients}-{offset}"
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        # each client walks the whole mix in order, in its own thread, from its own offset,
        # so the follow-up "and in September?" always comes after the question it continues
        for k in range(len(jobs)):
            position = (k + offset) % len(QUESTIONS)
            if k == 0 and QUESTIONS[position].startswith("and "):
                position -= 1
            question = QUESTIONS[position]
            started = time.perf_counter()
            try:
                r = client.post("/v1/chat", json={"message": question, "thread_id": thread})
                ok = r.status_code == 200 and r.json()["answer"]["understood"]
            except httpx.HTTPError:
                ok = False
            out.append(((time.perf_counter() - started) * 1000.0, ok, question))
    return out


def _concurrent(url: str, requests: int, clients: int) -> dict[str, Any]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        parts = list(
            pool.map(
                _client_run,
                [url] * clients,
                [list(range(c, requests, clients)) for c in range(clients)],
                [clients] * clients,
            )
        )
    wall = time.perf_counter() - started
    samples = [s for part in parts for s in part]
    ms = sorted(s[0] for s in samples)
    errors = sum(1 for s in samples if not s[1])
    return {
        "requests": len(samples),
        "clients": clients,
        "errors": errors,
        "p50_ms": round(_percentile(ms, 50), 1),
        "p95_ms": round(_percentile(ms, 95), 1),
        "max_ms": round(ms[-1], 1),
        "throughput_rps": round(len(samples) / wall, 1),
        "meets_target": _percentile(ms, 95) <= TARGET_P95_MS and errors == 0,
        "median_ms_by_question": {
            q: round(statistics.median([s[0] for s in samples if s[2] == q]), 1) for q in QUESTIONS
        },
    }


def run(requests: int = REQUESTS, *clients: int) -> dict[str, Any]:
    from assistant.config import load_settings
    from assistant.demo.run import build_demo
    from assistant.interfaces.api import create_app
    from assistant.interfaces.auth import hash_token
    from assistant.interfaces.live_server import LiveServer

    load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
    runs = []
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
            # each question once on the fresh server: its cost with nothing memoized
            cold = {
                q: round(ms, 1)
                for ms, _, q in _client_run(server.url, list(range(len(QUESTIONS))), 1)
            }
            # one client alone: the per-request cost without queueing
            alone = sorted(s[0] for s in _client_run(server.url, list(range(SEQUENTIAL)), 1))
            for n in clients or CLIENTS:
                runs.append(_concurrent(server.url, requests, n))
    return {
        "engine": "offline",
        "questions": QUESTIONS,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": all(r["meets_target"] for r in runs),
        "cold_ms_by_question": cold,
        "one_client": {
            "requests": len(alone),
            "p50_ms": round(_percentile(alone, 50), 1),
            "p95_ms": round(_percentile(alone, 95), 1),
        },
        "runs": runs,
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def markdown(result: dict[str, Any]) -> str:
    one = result["one_client"]
    load = result.get("load_avg_1m")
    met = "met" if result["meets_target"] else "**not met**"
    rows = "".join(
        f"| {r['requests']} | {r['clients']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
        f"{r['throughput_rps']} | {r['errors']} |\n"
        for r in result["runs"]
    )
    cold = ", ".join(f"{q!r} {ms} ms" for q, ms in result["cold_ms_by_question"].items())
    return (
        "| requests | clients | p50 ms | p95 ms | max ms | req/s | errors |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {one['requests']} | 1 | {one['p50_ms']} | {one['p95_ms']} | | | |\n"
        + rows
        + f"\nTarget p95 ≤ {result['target_p95_ms']:.0f} ms with 0 errors at every client "
        f"count: {met}"
        + (f" (1-minute load average {load[0]} before, {load[1]} after)." if load else ".")
        + f" First ask of each question on the fresh server (cold): {cold}."
    )


def main(argv: list[str]) -> dict[str, Any]:
    from bench.run import RESULTS, _machine, update_docs

    result = run(*(int(a) for a in argv))
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
