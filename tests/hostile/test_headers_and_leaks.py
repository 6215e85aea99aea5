"""What the HTTP surface tells a client, and what it keeps: security headers on the page
and the API; error bodies with a code, a message and a request id but no local path,
interpreter path or process id (those go to the server log, under the same id).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from tests.hostile.conftest import ADMIN, NOW, auth, leaks, tokens

A = auth(ADMIN)


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, engine="offline"), raise_server_exceptions=False)


def test_the_chat_page_may_run_only_its_own_code(settings: Settings) -> None:
    r = _client(settings).get("/")
    assert r.status_code == 200
    csp = r.headers["Content-Security-Policy"]
    for rule in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ):
        assert rule in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    # the page keeps to its policy: no inline script or style to be blocked
    assert "<script>" not in r.text and "style=" not in r.text and "onclick" not in r.text
    js = _client(settings).get("/static/app.js")
    assert js.headers["Content-Security-Policy"] == csp
    assert js.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/v1/me", "/healthz", "/metrics", "/v1/costs?window=2026-10"])
def test_api_responses_are_data_that_no_browser_may_render_or_cache(
    settings: Settings, path: str
) -> None:
    r = _client(settings).get(path, headers=A)
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"
    assert len(r.headers["X-Request-Id"]) == 16


def test_a_missing_warehouse_is_reported_without_its_path(penny_env: Path) -> None:
    settings = load_settings(now=NOW, server={"tokens": tokens()})
    assert not settings.db_path.exists()
    c = _client(settings)
    for path in ("/v1/costs?window=2026-10", "/v1/bill/2026-10"):
        r = c.get(path, headers=A)
        assert r.status_code == 404
        assert r.json()["error"]["message"] == "There is no cost data yet (no warehouse)."
        assert leaks(r.text, settings) == []
    r = c.post("/v1/chat", json={"message": "top 5 namespaces last month"}, headers=A)
    assert r.status_code == 200
    assert leaks(r.text, settings) == [], r.text
    assert "no warehouse" in r.json()["answer"]["text"]
    assert c.get("/healthz").json()["warehouse"] is False


def test_a_busy_warehouse_error_shows_no_path_interpreter_or_pid(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the warehouse's writer of a copy with no published snapshot
    yet, so readers must wait for the live file: after warehouse_wait_s the API says the
    warehouse is busy, with DuckDB's error (the file, the holder's interpreter and PID)
    only in the server log. A second writer gives up the same way; what a client would be
    shown of it — the one public rendering the HTTP API, the SSE stream and Slack share —
    has none of them either."""
    from assistant.errors import SourceUnavailable
    from assistant.interfaces.errors import public_error
    from assistant.warehouse.db import writer

    home = tmp_path / "locked"
    home.mkdir()
    shutil.copyfile(settings.db_path, home / "penny.duckdb")
    monkeypatch.setenv("PENNY_WAREHOUSE_WAIT_S", "0.5")
    locked = load_settings(home=home, now=NOW, server={"tokens": tokens()})
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(60)",
            str(locked.db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = _client(locked).get("/v1/costs?window=2026-10", headers=A)
        with pytest.raises(SourceUnavailable) as info, writer(locked):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert r.status_code == 502
    assert r.json()["error"]["message"].startswith("The warehouse $PENNY_DB stayed busy")
    assert leaks(r.text, locked) == [] and str(holder.pid) not in r.text
    err = info.value
    assert str(holder.pid) in str(err.context["detail"]) + err.context["holder"]
    shown = public_error(err.to_dict(), "rid", locked)
    text = json.dumps(shown)
    assert shown["message"] == (
        "The warehouse $PENNY_DB stayed busy for 0.5 s (another Penny process is writing it)."
    )
    assert leaks(text, locked) == [] and str(holder.pid) not in text


def test_a_bug_is_a_500_with_a_request_id_and_no_exception_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A warehouse file with no tables: the cost query fails in a way nobody planned for."""
    import duckdb

    home = tmp_path / "empty"
    home.mkdir()
    duckdb.connect(str(home / "penny.duckdb")).close()
    settings = load_settings(home=home, now=NOW, server={"tokens": tokens()})
    with caplog.at_level(logging.ERROR, logger="assistant.interfaces.errors"):
        r = _client(settings).get("/v1/costs?window=2026-10", headers=A)
    assert r.status_code == 500
    error = r.json()["error"]
    rid = error["request_id"]
    assert error == {
        "code": "internal_error",
        "message": f"Penny hit an internal error (request {rid}).",
        "hint": "Retry; if it happens again, give the request id to your Penny operator "
        "(the server log has the details).",
        "request_id": rid,
    }
    assert "Catalog" not in r.text and leaks(r.text, settings) == []
    traced = [rec for rec in caplog.records if rid in rec.getMessage()]
    assert traced and traced[0].exc_info is not None  # the traceback is in the log


def test_each_request_gets_its_own_id(settings: Settings) -> None:
    c = _client(settings)
    ids = {c.get("/v1/me").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    started = time.perf_counter()
    assert all(len(i) == 16 for i in ids) and time.perf_counter() - started < 5
