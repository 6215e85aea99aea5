"""The LLM engine against a local server speaking Anthropic's Messages protocol.

The real ``anthropic`` SDK (through LangChain) talks HTTP to ``tests.fakes.AnthropicServer``.
Anthropic's wire ``input_tokens`` EXCLUDE cache reads and cache writes, so the total
prompt is input + cache_read + cache_creation. Prices (prices.toml, claude-haiku-4-5):
$1.00 input, $0.10 cache read, $1.25 cache write, $5.00 output per million tokens.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.agent.ask import ask, ask_stream
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.errors import SourceAuthError
from assistant.warehouse.ledger import read_ledger
from tests.fakes import AnthropicServer, Reply, ToolUse

QUESTION = "How much did search cost in 2026-10?"
FINAL = "search cost $99.99 in 2026-10 (namespace_month_cost over test_costs)."


def _script() -> list[Reply]:
    return [
        Reply(
            tool_calls=[
                ToolUse("namespace_month_cost", {"namespace": "search", "month": "2026-10"})
            ],
            input_tokens=2_000,
            cached_tokens=50_000,
            cache_write_tokens=10_000,
            output_tokens=1_000,
        ),
        Reply(text=FINAL, input_tokens=3_000, cached_tokens=60_000, output_tokens=2_000),
    ]


# call 1 = (2,000×1.00 + 50,000×0.10 + 10,000×1.25 + 1,000×5.00) / 1e6
#        = (2,000 + 5,000 + 12,500 + 5,000) / 1e6 = 0.0245
CALL1 = Decimal("0.0245")
# call 2 = (3,000×1.00 + 60,000×0.10 + 0 + 2,000×5.00) / 1e6 = (3,000+6,000+10,000)/1e6
CALL2 = Decimal("0.019")


@pytest.fixture
def anthropic_env(monkeypatch: pytest.MonkeyPatch, warehouse: Settings, cost_tool: str):
    server = AnthropicServer(_script())
    server.start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    monkeypatch.setenv("PENNY_MODEL", "anthropic:claude-haiku-4-5")
    yield server
    server.stop()


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
def test_tool_use_then_answer_priced_to_the_cent(
    anthropic_env: AnthropicServer, streaming: bool
) -> None:
    settings = load_settings()
    ctx = AskContext(user="cy", channel="slack", thread_id=f"a-{streaming}", team="search")
    if streaming:
        events = list(ask_stream(QUESTION, ctx, settings, engine="llm"))
        assert events[0].type == "tool_call"
        assert events[0].data["args"] == {"namespace": "search", "month": "2026-10"}
        assert "".join(e.data["text"] for e in events if e.type == "token") == FINAL
        assert events[-1].type == "done"
        answer_text = events[-1].data["answer"]["text"]
        cost = Decimal(events[-1].data["answer"]["cost"])
        calls = events[-1].data["answer"]["tool_calls"]
    else:
        answer = ask(QUESTION, ctx, settings, engine="llm")
        answer_text, cost = answer.text, answer.cost
        calls = [c.model_dump(mode="json") for c in answer.tool_calls]
    bodies = anthropic_env.bodies()
    assert all(bool(b.get("stream")) is streaming for b in bodies)
    assert "namespace_month_cost" in [t["name"] for t in bodies[0]["tools"]]
    assert "Every number in your answer must come from a tool result" in str(bodies[0]["system"])
    assert [c["name"] for c in calls] == ["namespace_month_cost"]
    assert calls[0]["args"] == {"namespace": "search", "month": "2026-10"}
    # The tool_result block sent back to the model carries the fixture number 99.99
    results = [
        blk
        for m in bodies[1]["messages"]
        if isinstance(m["content"], list)
        for blk in m["content"]
        if blk.get("type") == "tool_result"
    ]
    assert len(results) == 1 and "99.99" in str(results[0]["content"])
    assert "$99.99" in answer_text
    assert cost == CALL1 + CALL2 == Decimal("0.0435")

    rows = read_ledger(
        settings,
        "SELECT provider, model, user_id, channel, team, input_tokens,"
        " cached_input_tokens, cache_write_tokens, output_tokens, cost"
        " FROM ai_usage ORDER BY ts, request_id",
    )
    assert [r[:5] for r in rows] == [
        ("anthropic", "claude-haiku-4-5-20251001", "cy", "slack", "search")
    ] * 2
    # stored input = total prompt: 2,000 + 50,000 + 10,000 = 62,000; 3,000 + 60,000 = 63,000
    assert [r[5:9] for r in rows] == [(62_000, 50_000, 10_000, 1_000), (63_000, 60_000, 0, 2_000)]
    assert [r[9] for r in rows] == [CALL1, CALL2]


def test_401_is_an_auth_error(anthropic_env: AnthropicServer) -> None:
    anthropic_env.replies[:] = [Reply(status=401, error_message="invalid x-api-key")]
    with pytest.raises(SourceAuthError) as info:
        ask(QUESTION, AskContext(), load_settings(), engine="llm")
    assert anthropic_env.base_url in info.value.message
    assert info.value.context["status"] == 401


def test_transient_overload_is_retried(anthropic_env: AnthropicServer) -> None:
    """A 529 'overloaded' answer is retried by ModelRetryMiddleware, then succeeds."""
    anthropic_env.replies.insert(0, Reply(status=529, error_message="Overloaded"))
    answer = ask(QUESTION, AskContext(), load_settings(), engine="llm")
    assert len(anthropic_env.requests) == 3  # 529, tool call, final answer
    assert answer.cost == Decimal("0.0435")  # the failed attempt cost nothing
