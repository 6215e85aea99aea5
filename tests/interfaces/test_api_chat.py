"""POST /v1/chat on the demo warehouse: answers, streaming, threads, scope, audit, auth.

Expected dollars are computed here by an independent SQL sum over ``allocations``
(Σ total_cost of the team's workload rows in the month), not copied from Penny's output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.interfaces.ratelimit import RateLimiter
from assistant.warehouse.db import reader
from assistant.warehouse.ledger import read_ledger
from tests.interfaces.conftest import ADMIN_TOKEN, NOW, PAYMENTS_TOKEN, auth, team_month, tokens

pytestmark = pytest.mark.slow


def top_namespace(settings: Settings, month: str) -> str:
    with reader(settings) as con:
        (ns,) = con.execute(
            "SELECT namespace FROM allocations WHERE kind = 'workload' AND "
            "strftime(hour, '%Y-%m') = ? GROUP BY 1 ORDER BY sum(total_cost) DESC LIMIT 1",
            [month],
        ).fetchone()
    return str(ns)


def conversations(settings: Settings, question_id: str | None = None) -> list[tuple[Any, ...]]:
    sql = "SELECT question_id, user_id, channel, question, tool_calls, thread_id FROM conversations"
    if question_id is None:
        return read_ledger(settings, sql)
    return read_ledger(settings, sql + " WHERE question_id = ?", [question_id])


@pytest.fixture
def client(demo_settings: Settings) -> TestClient:
    return TestClient(create_app(demo_settings, engine="offline"))


def test_json_answer_has_engine_tools_provenance_and_the_warehouse_number(
    client: TestClient, demo_settings: Settings
) -> None:
    r = client.post(
        "/v1/chat",
        json={"message": "how much did team payments cost in October"},
        headers=auth(ADMIN_TOKEN),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    answer = body["answer"]
    assert body["ok"] is True
    assert answer["engine"] == "offline"
    assert [t["name"] for t in answer["tool_calls"]] == ["query_costs"]
    assert "allocations" in answer["provenance"][0]["tables"]
    assert answer["provenance"][0]["window"]["start"].startswith("2026-10-01")
    assert team_month(demo_settings, "payments", "2026-10") in answer["text"]
    assert answer["cost"] is None or Decimal(answer["cost"]) == 0  # offline: no model calls
    assert len(answer["thread_id"]) == 32  # a fresh thread


def test_thread_keeps_context_for_follow_ups(client: TestClient, demo_settings: Settings) -> None:
    first = client.post(
        "/v1/chat",
        json={"message": "how much did team payments cost in October", "thread_id": "t-follow"},
        headers=auth(ADMIN_TOKEN),
    ).json()["answer"]
    assert first["thread_id"] == "t-follow"
    second = client.post(
        "/v1/chat",
        json={"message": "and in September?", "thread_id": "t-follow"},
        headers=auth(ADMIN_TOKEN),
    ).json()["answer"]
    assert team_month(demo_settings, "payments", "2026-09") in second["text"]
    assert second["tool_calls"][0]["args"].get("filters", {}) == {
        "team": "payments"
    } or "payments" in json.dumps(second["tool_calls"][0]["args"])


def test_a_thread_is_private_to_its_token(client: TestClient, demo_settings: Settings) -> None:
    client.post(
        "/v1/chat",
        json={"message": "how much did team search cost in October", "thread_id": "shared-id"},
        headers=auth(ADMIN_TOKEN),
    )
    other = client.post(
        "/v1/chat",
        json={"message": "and in September?", "thread_id": "shared-id"},
        headers=auth(PAYMENTS_TOKEN),
    ).json()["answer"]
    # pat's "shared-id" is a different conversation, and pat may not see team search
    assert team_month(demo_settings, "search", "2026-09") not in other["text"]
    assert "search" not in json.dumps([t["args"] for t in other["tool_calls"]])


def test_scope_limits_what_a_team_token_sees(client: TestClient, demo_settings: Settings) -> None:
    biggest = top_namespace(demo_settings, "2026-10")
    assert biggest != "payments"
    ada = client.post(
        "/v1/chat", json={"message": "top 5 namespaces last month"}, headers=auth(ADMIN_TOKEN)
    ).json()["answer"]
    pat = client.post(
        "/v1/chat", json={"message": "top 5 namespaces last month"}, headers=auth(PAYMENTS_TOKEN)
    ).json()["answer"]
    assert f"| {biggest} |" in ada["text"]
    assert f"| {biggest} |" not in pat["text"]
    assert team_month(demo_settings, "payments", "2026-10") in pat["text"]


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_event_stream_is_typed_and_ends_with_done(
    client: TestClient, demo_settings: Settings
) -> None:
    with client.stream(
        "POST",
        "/v1/chat",
        json={"message": "how much did team payments cost in October", "thread_id": "s-1"},
        headers={**auth(ADMIN_TOKEN), "Accept": "text/event-stream"},
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _sse(r.read().decode())
    kinds = [k for k, _ in events]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "done"
    assert "token" in kinds
    assert events[0][1]["name"] == "query_costs" and events[1][1]["ok"] is True
    streamed = "".join(d["text"] for k, d in events if k == "token")
    done = events[-1][1]["answer"]
    assert streamed == done["text"]
    assert done["thread_id"] == "s-1"
    assert team_month(demo_settings, "payments", "2026-10") in streamed


def test_stream_reports_a_bad_question_as_an_error_event(demo_settings: Settings) -> None:
    settings = load_settings(
        home=demo_settings.home, now=NOW, server={"tokens": tokens(), "max_message_chars": 10}
    )
    c = TestClient(create_app(settings, engine="offline"))
    r = c.post(
        "/v1/chat",
        json={"message": "x" * 11},
        headers={**auth(ADMIN_TOKEN), "Accept": "text/event-stream"},
    )
    # the length check happens before streaming starts: a plain 400, one error shape
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_input"
    assert "11 characters; the limit is 10" in r.json()["error"]["message"]


@pytest.mark.parametrize("headers", [{}, auth("pny_wrong"), {"Authorization": "Basic abc"}])
def test_missing_or_wrong_token_is_401_and_nothing_is_answered(
    client: TestClient, demo_settings: Settings, headers: dict[str, str]
) -> None:
    before = len(conversations(demo_settings))
    r = client.post("/v1/chat", json={"message": "top 5 namespaces last month"}, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert set(body) == {"ok", "status", "error", "errors"}
    assert (body["ok"], body["status"], body["error"]["code"]) == (False, 401, "unauthorized")
    assert len(conversations(demo_settings)) == before


def test_no_configured_tokens_means_nobody_gets_in(demo_home: Any) -> None:
    c = TestClient(create_app(load_settings(home=demo_home, now=NOW), engine="offline"))
    r = c.get("/v1/costs", headers=auth(ADMIN_TOKEN))
    assert r.status_code == 401
    assert "penny token create" in r.json()["error"]["hint"]


def test_rate_limit_per_token_is_429_with_retry_after(demo_settings: Settings) -> None:
    clock = [1000.0]
    settings = load_settings(
        home=demo_settings.home, now=NOW, server={"tokens": tokens(admin_rate=2, payments_rate=600)}
    )
    c = TestClient(
        create_app(settings, engine="offline", limiter=RateLimiter(clock=lambda: clock[0]))
    )
    assert [c.get("/v1/me", headers=auth(ADMIN_TOKEN)).status_code for _ in range(2)] == [200, 200]
    r = c.get("/v1/me", headers=auth(ADMIN_TOKEN))
    # bucket of 2 refills at 2/60 per second: one request needs 1 / (2/60) = 30 s
    assert (r.status_code, r.headers["retry-after"]) == (429, "30")
    assert r.json()["error"]["code"] == "rate_limited"
    assert c.get("/v1/me", headers=auth(PAYMENTS_TOKEN)).status_code == 200  # per token
    clock[0] += 30
    assert c.get("/v1/me", headers=auth(ADMIN_TOKEN)).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"message": ""}, 422, "message"),
        ({"message": "   \n"}, 422, "message"),
        ({"message": 42}, 422, "message"),
        ({"message": ["top"]}, 422, "message"),
        ({}, 422, "message"),
        ({"message": "hi", "thread_id": "a b/../c"}, 422, "thread_id"),
        ({"message": "hi", "thread_id": 7}, 422, "thread_id"),
        ({"message": "hi", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(
    client: TestClient, demo_settings: Settings, body: dict[str, Any], status: int, field: str
) -> None:
    before = len(conversations(demo_settings))
    r = client.post("/v1/chat", json=body, headers=auth(ADMIN_TOKEN))
    assert r.status_code == status
    out = r.json()
    assert out["ok"] is False and out["status"] == status
    assert out["error"]["code"] == "invalid_input"
    assert [e["field"] for e in out["errors"]] == [field]
    assert field in out["error"]["message"]
    assert len(conversations(demo_settings)) == before


def test_not_json_and_oversize_bodies(client: TestClient, demo_settings: Settings) -> None:
    r = client.post(
        "/v1/chat",
        content=b"{not json",
        headers={**auth(ADMIN_TOKEN), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["message"].startswith("JSON decode")
    # limit = max_message_chars (4000) × 4 bytes + 4096 = 20,096 bytes
    big = json.dumps({"message": "x" * 20_100}).encode()
    r = client.post(
        "/v1/chat", content=big, headers={**auth(ADMIN_TOKEN), "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["error"]["message"] == (
        f"The request body is {len(big)} bytes; the limit is 20096."
    )


def test_audit_log_names_user_channel_tools_and_question_text_is_optional(
    demo_settings: Settings,
) -> None:
    for keep in (True, False):
        settings = load_settings(
            home=demo_settings.home, now=NOW, server={"tokens": tokens(), "audit_questions": keep}
        )
        c = TestClient(create_app(settings, engine="offline"))
        answer = c.post(
            "/v1/chat",
            json={"message": "how much did team payments cost in October", "thread_id": "audit"},
            headers={**auth(PAYMENTS_TOKEN), "X-Penny-Client": "web"},
        ).json()["answer"]
        ((_qid, user, channel, question, tools_json, thread),) = conversations(
            settings, answer["question_id"]
        )
        assert (user, channel, thread) == ("pat", "web", "pat/audit")
        assert [t["name"] for t in json.loads(tools_json)] == ["query_costs"]
        assert question == ("how much did team payments cost in October" if keep else None)


def test_openapi_describes_the_routes_and_the_chat_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/chat", "/v1/costs", "/v1/bill/{month}", "/healthz", "/metrics"} <= set(
        spec["paths"]
    )
    chat = spec["paths"]["/v1/chat"]["post"]
    assert set(chat["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    body = spec["components"]["schemas"]["ChatRequest"]
    assert body["required"] == ["message"]
    assert body["properties"]["thread_id"]["anyOf"][0]["pattern"] == r"^[A-Za-z0-9_.:-]{1,128}$"
    assert body["additionalProperties"] is False
    answer = spec["components"]["schemas"]["Answer"]
    assert {"engine", "tool_calls", "provenance", "cost", "usage"} <= set(answer["properties"])


def test_an_engine_failure_is_an_error_event_in_a_stream_and_a_500_in_json(
    demo_settings: Settings,
) -> None:
    c = TestClient(create_app(demo_settings, engine="llm"))  # no model configured
    with c.stream(
        "POST",
        "/v1/chat",
        json={"message": "top 5 namespaces last month"},
        headers={**auth(ADMIN_TOKEN), "Accept": "text/event-stream"},
    ) as r:
        events = _sse(r.read().decode())
    assert r.status_code == 200  # the stream had started
    assert [k for k, _ in events] == ["error"]
    assert events[0][1]["code"] == "config_error"
    assert events[0][1]["message"] == "--engine llm needs a model."
    r = c.post(
        "/v1/chat", json={"message": "top 5 namespaces last month"}, headers=auth(ADMIN_TOKEN)
    )
    assert r.status_code == 500
    assert r.json()["error"]["hint"] == "Set PENNY_MODEL=provider:model (e.g. openai:gpt-4o-mini)."


def test_a_chunked_oversize_body_is_413_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"message": "'
        for _ in range(30):
            yield b"x" * 1000
        yield b'"}'

    r = client.post(
        "/v1/chat",
        content=chunks(),
        headers={**auth(ADMIN_TOKEN), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body is over 20096 bytes, the limit.",
        "request_id": r.headers["X-Request-Id"],
    }
