"""Recording Penny's own model calls (``ai_usage``) and every answered question
(``conversations``) in the ledger, in one transaction per question.

Core code records, not interfaces: :func:`record_turn` is called by ``ask()`` for both
engines, so the CLI, HTTP and Slack paths all log the same way.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.config import Settings
from assistant.core.answer import Answer, AskContext
from assistant.core.placeholders import UNLABELED
from assistant.ledger.prices import Priced, TokenCounts, price_call
from assistant.warehouse.ledger import ledger, read_ledger

__all__ = [
    "UNLABELED_TEAM",
    "ModelCall",
    "recent_conversations",
    "record_turn",
    "tokens_from_usage_metadata",
]

log = logging.getLogger(__name__)
UNLABELED_TEAM = UNLABELED


def tokens_from_usage_metadata(meta: dict[str, Any] | None) -> TokenCounts:
    """LangChain ``usage_metadata`` → TokenCounts (same normalisation for every provider).

    ``input_token_details.cache_creation`` may be split by TTL
    (``ephemeral_5m_input_tokens``/``ephemeral_1h_input_tokens``); both count as cache writes.
    """
    meta = meta or {}
    ind = meta.get("input_token_details") or {}
    outd = meta.get("output_token_details") or {}
    write = int(ind.get("cache_creation") or 0)
    write += int(ind.get("ephemeral_5m_input_tokens") or 0)
    write += int(ind.get("ephemeral_1h_input_tokens") or 0)
    return TokenCounts(
        input=int(meta.get("input_tokens") or 0),
        cached_input=int(ind.get("cache_read") or 0),
        cache_write=write,
        output=int(meta.get("output_tokens") or 0),
        reasoning=int(outd.get("reasoning") or 0),
    )


@dataclass
class ModelCall:
    """One model call Penny made: tokens, price, latency and the tools it asked for."""

    provider: str
    model: str
    tokens: TokenCounts
    ts: datetime  # naive UTC
    latency_ms: float
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    tools: list[str] = field(default_factory=list)
    priced: Priced | None = None

    def price(self) -> Priced:
        if self.priced is None:
            self.priced = price_call(self.provider, self.model, self.tokens, self.ts)
            if self.priced.warning:
                log.warning(self.priced.warning)
        return self.priced


def record_turn(
    settings: Settings,
    ctx: AskContext,
    answer: Answer | None,
    calls: list[ModelCall],
    *,
    question: str,
    question_id: str,
    engine: str,
    model: str | None,
    ts: datetime,
    error: str | None = None,
) -> None:
    """Write the model calls and the conversation row together (or neither)."""
    team = ctx.team or UNLABELED_TEAM
    with ledger(settings) as con:
        for call in calls:
            priced = call.price()
            t = call.tokens
            con.execute(
                "INSERT INTO ai_usage (request_id, ts, source, provider, model, user_id, channel,"
                " thread_id, question_id, team, input_tokens, cached_input_tokens,"
                " cache_write_tokens, output_tokens, reasoning_tokens, cost, price_version,"
                " latency_ms, tools, warning, ingest_id)"
                " VALUES (?, ?, 'penny', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    call.request_id,
                    call.ts,
                    call.provider,
                    call.model,
                    ctx.user,
                    ctx.channel,
                    ctx.thread_id,
                    question_id,
                    team,
                    t.input,
                    t.cached_input,
                    t.cache_write,
                    t.output,
                    t.reasoning,
                    priced.cost,
                    priced.price_version,
                    call.latency_ms,
                    json.dumps(call.tools),
                    priced.warning,
                ],
            )
        con.execute(
            "INSERT INTO conversations (question_id, ts, thread_id, user_id, channel, engine,"
            " model, question, answer, tool_calls, duration_ms, cost, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                question_id,
                ts,
                ctx.thread_id,
                ctx.user,
                ctx.channel,
                engine,
                model,
                question if settings.server.audit_questions else None,
                answer.text if answer else None,
                json.dumps(
                    [
                        {
                            "name": c.name,
                            "args": c.args,
                            "ok": c.result.get("ok"),
                            "duration_ms": round(c.duration_ms, 1),
                        }
                        for c in (answer.tool_calls if answer else [])
                    ],
                    default=str,
                ),
                answer.duration_ms if answer else None,
                answer.cost if answer else None,
                error,
            ],
        )


def recent_conversations(settings: Settings, limit: int = 20) -> list[dict[str, Any]]:
    """Newest questions first, with the tokens and cost of their model calls."""
    rows = read_ledger(
        settings,
        "SELECT c.question_id, c.ts, c.thread_id, c.user_id, c.channel, c.engine, c.model,"
        " c.question, c.answer, c.tool_calls, c.duration_ms, c.cost, c.error,"
        " COALESCE(SUM(u.input_tokens), 0), COALESCE(SUM(u.cached_input_tokens), 0),"
        " COALESCE(SUM(u.output_tokens), 0), COUNT(u.request_id)"
        " FROM conversations c LEFT JOIN ai_usage u"
        "   ON u.question_id = c.question_id AND u.source = 'penny'"
        " GROUP BY c.question_id ORDER BY c.ts DESC, c.question_id LIMIT ?",
        [limit],
    )
    keys = [
        "question_id",
        "ts",
        "thread_id",
        "user",
        "channel",
        "engine",
        "model",
        "question",
        "answer",
        "tool_calls",
        "duration_ms",
        "cost",
        "error",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "model_calls",
    ]
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["tool_calls"] = json.loads(str(item["tool_calls"])) if item["tool_calls"] else []
        out.append(item)
    return out
