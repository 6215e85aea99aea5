"""Every AI-spend question, offline, over Penny's own calls, imported OpenAI and imported
Anthropic usage, and all of them together (issue 10, defect 8).

Penny's own calls are written the way Penny writes them (``ledger.usage.record_turn``)
and provider exports go through the real importers (``ingest.ai.files``); the answers come
from ``assistant.agent.ask`` with the offline engine. Before the fix any AI-spend answer
with rows in the ledger died with ``KeyError: 'group'`` (the plan read a key the tool
never returns), and "spend on OpenAI" answered with every provider's spend.

Prices (``ledger/prices.toml``, $ per 1M tokens):
  gpt-4o-mini      input 0.15, output 0.60: 1,000,000 in + 100,000 out = 0.15 + 0.06 = $0.21
  claude-haiku-4-5 input 1.00, output 5.00:   200,000 in +  20,000 out = 0.20 + 0.10 = $0.30
Imports (October 2026):
  OpenAI costs export:      $12.3456 + $0.10          = $12.4456
  Anthropic cost report:    123.45 + 50 cents         =  $1.7345
So October: OpenAI 0.21 + 12.4456 = $12.6556; Anthropic 0.30 + 1.7345 = $2.0345;
all = $14.6901; Penny's own = $0.51.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.agent.ask import ask
from assistant.config import Settings, load_settings
from assistant.core.answer import AskContext
from assistant.ingest.ai.files import import_anthropic, import_openai
from assistant.ledger.prices import TokenCounts
from assistant.ledger.usage import ModelCall, record_turn

# 2026-10-01T00:00Z = 1790812800, 2026-10-02T00:00Z = 1790899200
D1, D2 = 1790812800, 1790899200
OPENAI = {
    "object": "page",
    "data": [
        {
            "object": "bucket",
            "start_time": D1,
            "end_time": D2,
            "results": [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 12.3456, "currency": "usd"},
                    "line_item": "gpt-4o-mini-2024-07-18, input",
                    "project_id": "proj_pay",
                },
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 0.1, "currency": "usd"},
                    "line_item": "gpt-4o-mini-2024-07-18, output",
                    "project_id": None,
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}
ANTHROPIC = {
    "data": [
        {
            "starting_at": "2026-10-01T00:00:00Z",
            "ending_at": "2026-10-02T00:00:00Z",
            "results": [
                {
                    "currency": "USD",
                    "amount": "123.45",
                    "workspace_id": None,
                    "description": "Claude Haiku 4.5 Usage - Input Tokens",
                    "cost_type": "tokens",
                    "model": "claude-haiku-4-5-20251001",
                    "token_type": "uncached_input_tokens",
                },
                {
                    "currency": "USD",
                    "amount": "50",
                    "workspace_id": None,
                    "description": "Web Search",
                    "cost_type": "web_search",
                    "model": None,
                    "token_type": None,
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}


@pytest.fixture
def settings() -> Settings:
    return load_settings(now="2026-11-05T12:00:00Z")


def _penny_calls(settings: Settings) -> None:
    calls = [
        ModelCall(
            "openai", "gpt-4o-mini", TokenCounts(input=1_000_000, output=100_000),
            datetime(2026, 10, 3, 9), 10.0,
        ),
        ModelCall(
            "anthropic", "claude-haiku-4-5", TokenCounts(input=200_000, output=20_000),
            datetime(2026, 10, 4, 9), 10.0,
        ),
    ]  # fmt: skip
    record_turn(
        settings,
        AskContext(user="alice", team="ml"),
        None,
        calls,
        question="q",
        question_id="q1",
        engine="llm",
        model="openai:gpt-4o-mini",
        ts=datetime(2026, 10, 3, 9),
    )


def _import(settings: Settings, tmp_path: Path, which: str) -> None:
    path = tmp_path / f"{which}.json"
    path.write_text(json.dumps(OPENAI if which == "openai" else ANTHROPIC), encoding="utf-8")
    (import_openai if which == "openai" else import_anthropic)(settings, path)


def _answer(settings: Settings, question: str) -> str:
    answer = ask(question, AskContext(), settings, engine="offline")
    assert answer.understood, answer.text
    return answer.text


SETUPS = {
    "penny": ("penny",),
    "openai": ("openai",),
    "anthropic": ("anthropic",),
    "all": ("penny", "openai", "anthropic"),
}
# (question, setup) -> the total the answer must state; None = says there is no such spend
EXPECTED: dict[tuple[str, str], str | None] = {
    ("What did we spend on OpenAI last month?", "penny"): "$0.21",
    ("What did we spend on OpenAI last month?", "openai"): "$12.45",  # 12.4456
    ("What did we spend on OpenAI last month?", "anthropic"): None,
    ("What did we spend on OpenAI last month?", "all"): "$12.66",  # 0.21 + 12.4456
    ("How much did Anthropic cost us last month?", "penny"): "$0.30",
    ("How much did Anthropic cost us last month?", "openai"): None,
    ("How much did Anthropic cost us last month?", "anthropic"): "$1.73",  # 1.7345
    ("How much did Anthropic cost us last month?", "all"): "$2.03",  # 0.30 + 1.7345
    ("AI spend last month", "penny"): "$0.51",
    ("AI spend last month", "openai"): "$12.45",
    ("AI spend last month", "anthropic"): "$1.73",
    ("AI spend last month", "all"): "$14.69",  # 0.51 + 12.4456 + 1.7345
}


@pytest.mark.parametrize(("question", "setup"), sorted(EXPECTED))
def test_every_ai_spend_question_answers_with_the_right_total(
    settings: Settings, tmp_path: Path, question: str, setup: str
) -> None:
    for part in SETUPS[setup]:
        if part == "penny":
            _penny_calls(settings)
        else:
            _import(settings, tmp_path, part)
    text = _answer(settings, question)
    want = EXPECTED[(question, setup)]
    if want is None:
        assert "No AI usage recorded for 2026-10" in text, text
    else:
        assert f"**{want}**" in text, text
    if setup == "all" and "OpenAI" in question:
        # one provider named: its spend by source, Penny's calls and the import apart
        assert "Penny's own calls" in text and "imported OpenAI usage" in text, text
        assert "Anthropic" not in text.split("\n", 1)[1], text


def test_no_ai_rows_says_so_instead_of_crashing(settings: Settings) -> None:
    text = _answer(settings, "What did we spend on OpenAI last month?")
    assert "No AI usage recorded for 2026-10" in text and "provider=openai" in text


def test_total_matches_the_ledger_exactly(settings: Settings, tmp_path: Path) -> None:
    _penny_calls(settings)
    _import(settings, tmp_path, "openai")
    _import(settings, tmp_path, "anthropic")
    answer = ask("AI spend last month", AskContext(), settings, engine="offline")
    result = answer.tool_calls[0].result
    assert result["data"]["total"]["cost"] == "14.690100"  # 0.21 + 0.30 + 12.4456 + 1.7345
    assert Decimal(result["data"]["total"]["cost"]) == sum(
        Decimal(g["cost"]) for g in result["data"]["groups"]
    )
