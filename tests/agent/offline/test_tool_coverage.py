"""Tool coverage: each eval case's numbers are reachable in ≤ 3 tool calls, offline and
through the LLM engine against the OpenAI and Anthropic wire fakes.

The fakes are scripted to make exactly the case's ``tool_calls`` (in one model turn) and
then to answer with the case's expected figures (its own SQL). The real SDKs, LangChain's
tool wrapping and Penny's registry run unchanged, so the check is that those calls, made
the way a model makes them, return every expected number: each figure of the answer must
be found in the tool results of that very answer.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from assistant.agent.ask import ask
from assistant.config import Settings
from assistant.core.answer import AskContext
from assistant.core.money import usd
from evals.cases import Case, load_cases
from evals.coverage import check_case, found_in, run_coverage
from evals.grade import grade_answer
from evals.runner import case_settings, expected_values
from tests.fakes import AnthropicServer, OpenAIServer, Reply, ToolUse

CASES = [c for c in load_cases() if c.tool_calls]


@pytest.fixture
def demo(demo_settings: Settings) -> Settings:
    """The shared offline demo (tests/agent/offline/conftest.py), 'now' at its end."""
    return demo_settings


def test_every_case_with_numbers_lists_at_most_three_tool_calls() -> None:
    for c in load_cases():
        if c.numbers:
            assert 1 <= len(c.tool_calls) <= 3, c.id


def test_offline_each_cases_calls_return_its_numbers(demo: Settings) -> None:
    results = run_coverage(demo)
    failed = {r.id: r.failures for r in results if not r.passed}
    assert failed == {}
    assert len(results) == len(CASES) >= 130


def test_a_call_that_misses_the_number_fails(demo: Settings) -> None:
    # the payments team's October cost is not in a call for September
    case = next(c for c in CASES if c.id == "01_payments_team_last_month")
    wrong = Case(
        **{
            **case.__dict__,
            "tool_calls": [
                type(case.tool_calls[0])(
                    "query_costs", {"window": "2026-09", "filters": {"team": "payments"}}
                )
            ],
        }
    )
    r = check_case(wrong, demo, demo.current_time())
    assert not r.passed and "is in no tool result" in r.failures[0]


def _figure(n: dict[str, Any]) -> str:
    value = Decimal(n["value"])
    if n["kind"] == "percent":
        return f"{value:.2f}%"
    if n["kind"] == "count":
        return f"{value:.0f}"
    return usd(value)


def _script(case: Case, numbers: list[dict[str, Any]]) -> list[Reply]:
    calls = [ToolUse(c.name, c.args, id=f"call_{i}") for i, c in enumerate(case.tool_calls)]
    final = "From the tools: " + "; ".join(f"{n['label']}: {_figure(n)}" for n in numbers)
    return [
        Reply(tool_calls=calls, input_tokens=1000, output_tokens=50),
        Reply(text=final + ".", input_tokens=2000, output_tokens=80),
    ]


def _replay(case: Case, settings: Settings, provider: str) -> None:
    numbers, _ = expected_values(case, settings, settings.current_time())
    s = case_settings(case, settings)
    ctx = AskContext(user="eval", channel="eval", thread_id=f"cov-{uuid.uuid4().hex}")
    answer = ask(case.question, ctx, s, engine="llm")
    # a model's calls in one turn run concurrently: compare them as a multiset
    assert sorted(t.name for t in answer.tool_calls) == sorted(c.name for c in case.tool_calls), (
        case.id
    )
    results = [t.result for t in answer.tool_calls]
    assert all(r["ok"] and r["status"] == "success" for r in results), (case.id, results)
    assert len(answer.tool_calls) <= 3
    g = grade_answer(
        answer.text,
        understood=answer.understood,
        expect_understood=True,
        numbers=numbers,
        names=[],
        tool_results=results,
        tools_called=[t.name for t in answer.tool_calls],
        expect_tools=[c.name for c in case.tool_calls],
    )
    assert g.passed, (case.id, provider, g.failures)
    from evals.grade import tool_numbers

    seen = tool_numbers(results)
    for n in numbers:  # percents and counts too, not only money
        assert found_in(Decimal(n["value"]), n["kind"], Decimal(n["tolerance"]), seen), (
            case.id,
            n,
        )


@pytest.mark.parametrize(("provider", "half"), [("openai", 0), ("anthropic", 1)])
def test_llm_engine_answers_every_case_in_its_tool_calls(
    demo: Settings, provider: str, half: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every case goes through one of the two wire protocols (alternating), so each case's
    calls are made once the way a model makes them, within the suite's time."""
    cases = CASES[half::2]
    replies: list[Reply] = []
    for case in cases:
        numbers, _ = expected_values(case, demo, demo.current_time())
        replies += _script(case, numbers)
    server = (OpenAIServer if provider == "openai" else AnthropicServer)(replies)
    with server:
        if provider == "openai":
            monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
            model = "openai:gpt-4o-mini"
        else:
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
            monkeypatch.setenv("ANTHROPIC_BASE_URL", server.root)
            model = "anthropic:claude-haiku-4-5"
        settings = demo.model_copy(update={"model": model})
        for case in cases:
            _replay(case, settings, provider)
