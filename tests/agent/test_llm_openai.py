"""The LLM engine against a local server speaking OpenAI's Chat Completions protocol.

The real ``openai`` SDK (through LangChain) talks HTTP to ``tests.fakes.OpenAIServer``;
nothing in the agent is patched. Prices come from assistant/ledger/prices.toml:
gpt-4o = $2.50 input, $1.25 cached input, $10.00 output per million tokens.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from assistant.agent.ask import ask, ask_stream
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.errors import SourceAuthError, SourceUnavailable
from assistant.warehouse.ledger import read_ledger
from tests.fakes import OpenAIServer, Reply, ToolUse

QUESTION = "What did payments cost in October 2026?"
FINAL = "payments cost $1,334.56 in 2026-10 (source: namespace_month_cost, test_costs)."


def _script() -> list[Reply]:
    return [
        # call 1: prompt 120,000 of which 100,000 cached; 4,000 out
        Reply(
            tool_calls=[
                ToolUse("namespace_month_cost", {"namespace": "payments", "month": "2026-10"})
            ],
            input_tokens=120_000,
            cached_tokens=100_000,
            output_tokens=4_000,
            model="gpt-4o-2024-08-06",
        ),
        # call 2: prompt 150,000 of which 120,000 cached; 30,000 out, 10,000 of them reasoning
        Reply(
            text=FINAL,
            input_tokens=150_000,
            cached_tokens=120_000,
            output_tokens=30_000,
            reasoning_tokens=10_000,
            model="gpt-4o-2024-08-06",
        ),
    ]


# call 1 = (20,000×2.50 + 100,000×1.25 + 4,000×10.00) / 1e6 = (50,000+125,000+40,000)/1e6
CALL1 = Decimal("0.215")
# call 2 = (30,000×2.50 + 120,000×1.25 + 20,000×10.00 + 10,000×10.00 reasoning) / 1e6
#        = (75,000 + 150,000 + 200,000 + 100,000) / 1e6
CALL2 = Decimal("0.525")


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, warehouse: Settings, cost_tool: str):
    server = OpenAIServer(_script())
    server.start()
    # The SDK's own variables, as a user would set them
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("PENNY_MODEL", "openai:gpt-4o")
    yield server
    server.stop()


def _usage_rows(settings: Settings) -> list[tuple]:
    return read_ledger(
        settings,
        "SELECT request_id, source, provider, model, user_id, channel,"
        " thread_id, team, input_tokens, cached_input_tokens, output_tokens,"
        " reasoning_tokens, cost, tools, warning, latency_ms"
        " FROM ai_usage ORDER BY ts, request_id",
    )


def test_tool_call_then_answer_priced_to_the_cent(openai_env: OpenAIServer) -> None:
    settings = load_settings()
    ctx = AskContext(user="ana", channel="cli", thread_id="t-1", team="payments")
    answer = ask(QUESTION, ctx, settings, engine="llm")

    # The model was offered the tool and called it with the scripted arguments
    first = openai_env.bodies()[0]
    assert "namespace_month_cost" in [t["function"]["name"] for t in first["tools"]]
    assert first["messages"][0]["role"] == "system"
    assert (
        "Every number in your answer must come from a tool result"
        in first["messages"][0]["content"]
    )
    assert [tc.name for tc in answer.tool_calls] == ["namespace_month_cost"]
    assert answer.tool_calls[0].args == {"namespace": "payments", "month": "2026-10"}
    # 1234.56 + 100.00 from the fixture rows
    assert Decimal(answer.tool_calls[0].result["data"]["total"]) == Decimal("1334.56")

    # The second request carried the tool's numbers back to the model, wrapped as data
    tool_msgs = [m for m in openai_env.bodies()[1]["messages"] if m["role"] == "tool"]
    assert len(tool_msgs) == 1
    assert tool_msgs[0]["content"].startswith('<tool_output name="namespace_month_cost"')
    assert '"total": "1334.560000000000"' in tool_msgs[0]["content"]

    assert answer.engine == "llm" and answer.model == "openai:gpt-4o"
    assert "$1,334.56" in answer.text
    assert answer.usage.model_calls == 2
    assert answer.usage.input_tokens == 270_000 and answer.usage.cached_input_tokens == 220_000
    assert answer.usage.output_tokens == 34_000 and answer.usage.reasoning_tokens == 10_000
    assert answer.cost == CALL1 + CALL2 == Decimal("0.74")
    assert answer.provenance[0].tables == ["test_costs"]

    rows = _usage_rows(settings)
    # Not api.openai.com, so the provider is recorded as openai-compatible; a model of an
    # OpenAI name is still priced with OpenAI's rows.
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("penny", "openai-compatible", "gpt-4o-2024-08-06")
    ] * 2
    assert [r[0] for r in rows] == ["chatcmpl-fake1", "chatcmpl-fake2"]
    assert rows[0][4:8] == ("ana", "cli", "t-1", "payments")
    assert rows[0][8:12] == (120_000, 100_000, 4_000, 0)
    assert rows[1][8:12] == (150_000, 120_000, 30_000, 10_000)
    assert [r[12] for r in rows] == [CALL1, CALL2]
    assert json.loads(rows[0][13]) == ["namespace_month_cost"] and json.loads(rows[1][13]) == []
    assert rows[0][14] is None and rows[0][15] > 0

    conv = read_ledger(
        settings, "SELECT question_id, engine, question, answer, cost, error FROM conversations"
    )
    assert conv == [(answer.question_id, "llm", QUESTION, answer.text, Decimal("0.74"), None)]


def test_streaming_events_and_usage(openai_env: OpenAIServer) -> None:
    settings = load_settings()
    events = list(
        ask_stream(QUESTION, AskContext(user="bo", thread_id="t-2"), settings, engine="llm")
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "tool_call" and kinds[-1] == "done"
    assert events[0].data["name"] == "namespace_month_cost"
    assert events[0].data["args"] == {"namespace": "payments", "month": "2026-10"}
    result = next(e for e in events if e.type == "tool_result")
    assert result.data["ok"] is True
    assert Decimal(result.data["result"]["data"]["total"]) == Decimal("1334.56")
    tokens = "".join(e.data["text"] for e in events if e.type == "token")
    assert tokens == FINAL
    # The SDK streamed (SSE) and asked for usage in the stream; usage was still priced
    assert all(b["stream"] is True for b in openai_env.bodies())
    assert all(b["stream_options"] == {"include_usage": True} for b in openai_env.bodies())
    done = events[-1].data["answer"]
    assert Decimal(done["cost"]) == Decimal("0.74")
    assert done["text"] == FINAL
    costs = [r[12] for r in _usage_rows(settings)]
    assert costs == [CALL1, CALL2]


def test_follow_up_in_same_thread_sees_the_first_exchange(openai_env: OpenAIServer) -> None:
    settings = load_settings()
    openai_env.replies.append(
        Reply(
            text="In September payments cost $900.10.",
            input_tokens=10,
            output_tokens=5,
            model="gpt-4o",
        )
    )
    ctx = AskContext(thread_id="thread-follow")
    ask(QUESTION, ctx, settings, engine="llm")
    ask("and in September?", ctx, settings, engine="llm")
    third = openai_env.bodies()[2]["messages"]
    contents = [(m["role"], m.get("content")) for m in third]
    assert ("user", QUESTION) in contents
    assert ("assistant", FINAL) in contents
    assert any(m["role"] == "tool" and "1334.56" in m["content"] for m in third)
    assert contents[-1] == ("user", "and in September?")
    # A different thread starts fresh
    openai_env.replies.append(Reply(text="ok", input_tokens=1, output_tokens=1))
    ask("hello", AskContext(thread_id="other"), settings, engine="llm")
    assert [m["role"] for m in openai_env.bodies()[3]["messages"]] == ["system", "user"]


def test_unknown_model_is_recorded_with_null_cost_and_a_warning(
    openai_env: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENNY_MODEL", "openai:mystery-1")
    openai_env.replies[:] = [
        Reply(text="No numbers needed.", input_tokens=500, output_tokens=20, model="mystery-1")
    ]
    settings = load_settings()
    answer = ask("hi", AskContext(thread_id="t-u"), settings, engine="llm")
    assert answer.cost is None
    assert any("No price for openai-compatible:mystery-1" in n for n in answer.notes)
    rows = read_ledger(settings, "SELECT model, input_tokens, cost, warning FROM ai_usage")
    assert len(rows) == 1
    model, tokens, cost, warning = rows[0]
    assert (model, tokens, cost) == ("mystery-1", 500, None)
    assert "No price for openai-compatible:mystery-1" in warning


def test_401_is_an_auth_error_and_is_logged(openai_env: OpenAIServer) -> None:
    openai_env.replies[:] = [Reply(status=401, error_message="Incorrect API key provided")]
    settings = load_settings()
    with pytest.raises(SourceAuthError) as info:
        ask(QUESTION, AskContext(thread_id="t-401"), settings, engine="llm")
    assert openai_env.base_url in str(info.value)
    assert len(openai_env.requests) == 1  # auth errors are not retried
    conv = read_ledger(settings, "SELECT engine, answer, error FROM conversations")
    assert conv[0][0] == "llm" and conv[0][1] is None and "SourceAuthError" in conv[0][2]


def test_unreachable_provider_names_the_url(
    monkeypatch: pytest.MonkeyPatch, warehouse: Settings
) -> None:
    server = OpenAIServer()
    server.start()
    url = server.base_url
    server.stop()  # nothing listens there now
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("PENNY_MODEL", "openai:gpt-4o")
    monkeypatch.setenv("PENNY_AGENT__BASE_URL", url)
    with pytest.raises(SourceUnavailable) as info:
        ask(QUESTION, AskContext(), load_settings(), engine="llm")
    assert url in info.value.message
    assert info.value.context["url"] == url


SQL = (
    "SELECT namespace, SUM(cost) AS total FROM test_costs WHERE month = '2026-10' "
    "GROUP BY namespace ORDER BY total DESC"
)


def test_real_run_sql_tool_through_the_agent(openai_env: OpenAIServer) -> None:
    """The registry's own run_sql tool, called by the model with the scripted SQL."""
    openai_env.replies[:] = [
        Reply(tool_calls=[ToolUse("run_sql", {"sql": SQL})], input_tokens=100, output_tokens=10),
        Reply(text="payments $1,334.56, search $99.99.", input_tokens=200, output_tokens=20),
    ]
    answer = ask("Cost by namespace in October?", AskContext(), load_settings(), engine="llm")
    [call] = answer.tool_calls
    assert call.name == "run_sql" and call.args["sql"] == SQL
    assert call.result["ok"] is True
    # payments 1234.56 + 100.00 = 1334.56 ; search 99.99
    got = json.dumps(call.result["data"])
    assert "1334.56" in got and "99.99" in got
    tool_msg = next(m for m in openai_env.bodies()[1]["messages"] if m["role"] == "tool")
    assert "1334.56" in tool_msg["content"]


def test_scope_reaches_the_tools(openai_env: OpenAIServer) -> None:
    """A non-admin asker's scope goes into the ToolContext: run_sql refuses them."""
    from assistant.core.scope import Scope

    openai_env.replies[:] = [
        Reply(tool_calls=[ToolUse("run_sql", {"sql": SQL})], input_tokens=100, output_tokens=10),
        Reply(text="I cannot run SQL for you.", input_tokens=200, output_tokens=20),
    ]
    ctx = AskContext(user="dev", scope=Scope.from_list(["team:search"], user="dev"))
    answer = ask("Cost by namespace in October?", ctx, load_settings(), engine="llm")
    [call] = answer.tool_calls
    assert call.result["ok"] is False and "administrators" in call.result["error"]
    tool_msg = next(m for m in openai_env.bodies()[1]["messages"] if m["role"] == "tool")
    assert "1334.56" not in tool_msg["content"]
    system = openai_env.bodies()[0]["messages"][0]["content"]
    assert "teams search" in system


def test_openai_compatible_server_by_agent_base_url(
    monkeypatch: pytest.MonkeyPatch, warehouse: Settings
) -> None:
    """ollama:llama3.1 against a local OpenAI-compatible server: no key needed, no price."""
    with OpenAIServer(
        [Reply(text="Hi.", input_tokens=30, output_tokens=3, model="llama3.1:8b")]
    ) as server:
        monkeypatch.setenv("PENNY_MODEL", "ollama:llama3.1:8b")
        monkeypatch.setenv("PENNY_AGENT__BASE_URL", server.base_url)
        settings = load_settings()
        answer = ask("hello", AskContext(), settings, engine="llm")
        assert server.bodies()[0]["model"] == "llama3.1:8b"
        assert server.requests[0].headers["authorization"] == "Bearer not-needed"
    assert answer.text == "Hi." and answer.cost is None
    rows = read_ledger(settings, "SELECT provider, model, input_tokens, cost FROM ai_usage")
    assert rows == [("openai-compatible", "llama3.1:8b", 30, None)]


def test_thread_memory_survives_a_new_process(openai_env: OpenAIServer) -> None:
    """A new process has no in-memory checkpoint: the thread is replayed from the ledger."""
    from assistant.agent.llm import reset_memory

    settings = load_settings()
    openai_env.replies.append(Reply(text="September: $900.10.", input_tokens=10, output_tokens=5))
    ask(QUESTION, AskContext(thread_id="persist"), settings, engine="llm")
    reset_memory()  # as if `penny ask` ran again
    ask("and in September?", AskContext(thread_id="persist"), settings, engine="llm")
    third = [(m["role"], m.get("content")) for m in openai_env.bodies()[2]["messages"]]
    assert third[1:] == [("user", QUESTION), ("assistant", FINAL), ("user", "and in September?")]
