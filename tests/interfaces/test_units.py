"""Pure parts of the interfaces: token hashing, the rate limiter's arithmetic, Block Kit
formatting of a fixed Answer, the metrics exposition, and `penny token create`."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from assistant.cli import _load_commands
from assistant.cli.app import app
from assistant.config import load_settings
from assistant.core.answer import Answer, ToolCall, Usage
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.interfaces.auth import Unauthorized, authenticate, hash_token, team_of
from assistant.interfaces.metrics import Metrics
from assistant.interfaces.ratelimit import RateLimited, RateLimiter
from assistant.interfaces.slack_blocks import answer_blocks, bill_month, to_mrkdwn
from assistant.interfaces.sse import encode


def test_token_hash_is_sha256_hex_and_authentication_maps_user_and_scope() -> None:
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
    s = load_settings(
        server={
            "tokens": [
                {
                    "sha256": hash_token("tok"),
                    "user": "ann",
                    "scope": ["team:payments", "ns:checkout"],
                    "rate_per_minute": 5,
                }
            ]
        }
    )
    who = authenticate(s, "Bearer tok")
    assert (who.user, who.rate_per_minute, who.token_id) == ("ann", 5, hash_token("tok")[:12])
    assert (who.scope.teams, who.scope.namespaces, who.scope.admin) == (
        ["payments"],
        ["checkout"],
        False,
    )
    assert team_of(who.scope) == "payments"
    assert team_of(Scope.everything()) is None
    with pytest.raises(Unauthorized, match="Unknown or revoked token"):
        authenticate(s, "Bearer tok2")
    with pytest.raises(Unauthorized, match="not `Bearer <token>`"):
        authenticate(s, "Token tok")


def test_rate_limiter_bucket_arithmetic() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for _ in range(3):  # a full bucket of 3
        limiter.check("k", 3)
    with pytest.raises(RateLimited) as exc:
        limiter.check("k", 3)
    # refill 3/60 = 0.05 per second: one request after 1 / 0.05 = 20 s
    assert exc.value.context["retry_after_s"] == 20
    now[0] = 19.0
    with pytest.raises(RateLimited):
        limiter.check("k", 3)  # 19 × 0.05 = 0.95 < 1
    now[0] = 20.0
    limiter.check("k", 3)  # 20 × 0.05 = 1.0


@settings(max_examples=60, deadline=None)
@given(rate=st.integers(1, 120), gaps=st.lists(st.floats(0, 30), min_size=1, max_size=60))
def test_rate_limiter_never_admits_more_than_burst_plus_refill(
    rate: int, gaps: list[float]
) -> None:
    """Admitted requests over any run ≤ rate (the burst) + elapsed × rate / 60."""
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    admitted = 0
    for gap in gaps:
        now[0] += gap
        try:
            limiter.check("k", rate)
            admitted += 1
        except RateLimited:
            pass
    assert admitted <= rate + now[0] * rate / 60 + 1e-9


def _answer() -> Answer:
    prov = Provenance(
        tables=["allocations"],
        window={"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"},
        filters={"team": "payments"},
    )
    recs = {
        "recommendations": [
            {"workload": "shop/Deployment/api"},
            {"workload": "shop/Deployment/web"},
        ]
    }
    return Answer(
        thread_id="t",
        question="q",
        engine="llm",
        model="openai:gpt-4o",
        text="## Payments in 2026-10\n\nThe team **payments** cost **$1,334.56**.\n\n"
        "| workload | cost |\n|---|---:|\n| api | $1,234.56 |\n| db | $100.00 |\n\n"
        "- see [docs](https://example.com/x)",
        tool_calls=[
            ToolCall(name="rightsizing", result={"ok": True, "status": "success", "data": recs})
        ],
        provenance=[prov],
        usage=Usage(input_tokens=1000, output_tokens=200),
        cost=Decimal("0.0045"),
        duration_ms=812.4,
    )


def test_markdown_becomes_mrkdwn_and_a_preformatted_table() -> None:
    segments = to_mrkdwn(_answer().text)
    assert segments == [
        ("text", "*Payments in 2026-10*\n\nThe team *payments* cost *$1,334.56*."),
        ("table", "workload       cost\napi       $1,234.56\ndb          $100.00"),
        ("text", "• see <https://example.com/x|docs>"),
    ]


def test_answer_blocks_header_sections_buttons_and_context() -> None:
    text, blocks = answer_blocks(_answer())
    # the notification text is the blocks' mrkdwn, not the raw Markdown answer
    assert text.startswith("The team *payments* cost *$1,334.56*.")
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "section",
        "actions",
        "context",
    ]
    assert blocks[0]["text"]["text"] == "Payments in 2026-10"
    assert blocks[2]["text"]["text"] == (
        "```workload       cost\napi       $1,234.56\ndb          $100.00```"
    )
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in blocks[4]["elements"]] == [
        ("penny_draft_patch_0", "shop/Deployment/api", "Draft patch: api"),
        ("penny_draft_patch_1", "shop/Deployment/web", "Draft patch: web"),
    ]
    assert blocks[5]["elements"][0]["text"] == (
        "Sources: allocations · 2026-10-01..2026-11-01 · team=payments | openai:gpt-4o · "
        "1,200 tokens · AI cost $0.0045 · 812 ms"
    )


def test_bill_month_comes_from_an_ok_explain_bill_call() -> None:
    a = _answer()
    assert bill_month(a) is None
    a.tool_calls.append(
        ToolCall(
            name="explain_bill",
            result={"ok": True, "status": "success", "data": {"month": {"label": "2026-10"}}},
        )
    )
    assert bill_month(a) == "2026-10"


def test_sse_encoding_is_one_typed_message() -> None:
    from assistant.core.answer import Event

    assert (
        encode(Event(type="token", data={"text": "a\nb"}))
        == 'event: token\ndata: {"text":"a\\nb"}\n\n'
    )


def test_metrics_exposition_exact() -> None:
    m = Metrics()
    m.observe_request("POST", "/v1/chat", 200, 0.3)
    m.observe_answer(
        {"engine": "llm", "usage": {"input_tokens": 10, "output_tokens": 2}, "cost": "0.0045"},
        'a"b',
        "api",
    )
    m.observe_answer({"engine": "llm", "usage": {}, "cost": "0.0005"}, 'a"b', "api")
    text = m.render()
    assert 'penny_http_request_duration_seconds_bucket{route="/v1/chat",le="0.25"} 0' in text
    assert 'penny_http_request_duration_seconds_bucket{route="/v1/chat",le="0.5"} 1' in text
    assert 'penny_http_request_duration_seconds_sum{route="/v1/chat"} 0.3' in text
    assert 'penny_answers_total{channel="api",engine="llm",user="a\\"b"} 2' in text
    # 0.0045 + 0.0005 = 0.005, summed as Decimal
    assert 'penny_ai_cost_usd_total{user="a\\"b"} 0.005' in text.splitlines()


def test_token_create_prints_the_token_once_and_its_hash() -> None:
    _load_commands([])
    result = CliRunner().invoke(
        app, ["token", "create", "--user", "ann", "--scope", "team:payments", "--rate", "30"]
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"Token \(shown once, keep it secret\): (pny_\S+)", result.output)[1]
    assert (
        f'  - sha256: {hash_token(token)}\n    user: ann\n    scope: ["team:payments"]\n'
        "    rate_per_minute: 30" in result.output
    )
    bad = CliRunner().invoke(app, ["token", "create", "--user", "ann", "--scope", "payments"])
    assert bad.exit_code == 2 and "is not '*', team:NAME or ns:NAME" in bad.output
