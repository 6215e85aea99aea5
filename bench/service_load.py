"""A server answering chats while sync, ingest and allocate run (part of `make bench`).

The scenario of issue 14: `penny serve` (the real app under uvicorn on loopback) answers a
loop of chats from a few clients while, at the same time, its own scheduler-style sync runs
in the server process and CLI processes run `penny ingest focus`, `penny allocate`,
`penny sync`, `penny ask` and `penny costs` against the same PENNY_HOME. Counted: chats that
failed (anything but 200 with an answer) and CLI commands that exited non-zero. Both must
be 0; the test (tests/service/test_service_load.py) asserts that, the bench records the
numbers and the latency. Stops by itself: the chat loop ends when the commands are done (or
at ``max_chats``).

Run alone with ``python -m bench.service_load``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml

END = date(2026, 11, 20)
TOKEN = "pny_service-load-token"
QUESTIONS = [
    "top 5 namespaces last month",
    "how much did team payments cost in October",
    "cost by team last month",
    "what was idle cost last month",
]


def _cli(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    return {
        "command": "penny " + " ".join(a if len(a) < 40 else "…" + a[-30:] for a in args),
        "rc": proc.returncode,
        "seconds": round(time.perf_counter() - started, 2),
        "waited": "Waiting to" in proc.stderr,
        "stderr": proc.stderr[-600:] if proc.returncode else "",
    }


def run_scenario(
    home: Path, *, clients: int = 3, max_chats: int = 600, ai_url: str | None = None
) -> dict[str, Any]:
    """Run the scenario on the demo warehouse in ``home`` (with its ``out/focus`` files)."""
    from assistant.config import load_settings
    from assistant.interfaces.api import create_app
    from assistant.interfaces.auth import hash_token
    from assistant.interfaces.live_server import LiveServer
    from assistant.service.runtime import start_service
    from assistant.sync.run import sync

    config: dict[str, Any] = {
        "now": f"{END:%Y-%m-%d}T00:00:00",
        "server": {
            "tokens": [
                {
                    "sha256": hash_token(TOKEN),
                    "user": "load",
                    "scope": ["*"],
                    "rate_per_minute": 100_000,
                }
            ]
        },
        "sync": {"bills": [{"name": "demo-bill", "url": str(home / "out" / "focus")}]},
    }
    if ai_url:
        config["sync"]["ai"] = [
            {
                "name": "oai",
                "provider": "openai",
                "admin_key": "sk-admin-load",
                "base_url": ai_url,
                "backfill_days": 3,
            }
        ]
    (home / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "PENNY_HOME": str(home), "PENNY_CONFIG": str(home / "config.yaml")}
    os.environ.update({"PENNY_HOME": env["PENNY_HOME"], "PENNY_CONFIG": env["PENNY_CONFIG"]})
    settings = load_settings()
    start_service(settings, schedule=False)  # what `penny serve` does first: a snapshot

    done = threading.Event()
    chats: list[tuple[float, int, str]] = []
    lock = threading.Lock()

    def chat_loop(k: int, url: str) -> None:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
        ) as client:
            i = 0
            while not done.is_set():
                with lock:
                    if len(chats) >= max_chats:
                        return
                started = time.perf_counter()
                try:
                    r = client.post("/v1/chat", json={"message": QUESTIONS[(i + k) % 4]})
                    status = r.status_code
                    text = r.text[:300] if status != 200 else ""
                    if status == 200 and not r.json()["answer"]["text"]:
                        status, text = 599, "empty answer"
                except httpx.HTTPError as exc:
                    status, text = 0, f"{exc.__class__.__name__}: {exc}"
                with lock:
                    chats.append(((time.perf_counter() - started) * 1000, status, text))
                i += 1

    cli: list[dict[str, Any]] = []
    server_sync: dict[str, Any] = {}

    def commands() -> None:
        focus = str(home / "out" / "focus")
        for args in (
            ["ingest", "focus", focus, "--json"],
            ["allocate", "--window", "2026-10"],
            ["sync"],
            ["ask", "top 5 namespaces last month"],
            ["costs", "--window", "last-month", "--by", "team"],
        ):
            cli.append(_cli(args, env))

    def asks() -> None:
        for _ in range(3):
            cli.append(_cli(["ask", "what did the payments team spend last month?"], env))

    def in_server_sync() -> None:
        started = time.perf_counter()
        report = sync(settings, datetime.now(UTC).replace(tzinfo=None))
        server_sync.update(
            ok=report.ok,
            seconds=round(time.perf_counter() - started, 2),
            sources=[vars(s) for s in report.sources],
        )

    load_before = os.getloadavg()[0]
    with LiveServer(create_app(settings, engine="offline")) as server:
        loops = [threading.Thread(target=chat_loop, args=(k, server.url)) for k in range(clients)]
        for t in loops:
            t.start()
        time.sleep(1.0)  # chats are flowing before the writers start
        workers = [threading.Thread(target=f) for f in (commands, asks, in_server_sync)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        done.set()
        for t in loops:
            t.join()
    ms = sorted(c[0] for c in chats)
    failed = [c for c in chats if c[1] != 200]
    return {
        "chats": len(chats),
        "failed_chats": len(failed),
        "failures": [{"status": s, "body": b} for _, s, b in failed[:5]],
        "cli_commands": len(cli),
        "failed_cli_commands": sum(1 for c in cli if c["rc"] != 0),
        "cli": cli,
        "cli_waits": sum(1 for c in cli if c["waited"]),
        "server_sync": server_sync,
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(ms[max(0, -(-len(ms) * 95 // 100) - 1)], 1) if ms else None,
        "max_ms": round(ms[-1], 1) if ms else None,
        "clients": clients,
        "loadavg_1m_before": round(load_before, 2),
    }


def run() -> dict[str, Any]:
    from assistant.config import load_settings
    from assistant.demo.run import build_demo
    from tests.fakes.admin_costs_server import AdminCostsServer

    with tempfile.TemporaryDirectory(prefix="penny-bench-service-") as tmp:
        home = Path(tmp)
        os.environ["PENNY_HOME"] = str(home)
        settings = load_settings(home=home, now=datetime(END.year, END.month, END.day))
        build_demo(settings, end=END, out_dir=home / "out", scale="small", use_prometheus=False)
        with AdminCostsServer("openai", "sk-admin-load") as api:
            today = datetime.now(UTC).date()
            for d in range(1, 4):
                api.costs[today - timedelta(days=d)] = [("p", "gpt-4o, input", Decimal("1.5"))]
            return run_scenario(home, ai_url=api.url)


def markdown(r: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| `{c['command']}` | {c['rc']} | {c['seconds']} s | {'yes' if c['waited'] else 'no'} |"
        for c in r["cli"]
    )
    return (
        f"{r['chats']} chats from {r['clients']} clients while the server synced "
        f"({r['server_sync'].get('seconds')} s) and {r['cli_commands']} CLI commands ran: "
        f"**{r['failed_chats']} failed chats, {r['failed_cli_commands']} failed CLI "
        f"commands**; chat latency p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max "
        f"{r['max_ms']} ms (load average before: {r['loadavg_1m_before']}).\n\n"
        "| command | exit | time | waited for a writer |\n|---|---|---|---|\n" + rows
    )


if __name__ == "__main__":
    from bench.run import main

    main(["bench.service_load"])
