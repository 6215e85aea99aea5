"""`penny ask`, `penny chat` and `penny logs` against the OpenAI wire-protocol fake."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from assistant.cli import main
from assistant.config import Settings
from tests.fakes import OpenAIServer, Reply, ToolUse

FINAL = "payments cost **$1,334.56** in 2026-10 (namespace_month_cost)."


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, warehouse: Settings, cost_tool: str):
    srv = OpenAIServer(
        [
            # gpt-4o-mini: 1,000 prompt (0 cached) + 100 out, then 2,000 prompt (1,000 cached) + 50
            Reply(
                tool_calls=[
                    ToolUse("namespace_month_cost", {"namespace": "payments", "month": "2026-10"})
                ],
                input_tokens=1_000,
                output_tokens=100,
            ),
            Reply(text=FINAL, input_tokens=2_000, cached_tokens=1_000, output_tokens=50),
        ]
    )
    srv.start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
    monkeypatch.setenv("PENNY_MODEL", "openai:gpt-4o-mini")
    yield srv
    srv.stop()


# gpt-4o-mini ($0.15 in, $0.075 cached, $0.60 out per million):
# call 1 = 1,000×0.15 + 100×0.60 = 150 + 60 = 210 → $0.000210
# call 2 = 1,000×0.15 + 1,000×0.075 + 50×0.60 = 150 + 75 + 30 = 255 → $0.000255
TOTAL = Decimal("0.000465")


def test_ask_json(server: OpenAIServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "ask",
                "What did payments cost in October?",
                "--json",
                "--user",
                "ana",
                "--engine",
                "llm",
                "--thread",
                "cli-1",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["text"] == FINAL and out["engine"] == "llm"
    assert out["thread_id"] == "cli-1"
    assert out["tool_calls"][0]["name"] == "namespace_month_cost"
    assert out["tool_calls"][0]["args"] == {"namespace": "payments", "month": "2026-10"}
    assert Decimal(out["tool_calls"][0]["result"]["data"]["total"]) == Decimal("1334.56")
    assert out["usage"] == {
        "input_tokens": 3_000,
        "cached_input_tokens": 1_000,
        "cache_write_tokens": 0,
        "output_tokens": 150,
        "reasoning_tokens": 0,
        "model_calls": 2,
    }
    assert Decimal(out["cost"]) == TOTAL


def test_ask_markdown_on_stdout_usage_on_stderr(
    server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "What did payments cost in October?"]) == 0
    captured = capsys.readouterr()
    assert captured.out == FINAL + "\n"  # piped: the markdown source, nothing else
    assert "→ namespace_month_cost" in captured.err
    assert "2 model call(s), 3,000 in (1,000 cached) / 150 out" in captured.err
    assert "$0.0005" in captured.err  # 0.000465 shown to 4 decimals


def test_bad_engine_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "hi", "--engine", "gpt"]) == 2
    assert "'gpt' is not one of auto, offline, llm" in capsys.readouterr().err


def test_provider_error_exits_1_with_next_step(
    server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.replies[:] = [Reply(status=401)]
    assert main(["ask", "hi", "--engine", "llm"]) == 1
    err = capsys.readouterr().err
    assert "refused Penny's credentials" in err and "OPENAI_API_KEY" in err


def test_chat_keeps_one_thread_and_logs_show_cost(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.replies.append(Reply(text="In September: $900.10.", input_tokens=10, output_tokens=5))
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("What did payments cost in October?\n\nand in September?\n/exit\n")
    )
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "$1,334.56" in out and "$900.10" in out
    # The follow-up went out in the same thread: its request holds the first exchange
    third = server.bodies()[2]["messages"]
    assert any(m.get("content") == "What did payments cost in October?" for m in third)

    assert main(["logs", "--json", "-n", "5"]) == 0
    logs = json.loads(capsys.readouterr().out)
    assert [r["question"] for r in logs] == [
        "and in September?",
        "What did payments cost in October?",
    ]
    assert logs[0]["thread_id"] == logs[1]["thread_id"]
    assert logs[1]["model_calls"] == 2 and logs[1]["input_tokens"] == 3_000
    assert Decimal(logs[1]["cost"]) == TOTAL
    assert logs[1]["tool_calls"][0]["name"] == "namespace_month_cost"


def test_logs_when_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs"]) == 0
    assert "No questions logged yet" in capsys.readouterr().err
