"""`penny sync` against real protocol servers on loopback: the OpenAI and Anthropic admin
cost APIs (tests/fakes/admin_costs_server.py) and S3 (moto in server mode).

Incremental by watermark, restated periods replaced (never added), one source's failure
recorded without stopping the others, and a sync killed half-way resumed to the same end
state as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.interfaces.auth import hash_token
from assistant.sync.run import sync
from assistant.sync.state import load_state, pending_windows
from assistant.warehouse.ledger import read_ledger
from tests.fakes.admin_costs_server import AdminCostsServer
from tests.ingest.focus.focus_rows import stored
from tests.ingest.focus.test_focus_layouts import aws_export
from tests.object_stores import Bucket

KEY = "sk-admin-test"


def _settings(**sync: object) -> Settings:
    return load_settings(sync=sync)


def _ai_total(source: str) -> tuple[int, Decimal | None]:
    rows = read_ledger(
        load_settings(),
        "SELECT count(*), decimal_sum(cost) FROM ai_usage WHERE source = ?",
        [source],
    )
    n, total = rows[0]
    return int(n), None if total is None else Decimal(total)


def test_openai_admin_api_incremental_with_restated_days() -> None:
    with AdminCostsServer("openai", KEY, page_size=2) as api:
        for d in range(1, 11):
            api.costs[date(2026, 11, d)] = [("proj_a", "gpt-4o, input", Decimal("1.10"))]
        s = _settings(
            ai=[
                {
                    "name": "oai",
                    "provider": "openai",
                    "admin_key": KEY,
                    "base_url": api.url,
                    "backfill_days": 5,
                }
            ]
        )
        first = sync(s, datetime(2026, 11, 10, 12, 30))
        assert first.ok
        # whole days 11-05..11-09 (5 days; today is not complete): 3 pages of 2, 2, 1 days
        assert len(api.requests) == 3
        assert _ai_total("openai-import") == (5, Decimal("5.50"))  # 5 × 1.10, exactly
        assert load_state(s, "oai", "ai").watermark == datetime(2026, 11, 10)
        # OpenAI restates 11-09; a day later the sync pulls 11-08..11-10 again (restate_days=2)
        api.costs[date(2026, 11, 9)] = [("proj_a", "gpt-4o, input", Decimal("2.00"))]
        api.requests.clear()
        assert sync(s, datetime(2026, 11, 11, 0, 5)).ok
        assert api.requests[0]["start_time"] == [
            str(int(datetime(2026, 11, 8, tzinfo=UTC).timestamp()))
        ]
        # 11-05..11-10 = 6 days; 11-09 now 2.00: 5 × 1.10 + 2.00 = 7.50
        assert _ai_total("openai-import") == (6, Decimal("7.50"))


def test_anthropic_cost_report_in_cents_and_a_bad_key_is_recorded() -> None:
    with AdminCostsServer("anthropic", KEY) as api:
        api.costs[date(2026, 11, 3)] = [("wrkspc_1", "Claude Sonnet 4 usage", Decimal("0.25"))]
        good = {
            "name": "ant",
            "provider": "anthropic",
            "admin_key": KEY,
            "base_url": api.url,
            "backfill_days": 3,
        }
        bad = {**good, "name": "ant-bad", "admin_key": "sk-wrong"}
        s = _settings(ai=[bad, good])
        report = sync(s, datetime(2026, 11, 4, 9))
        assert [(o.source, o.ok) for o in report.sources] == [("ant-bad", False), ("ant", True)]
        assert "refused the key" in (report.sources[0].error or "")
        # "25" cents → $0.25
        assert _ai_total("anthropic-import") == (1, Decimal("0.25"))
        bad_state = load_state(s, "ant-bad", "ai")
        assert bad_state.watermark is None and bad_state.last_success_at is None
        assert "refused the key" in (bad_state.last_error or "")


def test_bill_export_synced_by_manifest_version_and_allocated(
    s3_bucket: Bucket, tmp_path: Path
) -> None:
    aws_export(tmp_path)
    url = s3_bucket.upload(tmp_path, "exports")
    s = _settings(bills=[{"name": "aws", "url": url}])
    first = sync(s, datetime(2026, 11, 2, 6))
    assert first.ok and first.sources[0].steps == 1
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("2.00"),)]
    # the bill's hours were allocated, and nothing is left pending
    assert first.allocated == [(datetime(2026, 10, 5), datetime(2026, 10, 5, 1))]
    assert pending_windows(s) == []
    assert stored("SELECT count(*) FROM allocation_hours") == [(1,)]  # the one bill hour
    again = sync(s, datetime(2026, 11, 2, 7))
    assert (again.sources[0].steps, again.sources[0].skipped) == (0, 1)
    assert again.allocated == []


def _config(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "penny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_sync_killed_half_way_resumes_where_it_stopped(
    s3_bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_export(tmp_path / "bill")
    url = s3_bucket.upload(tmp_path / "bill", "exports")
    with AdminCostsServer("openai", KEY) as api:
        # the CLI syncs at the real time: its AI window is the last 2 whole days before today
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        api.costs[yesterday] = [("proj_a", "gpt-4o, output", Decimal("3.30"))]
        config = _config(
            tmp_path,
            {
                "sync": {
                    "bills": [{"name": "aws", "url": url}],
                    "ai": [
                        {
                            "name": "oai",
                            "provider": "openai",
                            "admin_key": KEY,
                            "base_url": api.url,
                            "backfill_days": 2,
                        }
                    ],
                }
            },
        )
        monkeypatch.setenv("PENNY_CONFIG", str(config))
        api.hold = threading.Event()  # the AI pull hangs until the test lets it go
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "sync"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
        try:
            assert api.arrived.wait(120), "the sync never reached the AI source"
            proc.send_signal(signal.SIGKILL)  # killed mid-way: bill done, AI mid-request
            proc.wait(30)
        finally:
            proc.kill()
        s = load_settings()
        assert load_state(s, "aws", "bill").versions  # the bill step was recorded
        assert load_state(s, "oai", "ai").watermark is None  # the AI step was not
        assert pending_windows(s) == [(datetime(2026, 10, 5), datetime(2026, 10, 5, 1))]
        assert _ai_total("openai-import") == (0, None)
        api.hold.set()
        resumed = sync(s, datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    assert [(o.source, o.ok, o.steps, o.skipped) for o in resumed.sources] == [
        ("aws", True, 0, 1),  # not ingested again: its manifest did not change
        ("oai", True, 1, 0),
    ]
    assert resumed.allocated == [(datetime(2026, 10, 5), datetime(2026, 10, 5, 1))]
    assert pending_windows(s) == []
    # the end state of one uninterrupted sync: bill 2.00 once, AI 3.30 once
    assert stored("SELECT sum(billed_cost), count(*) FROM billing_lines") == [(Decimal("2.00"), 2)]
    assert _ai_total("openai-import") == (1, Decimal("3.30"))


def test_status_and_metrics_show_each_source(tmp_path: Path) -> None:
    token = "pny_status_test"
    with AdminCostsServer("openai", KEY) as api:
        api.costs[date(2026, 11, 1)] = [("p", "x", Decimal("1"))]
        s = load_settings(
            server={"tokens": [{"sha256": hash_token(token), "user": "ops"}]},
            sync={
                "ai": [
                    {
                        "name": "oai",
                        "provider": "openai",
                        "admin_key": KEY,
                        "base_url": api.url,
                        "backfill_days": 1,
                    },
                    {
                        "name": "down",
                        "provider": "openai",
                        "admin_key": KEY,
                        "base_url": "http://127.0.0.1:9",
                        "backfill_days": 1,
                    },
                ]
            },
        )
        sync(s, datetime(2026, 11, 2, 3))
    client = TestClient(create_app(s))
    assert client.get("/v1/status").status_code == 401
    body = client.get("/v1/status", headers={"Authorization": f"Bearer {token}"}).json()
    by = {x["source"]: x for x in body["sources"]}
    assert by["oai"]["watermark"] == "2026-11-02T00:00:00Z"
    assert by["oai"]["last_error"] is None and by["oai"]["last_success_at"]
    assert by["down"]["last_success_at"] is None
    assert "Cannot reach the openai admin API" in by["down"]["last_error"]
    metrics = client.get("/metrics").text
    assert 'penny_sync_error{source="down"} 1' in metrics
    assert 'penny_sync_error{source="oai"} 0' in metrics
    assert 'penny_sync_lag_seconds{source="oai"}' in metrics
    assert json.dumps(body)  # JSON-safe
