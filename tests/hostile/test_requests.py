"""Malformed requests on every route: a 4xx with one error shape (code, message, request
id), nothing private in the body, the security headers on, and nothing stored changed.

The failed class: a message holding a lone surrogate and ``compare=9999-12`` gave 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.interfaces.api import create_app
from tests.hostile.conftest import ADMIN, TEAM, auth, leaks, snapshot, still_answers

A = auth(ADMIN)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, engine="offline"), raise_server_exceptions=False)


# (method, path, headers, body bytes or None, expected status, words in the message)
Req = tuple[str, str, dict[str, str], bytes | None, int, str]


def _chat(
    raw: str, headers: dict[str, str] | None = None, status: int = 400, says: str = ""
) -> Req:
    return ("POST", "/v1/chat", {**A, **JSON, **(headers or {})}, raw.encode(), status, says)


SSE = {"Accept": "text/event-stream"}

CASES: dict[str, Req] = {
    # -- the failed class ----------------------------------------------------------------
    "chat_lone_high_surrogate": _chat('{"message": "\\ud800"}', status=422, says="unicode"),
    "chat_lone_low_surrogate": _chat('{"message": "cost \\udc00 now"}', status=422, says="unicode"),
    "chat_lone_surrogate_sse": _chat('{"message": "\\ud800"}', SSE, status=422, says="unicode"),
    "chat_surrogate_in_thread_id": _chat(
        '{"message": "hi", "thread_id": "\\ud800"}', status=422, says="thread_id"
    ),
    "bill_compare_9999_12": ("GET", "/v1/bill/2026-11?compare=9999-12", A, None, 400, "9999-12"),
    "bill_month_9999_12": ("GET", "/v1/bill/9999-12", A, None, 400, "outside"),
    "bill_month_0000_01": ("GET", "/v1/bill/0000-01", A, None, 400, "outside"),
    "bill_compare_1999_12": ("GET", "/v1/bill/2026-11?compare=1999-12", A, None, 400, "outside"),
    "costs_window_9999_12": ("GET", "/v1/costs?window=9999-12", A, None, 400, "outside"),
    "costs_window_9999w": ("GET", "/v1/costs?window=9999w", A, None, 400, "reaches back"),
    "costs_window_year_1": (
        "GET",
        "/v1/costs?window=0001-01-01..0001-02-01",
        A,
        None,
        400,
        "outside",
    ),
    "chart_month_9999_12": (
        "GET",
        "/v1/bill/9999-12/charts/waterfall.svg",
        A,
        None,
        400,
        "outside",
    ),
    # -- chat bodies (held) ---------------------------------------------------------------
    "chat_nul_character": _chat('{"message": "top\\u0000 5"}', says="NUL"),
    "chat_empty": _chat('{"message": ""}', status=422, says="message"),
    "chat_blank": _chat('{"message": "   "}', status=422, says="blank"),
    "chat_not_a_string": _chat('{"message": 5}', status=422, says="message"),
    "chat_null": _chat('{"message": null}', status=422, says="message"),
    "chat_list": _chat('{"message": ["a"]}', status=422, says="message"),
    "chat_extra_field": _chat('{"message": "hi", "admin": true}', status=422, says="admin"),
    "chat_thread_id_slashes": _chat(
        '{"message": "hi", "thread_id": "../../etc"}', status=422, says="thread_id"
    ),
    "chat_thread_id_too_long": _chat(
        json.dumps({"message": "hi", "thread_id": "t" * 200}), status=422, says="thread_id"
    ),
    "chat_too_long": _chat(json.dumps({"message": "x" * 25_000}), status=413, says="limit"),
    "chat_body_array": _chat('["message"]', status=422, says="Invalid request"),
    "chat_body_not_json": _chat("message=hi", status=422, says="JSON"),
    "chat_body_truncated": _chat('{"message": "hi', status=422, says="JSON"),
    "chat_body_invalid_utf8": (
        "POST",
        "/v1/chat",
        {**A, **JSON},
        b'{"message": "\xff\xfe"}',
        400,
        "parsing the body",
    ),
    "chat_body_empty": ("POST", "/v1/chat", {**A, **JSON}, b"", 422, "Invalid request"),
    "chat_content_length_not_a_number": (
        "POST",
        "/v1/chat",
        {**A, **JSON, "Content-Length": "12abc"},
        b'{"message": "hi"}',
        413,
        "limit",
    ),
    # -- costs parameters (held) ----------------------------------------------------------
    "costs_window_empty": ("GET", "/v1/costs?window=", A, None, 400, "window"),
    "costs_window_words": ("GET", "/v1/costs?window=<script>", A, None, 400, "Cannot read"),
    "costs_window_month_13": ("GET", "/v1/costs?window=2026-13", A, None, 400, "not 1..12"),
    "costs_window_reversed": (
        "GET",
        "/v1/costs?window=2026-10-05..2026-10-01",
        A,
        None,
        400,
        "not after start",
    ),
    "costs_window_invalid_utf8": ("GET", "/v1/costs?window=%FF%FE", A, None, 400, "Cannot read"),
    "costs_window_surrogate_bytes": (
        "GET",
        "/v1/costs?window=%ED%A0%80",
        A,
        None,
        400,
        "Cannot read",
    ),
    "costs_by_unknown": ("GET", "/v1/costs?by=planet", A, None, 400, "planet"),
    "costs_by_label_without_key": ("GET", "/v1/costs?by=label:", A, None, 400, "label"),
    "costs_filter_without_value": ("GET", "/v1/costs?filter=team", A, None, 400, "KEY=VALUE"),
    "costs_filter_empty_key": ("GET", "/v1/costs?filter==x", A, None, 400, "KEY=VALUE"),
    "costs_filter_unknown_name": (
        "GET",
        "/v1/costs?window=2026-10&filter=team=%3C!channel%3E",
        A,
        None,
        404,
        "No team named",
    ),
    "costs_top_zero": ("GET", "/v1/costs?top=0", A, None, 422, "top"),
    "costs_top_negative": ("GET", "/v1/costs?top=-1", A, None, 422, "top"),
    "costs_top_huge": ("GET", "/v1/costs?top=99999", A, None, 422, "top"),
    "costs_top_words": ("GET", "/v1/costs?top=five", A, None, 422, "top"),
    "costs_basis_unknown": ("GET", "/v1/costs?basis=cash", A, None, 422, "basis"),
    "costs_format_xml": ("GET", "/v1/costs?format=xml", A, None, 422, "format"),
    "costs_share_idle_maybe": ("GET", "/v1/costs?share_idle=maybe", A, None, 422, "share_idle"),
    # -- bill and charts (held) -----------------------------------------------------------
    "bill_month_words": ("GET", "/v1/bill/october", A, None, 400, "Cannot read"),
    "bill_month_13": ("GET", "/v1/bill/2026-13", A, None, 400, "not 1..12"),
    "bill_month_a_range": ("GET", "/v1/bill/7d", A, None, 400, "not a calendar month"),
    "bill_month_in_the_future": ("GET", "/v1/bill/2030-01", A, None, 400, "has not started"),
    "bill_compare_words": ("GET", "/v1/bill/2026-10?compare=last", A, None, 400, "Cannot read"),
    "bill_format_pdf": ("GET", "/v1/bill/2026-10?format=pdf", A, None, 422, "format"),
    "chart_name_traversal": (
        "GET",
        "/v1/bill/2026-10/charts/..%2F..%2Fetc%2Fpasswd",
        A,
        None,
        404,
        "",
    ),
    "chart_name_unknown": ("GET", "/v1/bill/2026-10/charts/pie.svg", A, None, 400, "No chart"),
    "chart_name_exe": ("GET", "/v1/bill/2026-10/charts/waterfall.exe", A, None, 400, "No chart"),
    # -- authentication (held) ------------------------------------------------------------
    "no_token": ("GET", "/v1/me", {}, None, 401, "token"),
    "bearer_without_token": ("GET", "/v1/me", {"Authorization": "Bearer"}, None, 401, "token"),
    "wrong_token": ("GET", "/v1/me", auth("pny_wrong"), None, 401, "token"),
    "basic_auth": ("GET", "/v1/me", {"Authorization": "Basic YTpi"}, None, 401, "token"),
    "token_10k_long": ("GET", "/v1/me", auth("x" * 10_000), None, 401, "token"),
    "chat_without_token": ("POST", "/v1/chat", JSON, b'{"message": "hi"}', 401, "token"),
    # -- routes and methods (held) --------------------------------------------------------
    "unknown_route": ("GET", "/v1/nothing-here", A, None, 404, "Not Found"),
    "wrong_method": ("DELETE", "/v1/chat", A, None, 405, "Method Not Allowed"),
    "static_traversal": ("GET", "/static/..%2F..%2Fapi.py", {}, None, 404, ""),
    "static_missing": ("GET", "/static/nope.js", {}, None, 404, ""),
}


def _send(client: TestClient, req: Req) -> Any:
    method, path, headers, body, _, _ = req
    return client.request(method, path, headers=headers, content=body)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_request_is_a_clear_4xx_that_changes_nothing(
    name: str, client: TestClient, settings: Settings
) -> None:
    req = CASES[name]
    status, says = req[4], req[5]
    before = snapshot(settings)
    r = _send(client, req)
    assert r.status_code == status, r.text
    assert 400 <= r.status_code < 500
    body = r.json()
    assert body["ok"] is False and body["status"] == status
    error = body["error"]
    assert error["code"] and error["message"]
    assert error["request_id"] == r.headers["X-Request-Id"]
    assert says.lower() in error["message"].lower(), error
    assert "context" not in error  # the details are for the server log
    assert leaks(r.text, settings) == [], r.text
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert snapshot(settings) == before
    still_answers(settings)


def test_a_token_that_is_not_ascii_is_a_401(client: TestClient, settings: Settings) -> None:
    before = snapshot(settings)
    r = client.get(
        "/v1/me",
        headers=[(b"authorization", "Bearer p\u00f1y\udcff".encode("utf-8", "surrogateescape"))],
    )
    assert r.status_code == 401 and r.json()["error"]["request_id"]
    assert snapshot(settings) == before


def test_a_scoped_token_asking_for_another_teams_numbers_gets_none(client: TestClient) -> None:
    r = client.get("/v1/costs?window=2026-10&filter=team=search", headers=auth(TEAM))
    assert r.status_code == 404
    assert "search" in r.json()["error"]["message"] and "$" not in r.text
    r = client.get("/v1/costs?window=2026-10&by=team", headers=auth(TEAM))
    assert r.status_code == 200
    assert {row["name"] for row in r.json()["rows"]} == {"payments"}
