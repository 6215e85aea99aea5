"""Prometheus sync against a real Prometheus (backfilled with promtool): up to the last
complete hour, incremental from the watermark, gaps skipped; basic auth through a loopback
proxy that demands it in front of the real server."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import load_settings
from assistant.demo.prometheus_server import PrometheusServer, backfill
from assistant.sync.run import sync
from assistant.sync.state import load_state
from assistant.warehouse.db import reader
from tests.conftest import require_binary
from tests.ingest.metrics.cluster_file import T0, write

pytestmark = pytest.mark.prometheus


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("prometheus")
    require_binary("promtool")
    tmp = tmp_path_factory.mktemp("prom-sync")
    backfill(write(tmp / "cluster.om"), tmp / "tsdb")
    server = PrometheusServer(tmp / "tsdb")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _source(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "real",
        "cluster": "real",
        "url": url,
        "backfill_hours": 1,
        "chunk_hours": 1,
        **extra,
    }


def _hours() -> list[object]:
    with reader(load_settings()) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT hour FROM container_hours WHERE cluster = 'real' ORDER BY 1"
            ).fetchall()
        ]


def test_sync_reads_to_the_last_complete_hour_then_only_what_is_new(prometheus: str) -> None:
    s = load_settings(sync={"prometheus": [_source(prometheus)]})
    # 11:40: the last complete hour is 10:00–11:00; backfill_hours=1 starts there
    first = sync(s, T0 + timedelta(hours=1, minutes=40))
    (out,) = first.sources
    assert (out.ok, out.steps, out.gaps) == (True, 1, 0)
    assert _hours() == [T0]
    assert load_state(s, "real", "prometheus").watermark == T0 + timedelta(hours=1)
    assert first.allocated == [(T0, T0 + timedelta(hours=1))]
    # an hour later only 11:00–12:00 is fetched
    second = sync(s, T0 + timedelta(hours=2, minutes=5))
    assert (second.sources[0].steps, second.sources[0].gaps) == (1, 0)
    assert _hours() == [T0, T0 + timedelta(hours=1)]
    assert second.allocated == [(T0 + timedelta(hours=1), T0 + timedelta(hours=2))]
    # and in the same hour again: nothing to do
    third = sync(s, T0 + timedelta(hours=2, minutes=50))
    assert third.sources[0].steps == 0 and third.allocated == []


class _BasicAuthProxy:
    """Forwards GETs to Prometheus only with the right Basic credentials (else 401)."""

    def __init__(self, upstream: str, user: str, password: str) -> None:
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.seen.append(self.headers.get("authorization"))
                if self.headers.get("authorization") != expected:
                    self.send_response(401)
                    self.send_header("www-authenticate", 'Basic realm="prometheus"')
                    self.end_headers()
                    return
                r = httpx.get(upstream + self.path, timeout=60)
                self.send_response(r.status_code)
                self.send_header("content-type", r.headers.get("content-type", "text/plain"))
                self.send_header("content-length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

        self.seen: list[str | None] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_hours_without_metrics_are_passed_not_retried_forever(prometheus: str) -> None:
    """An outage (nothing scraped) must not stop the sync at that hour for good."""
    s = load_settings(sync={"prometheus": [_source(prometheus, backfill_hours=3)]})
    # 08:20: 05:00–08:00, three complete hours, all before the data (10:00–12:00)
    gap = sync(s, T0 - timedelta(hours=1, minutes=40))
    (out,) = gap.sources
    assert (out.ok, out.steps, out.gaps) == (True, 0, 3)
    assert "3 without metrics" in out.detail
    assert load_state(s, "real", "prometheus").watermark == T0 - timedelta(hours=2)
    assert gap.allocated == []


def test_basic_auth_is_sent_and_a_wrong_password_is_recorded(
    prometheus: str, tmp_path: Path
) -> None:
    proxy = _BasicAuthProxy(prometheus, "penny", "s3cret")
    try:
        wrong = load_settings(
            sync={"prometheus": [_source(proxy.url, basic_user="penny", basic_password="nope")]}
        )
        bad = sync(wrong, T0 + timedelta(hours=1, minutes=5))
        assert not bad.ok and "refused the request (HTTP 401)" in (bad.sources[0].error or "")
        assert load_state(wrong, "real", "prometheus").watermark is None
        right = load_settings(
            sync={"prometheus": [_source(proxy.url, basic_user="penny", basic_password="s3cret")]}
        )
        good = sync(right, T0 + timedelta(hours=1, minutes=5))
        assert good.ok and good.sources[0].steps == 1
        assert _hours() == [T0]
        assert load_state(right, "real", "prometheus").last_error is None
    finally:
        proxy.close()
