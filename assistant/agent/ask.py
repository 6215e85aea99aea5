"""``ask()``: the one entry point every interface calls, for both engines.

It picks the engine (``auto`` = the LLM when a model is configured, else offline),
enforces the monthly AI budget (past it, the offline engine answers and says why),
prices every model call, and logs the turn to the ledger — so the CLI, the HTTP API and
Slack all behave and account the same way. ``ask_stream()`` yields typed events
(``tool_call``, ``tool_result``, ``token``, then ``done`` with the Answer, or ``error``).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from assistant.config import Settings
from assistant.core.answer import Answer, AskContext, Event, Usage
from assistant.errors import ConfigError, InputError, PennyError, SourceUnavailable
from assistant.ledger.budget import budget_status
from assistant.ledger.usage import ModelCall, record_turn
from assistant.warehouse.ledger import kept_open

__all__ = ["Engine", "ask", "ask_stream", "choose_engine"]

log = logging.getLogger(__name__)

Engine = Literal["auto", "offline", "llm"]
_ENGINES = ("auto", "offline", "llm")


def choose_engine(engine: str, settings: Settings) -> tuple[Literal["offline", "llm"], list[str]]:
    """Which engine answers, and the notes explaining a fallback."""
    if engine not in _ENGINES:
        raise InputError(f"Unknown engine {engine!r}.", hint="Use auto, offline or llm.")
    if engine == "offline" or (engine == "auto" and not settings.llm_model):
        return "offline", []
    if not settings.llm_model:
        raise ConfigError(
            "--engine llm needs a model.",
            hint="Set PENNY_MODEL=provider:model (e.g. openai:gpt-4o-mini).",
        )
    status = budget_status(settings)
    if status.exceeded:
        return "offline", [status.note()]
    return "llm", []


def ask(question: str, ctx: AskContext, settings: Settings, *, engine: Engine = "auto") -> Answer:
    """Answer one question; raises PennyError (after logging it) when it cannot."""
    run = _run(question, ctx, settings, engine, stream_tokens=False)
    while True:
        try:
            next(run)
        except StopIteration as stop:
            answer: Answer = stop.value
            return answer


def ask_stream(
    question: str, ctx: AskContext, settings: Settings, *, engine: Engine = "auto"
) -> Iterator[Event]:
    """Events as they happen; ends with ``done`` (``data.answer``) or ``error``."""
    try:
        yield from _run(question, ctx, settings, engine, stream_tokens=True)
    except PennyError as exc:
        yield Event(type="error", data=exc.to_dict())


def _check_question(question: str, settings: Settings) -> str:
    text = (question or "").strip()
    if not text:
        raise InputError(
            "The question is empty.", hint='Ask something like "top 5 namespaces last month".'
        )
    limit = settings.server.max_message_chars
    if len(text) > limit:
        raise InputError(
            f"The question is {len(text)} characters; the limit is {limit}.",
            hint="Shorten it (server.max_message_chars).",
        )
    return text


def _offline(question: str, ctx: AskContext, settings: Settings) -> Answer:
    try:
        from assistant.agent.offline import answer as offline_answer
    except ImportError as exc:
        raise ConfigError(
            f"The offline engine is not available in this build ({exc}).",
            hint="Set PENNY_MODEL to answer with an LLM.",
        ) from exc
    result: Answer = offline_answer(question, ctx, settings)
    return result


def _sum_cost(calls: list[ModelCall]) -> tuple[Decimal | None, list[str]]:
    warnings = []
    total = Decimal(0)
    known = True
    for call in calls:
        priced = call.price()
        if priced.cost is None:
            known = False
            if priced.warning and priced.warning not in warnings:
                warnings.append(priced.warning)
        else:
            total += priced.cost
    return (total if known else None), warnings


def _usage(calls: list[ModelCall]) -> Usage:
    return Usage(
        input_tokens=sum(c.tokens.input for c in calls),
        cached_input_tokens=sum(c.tokens.cached_input for c in calls),
        cache_write_tokens=sum(c.tokens.cache_write for c in calls),
        output_tokens=sum(c.tokens.output for c in calls),
        reasoning_tokens=sum(c.tokens.reasoning for c in calls),
        model_calls=len(calls),
    )


def _run(
    question: str, ctx: AskContext, settings: Settings, engine: str, *, stream_tokens: bool
) -> Generator[Event, None, Answer]:
    # The ledger is read (AI spend beside costs) and written (this turn) in one question:
    # one instance for all of it, released before the answer goes out.
    with kept_open(settings):
        answer = yield from _answer_and_record(
            question, ctx, settings, engine, stream_tokens=stream_tokens
        )
    yield Event(type="done", data={"answer": answer.model_dump(mode="json")})
    return answer


def _answer_and_record(
    question: str, ctx: AskContext, settings: Settings, engine: str, *, stream_tokens: bool
) -> Generator[Event, None, Answer]:
    started = time.perf_counter()
    ts = datetime.now(UTC).replace(tzinfo=None)
    question_id = uuid.uuid4().hex
    calls: list[ModelCall] = []
    chosen: str = "offline"
    model: str | None = None
    try:
        text = _check_question(question, settings)
        chosen, notes = choose_engine(engine, settings)
        if chosen == "offline":
            answer = _offline(text, ctx, settings)
            # Why this engine answered (e.g. the budget) matters more than the engine's own
            # notes, so it comes first.
            answer.notes[:0] = notes
            question_id = answer.question_id
            for tc in answer.tool_calls:
                yield Event(type="tool_call", data={"name": tc.name, "args": tc.args})
                yield Event(
                    type="tool_result",
                    data={
                        "name": tc.name,
                        "ok": tc.result.get("ok"),
                        "result": tc.result,
                        "duration_ms": round(tc.duration_ms, 1),
                    },
                )
            if stream_tokens and answer.text:
                yield Event(type="token", data={"text": answer.text})
        else:
            from assistant.agent.llm import run_agent  # LangChain loads only when needed

            model = settings.llm_model
            result = yield from run_agent(
                text, ctx, settings, stream_tokens=stream_tokens, calls=calls
            )
            cost, warnings = _sum_cost(calls)
            provenance = [
                tc_result_prov
                for tc in result.tool_calls
                if (tc_result_prov := _provenance(tc.result)) is not None
            ]
            answer = Answer(
                question_id=question_id,
                thread_id=ctx.thread_id,
                question=text,
                engine="llm",
                model=model,
                text=result.text,
                tool_calls=result.tool_calls,
                provenance=provenance,
                usage=_usage(calls),
                cost=cost,
                notes=[*result.notes, *warnings],
            )
    except PennyError as exc:
        _record_failure(settings, ctx, question, question_id, chosen, model, ts, calls, exc)
        raise
    except Exception as exc:  # an unexpected bug: still log the turn, then surface it
        _record_failure(settings, ctx, question, question_id, chosen, model, ts, calls, exc)
        raise
    answer.duration_ms = (time.perf_counter() - started) * 1000.0
    try:
        record_turn(
            settings,
            ctx,
            answer,
            calls,
            question=text,
            question_id=answer.question_id,
            engine=answer.engine,
            model=answer.model,
            ts=ts,
        )
    except SourceUnavailable as exc:
        # The answer is paid for and correct; losing it to a busy ledger helps nobody.
        log.warning("Could not log question %s: %s", answer.question_id, exc)
        answer.notes.append(
            f"This answer was not written to the ledger ({exc.message}); "
            "its AI cost is missing from `penny logs` and the budget."
        )
    return answer


def _provenance(result: dict[str, Any]) -> Any:
    from assistant.core.provenance import Provenance

    prov = result.get("provenance")
    if not result.get("ok") or not isinstance(prov, dict):
        return None
    return Provenance.model_validate(prov)


def _record_failure(
    settings: Settings,
    ctx: AskContext,
    question: str,
    question_id: str,
    engine: str,
    model: str | None,
    ts: datetime,
    calls: list[ModelCall],
    exc: BaseException,
) -> None:
    """Log the failed turn (and any model calls already paid for); never mask ``exc``."""
    with contextlib.suppress(PennyError):
        record_turn(
            settings,
            ctx,
            None,
            calls,
            question=question,
            question_id=question_id,
            engine=engine,
            model=model,
            ts=ts,
            error=f"{type(exc).__name__}: {exc}",
        )
