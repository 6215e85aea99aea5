"""/v1/chat with the LLM engine against a local OpenAI-protocol server, over a real socket:
tokens arrive as separate SSE events, and the answer's AI spend lands on the token's user
and team in the ledger and in /metrics. Price: gpt-4o $2.50 input and $10.00 output per
million tokens (assistant/ledger/prices.toml)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from assistant.agent.llm import reset_memory
from assistant.config import Settings, load_settings
from assistant.interfaces.api import create_app
from assistant.warehouse.ledger import read_ledger
from tests.fakes import OpenAIServer, Reply
from tests.interfaces.conftest import NOW, PAYMENTS_TOKEN, LiveServer, auth, tokens

pytestmark = pytest.mark.slow

TEXT = "I can see the payments team's costs; ask me about a month."
# (1,000 × 2.50 + 200 × 10.00) / 1,000,000 = (2,500 + 2,000) / 1e6 = 0.0045
COST = Decimal("0.0045")


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch, demo_settings: Settings) -> Iterator[Settings]:
    reset_memory()
    server = OpenAIServer(
        [Reply(text=TEXT, input_tokens=1000, output_tokens=200, model="gpt-4o-2024-08-06")]
    )
    server.start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    yield load_settings(
        home=demo_settings.home, now=NOW, model="openai:gpt-4o", server={"tokens": tokens()}
    )
    server.stop()
    reset_memory()


def test_tokens_stream_over_the_wire_and_spend_is_attributed_to_the_user(llm: Settings) -> None:
    with LiveServer(create_app(llm)) as server:
        events = []
        with httpx.stream(
            "POST",
            f"{server.url}/v1/chat",
            json={"message": "what can you see?", "thread_id": "llm-1"},
            headers={**auth(PAYMENTS_TOKEN), "Accept": "text/event-stream"},
            timeout=60,
        ) as r:
            assert r.status_code == 200
            kind = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
        metrics = httpx.get(f"{server.url}/metrics").text
    tokens_seen = [d["text"] for k, d in events if k == "token"]
    assert len(tokens_seen) >= 2 and "".join(tokens_seen) == TEXT  # streamed in pieces
    kind, done = events[-1]
    answer = done["answer"]
    assert (kind, answer["engine"], answer["thread_id"]) == ("done", "llm", "llm-1")
    assert Decimal(answer["cost"]) == COST
    assert (answer["usage"]["input_tokens"], answer["usage"]["output_tokens"]) == (1000, 200)
    rows = read_ledger(
        llm,
        "SELECT user_id, team, channel, thread_id, cost FROM ai_usage WHERE question_id = ?",
        [answer["question_id"]],
    )
    assert rows == [("pat", "payments", "api", "pat/llm-1", COST)]
    lines = set(metrics.splitlines())
    assert 'penny_ai_cost_usd_total{user="pat"} 0.0045' in lines
    assert 'penny_ai_tokens_total{kind="input",user="pat"} 1000' in lines
    assert 'penny_ai_tokens_total{kind="output",user="pat"} 200' in lines
    assert 'penny_answers_total{channel="api",engine="llm",user="pat"} 1' in lines
