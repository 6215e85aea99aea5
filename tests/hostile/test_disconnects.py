"""Every connection released on every path: a client that hangs up mid-stream, a stream
that fails, a server stopped mid-answer.

The failed class: a client that disconnected after the first SSE event left
``ledger.duckdb`` open in the server until restart, so another process could not record
AI spend (``penny ingest ai-usage`` failed). "Released" is checked the strict way: from
another process, which DuckDB refuses while any handle in the server remains.
"""

from __future__ import annotations

import gc
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.warehouse.ledger import ledger_path
from assistant.warehouse.snapshots import read_path
from tests.hostile.conftest import ADMIN, NOW, snapshot, still_answers, tokens
from tests.interfaces.conftest import LiveServer

pytestmark = pytest.mark.slow

_OPEN = {
    # DuckDB: a read-write open is refused while any process holds the file
    "duckdb": (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute('SELECT 1')\n"
        "con.close()\n"
        "print('opened')\n"
    ),
    # SQLite (the ledger): taking the write lock is refused while a write transaction is open
    "sqlite": (
        "import sqlite3, sys\n"
        "con = sqlite3.connect(sys.argv[1], timeout=0)\n"
        "con.execute('BEGIN IMMEDIATE')\n"
        "con.rollback()\n"
        "con.close()\n"
        "print('opened')\n"
    ),
}


def _writable_from_another_process(path: Path, within_s: float = 10.0) -> bool:
    """Whether another process can write ``path`` (open it read-write, or take its write
    lock) within ``within_s``."""
    script = _OPEN["sqlite" if path.suffix == ".sqlite" else "duckdb"]
    deadline = time.monotonic() + within_s
    while True:
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)], capture_output=True, text=True
        )
        if done.stdout.strip() == "opened":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def _stream_and_hang_up(url: str, message: str, after_events: int) -> list[str]:
    """POST a streamed chat over a raw socket, read ``after_events`` events, then close."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"message": message}).encode()
    head = (
        f"POST /v1/chat HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {ADMIN}\r\n"
        "Accept: text/event-stream\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.sendall(head + body)
    got = b""
    while got.count(b"\n\nevent:") + (1 if b"event:" in got else 0) < after_events + 1:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
        if got.count(b"event:") >= after_events:
            break
    sock.close()  # the client goes away mid-answer
    return [line for line in got.decode(errors="replace").splitlines() if line.startswith("event:")]


@pytest.fixture
def server_settings(settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the demo, with a ledger that has seen one question (a ledger that
    does not exist yet cannot be held): this test's other process opens both read-write."""
    import shutil

    from assistant.agent.ask import ask
    from assistant.core.answer import AskContext

    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(settings.db_path, home / "penny.duckdb")
    copy = load_settings(home=home, now=NOW, server={"tokens": tokens()})
    ask("cost by team last month", AskContext(), copy, engine="offline")
    assert ledger_path(copy).exists()
    return copy


@pytest.mark.parametrize("after_events", [1, 2])
def test_a_client_hanging_up_mid_stream_releases_the_ledger_and_the_warehouse(
    server_settings: Settings, after_events: int
) -> None:
    with LiveServer(create_app(server_settings, engine="offline")) as server:
        # Release must not wait for the garbage collector: an abandoned stream sits in a
        # reference cycle, which a quiet server may not collect for hours.
        gc.disable()
        try:
            events = _stream_and_hang_up(server.url, "top 5 namespaces last month", after_events)
            assert events and events[0] == "event: tool_call"
            # the server is still up, and the files are free for another process
            assert _writable_from_another_process(ledger_path(server_settings), within_s=5)
            assert _writable_from_another_process(read_path(server_settings), within_s=5)
        finally:
            gc.enable()
        # and `penny ingest ai-usage` from another process records its spend
        export = server_settings.home / "costs.json"
        export.write_text(
            json.dumps(
                {
                    "data": [
                        {
                            "start_time": 1790812800,
                            "end_time": 1790899200,
                            "results": [
                                {
                                    "object": "organization.costs.result",
                                    "amount": {"value": 1.25, "currency": "usd"},
                                }
                            ],
                        }
                    ]
                }
            )
        )
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ingest", "ai-usage", "openai", str(export)],
            capture_output=True,
            text=True,
            env={
                "PENNY_HOME": str(server_settings.home),
                "PATH": "/usr/bin:/bin",
                "ANONYMIZED_TELEMETRY": "False",
            },
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "Imported 1 openai-import rows" in done.stdout.replace("\n", " ")


def test_hanging_up_while_the_model_thinks_holds_nothing_meanwhile(
    server_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The LLM engine streams: the model's first reply asks for a tool, the second takes
    eight seconds. The client hangs up after the tool events; while the model is still
    thinking, another process can already write the ledger (a turn must not park a
    ledger handle in a suspended stream)."""
    from assistant.agent.llm import reset_memory
    from tests.fakes import OpenAIServer, Reply, ToolUse

    reset_memory()
    model = OpenAIServer(
        [
            Reply(
                tool_calls=[ToolUse("query_costs", {"window": "2026-10", "group_by": "team"})],
                input_tokens=100,
                output_tokens=10,
                model="gpt-4o-2024-08-06",
            ),
            Reply(text="Payments cost the most.", input_tokens=200, output_tokens=5, delay_s=8),
        ]
    )
    model.start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
    llm = load_settings(
        home=server_settings.home, now=NOW, model="openai:gpt-4o", server={"tokens": tokens()}
    )
    try:
        with LiveServer(create_app(llm)) as server:
            gc.disable()
            try:
                events = _stream_and_hang_up(server.url, "who spent most in October?", 2)
                assert events[:2] == ["event: tool_call", "event: tool_result"]
                started = time.monotonic()
                assert _writable_from_another_process(ledger_path(llm), within_s=3)
                assert time.monotonic() - started < 6  # before the model has answered
            finally:
                gc.enable()
    finally:
        model.stop()
        reset_memory()


def test_a_stream_that_fails_mid_way_releases_everything(
    server_settings: Settings, tmp_path: Path
) -> None:
    """The LLM engine with no model configured: the stream's turn fails after it began."""
    with LiveServer(create_app(server_settings, engine="llm")) as server:
        import httpx

        r = httpx.post(
            f"{server.url}/v1/chat",
            json={"message": "top 5 namespaces last month"},
            headers={"Authorization": f"Bearer {ADMIN}", "Accept": "text/event-stream"},
            timeout=60,
        )
        assert r.status_code == 200 and "event: error" in r.text
        assert "request_id" in r.text
        assert _writable_from_another_process(ledger_path(server_settings))
        assert _writable_from_another_process(read_path(server_settings))


def test_answers_and_refusals_hold_nothing_open(settings: Settings) -> None:
    """In process: after a streamed answer read to the end, one abandoned after its first
    event, and one refused, nothing is held (the snapshot opens both files)."""
    from assistant.agent.ask import ask_stream
    from assistant.core.answer import AskContext
    from assistant.errors import InputError

    before = snapshot(settings)
    full = list(ask_stream("cost by team last month", AskContext(), settings))
    assert full[-1].type == "done"
    stream = ask_stream("top 5 namespaces last month", AskContext(), settings)
    assert next(stream).type == "tool_call"
    stream.close()  # abandoned after the first event
    with pytest.raises(InputError):
        ask_stream("", AskContext(), settings)
    after = snapshot(settings)
    assert after["warehouse"] == before["warehouse"]
    still_answers(settings)
