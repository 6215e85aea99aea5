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
) -> Generator[Event, None, None]:
    """Events as they happen; ends with ``done`` (``data.answer``) or ``error``.

    A question that is not one (empty, too long, not valid text) raises InputError here,
    before any event, so an interface can refuse it as a bad request rather than start a
    stream. Close the generator when you stop reading early: that releases what the turn
    holds.
    """
    _check_question(question, settings)
    return _events(question, ctx, settings, engine)


def _events(
    question: str, ctx: AskContext, settings: Settings, engine: str
) -> Generator[Event, None, None]:
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
    bad = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)
    if bad is not None:
        raise InputError(
            f"The question is not valid Unicode: character {bad + 1} is a lone surrogate "
            f"(U+{ord(text[bad]):04X}).",
            hint="Send the question as UTF-8 text (in JSON, escape characters as pairs).",
        )
    if "\x00" in text:
        raise InputError(
            f"The question holds a NUL character at position {text.index(chr(0)) + 1}.",
            hint="Send plain text.",
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
    """The turn as events, ending with ``done``.

    Nothing is held open while an event is out with the consumer: a client may stop
    reading (or disconnect) at any yield and never come back, and a ledger or warehouse
    handle parked in a suspended generator would lock out ``penny ingest`` and every
    other process until the generator happened to be collected. The offline engine
    answers in one go, so its whole turn (tool reads, AI spend, the ledger row) runs
    inside ``kept_open`` before the first event goes out; the LLM's turn streams, so its
    ledger uses each open briefly.
    """
    started = time.perf_counter()
    ts = datetime.now(UTC).replace(tzinfo=None)
    # Not a question (empty, too long, not text): refused before anything runs, so there
    # is no turn to log and nothing is written.
    text = _check_question(question, settings)
    turn = _Turn(question, ctx, settings, ts)
    try:
        turn.chosen, notes = choose_engine(engine, settings)
        if turn.chosen == "offline":
            with kept_open(settings):
                answer = _offline(text, ctx, settings)
                # Why this engine answered (e.g. the budget) matters more than the engine's
                # own notes, so it comes first.
                answer.notes[:0] = notes
                turn.question_id = answer.question_id
                answer.duration_ms = (time.perf_counter() - started) * 1000.0
                turn.record(answer, text)
            yield from _offline_events(answer, stream_tokens=stream_tokens)
        else:
            answer = yield from _llm_turn(text, turn, stream_tokens=stream_tokens)
            answer.duration_ms = (time.perf_counter() - started) * 1000.0
            turn.record(answer, text)
    except GeneratorExit:  # the consumer went away mid-turn (a dropped stream)
        if not turn.recorded:
            turn.record_failure(ConnectionAbortedError("the client stopped reading"))
        raise
    except Exception as exc:  # PennyError or a bug: log the turn either way, then surface it
        turn.record_failure(exc)
        raise
    yield Event(type="done", data={"answer": answer.model_dump(mode="json")})
    return answer


def _offline_events(answer: Answer, *, stream_tokens: bool) -> Iterator[Event]:
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


def _llm_turn(text: str, turn: _Turn, *, stream_tokens: bool) -> Generator[Event, None, Answer]:
    from assistant.agent.llm import run_agent  # LangChain loads only when needed

    ctx, settings = turn.ctx, turn.settings
    turn.model = settings.llm_model
    result = yield from run_agent(
        text, ctx, settings, stream_tokens=stream_tokens, calls=turn.calls
    )
    cost, warnings = _sum_cost(turn.calls)
    provenance = [
        tc_result_prov
        for tc in result.tool_calls
        if (tc_result_prov := _provenance(tc.result)) is not None
    ]
    return Answer(
        question_id=turn.question_id,
        thread_id=ctx.thread_id,
        question=text,
        engine="llm",
        model=turn.model,
        text=result.text,
        tool_calls=result.tool_calls,
        provenance=provenance,
        usage=_usage(turn.calls),
        cost=cost,
        notes=[*result.notes, *warnings],
    )


class _Turn:
    """What the ledger needs to know about one question, answered or not."""

    def __init__(self, question: str, ctx: AskContext, settings: Settings, ts: datetime) -> None:
        self.question, self.ctx, self.settings, self.ts = question, ctx, settings, ts
        self.question_id = uuid.uuid4().hex
        self.calls: list[ModelCall] = []
        self.chosen: str = "offline"
        self.model: str | None = None
        self.recorded = False

    def record(self, answer: Answer, text: str) -> None:
        self.recorded = True
        try:
            record_turn(
                self.settings,
                self.ctx,
                answer,
                self.calls,
                question=text,
                question_id=answer.question_id,
                engine=answer.engine,
                model=answer.model,
                ts=self.ts,
            )
        except SourceUnavailable as exc:
            # The answer is paid for and correct; losing it to a busy ledger helps nobody.
            log.warning("Could not log question %s: %s", answer.question_id, exc)
            answer.notes.append(
                f"This answer was not written to the ledger ({exc.message}); "
                "its AI cost is missing from `penny logs` and the budget."
            )

    def record_failure(self, exc: BaseException) -> None:
        """Log the failed turn (and any model calls already paid for); never mask ``exc``."""
        self.recorded = True
        with contextlib.suppress(PennyError):
            record_turn(
                self.settings,
                self.ctx,
                None,
                self.calls,
                question=storable(self.question),
                question_id=self.question_id,
                engine=self.chosen,
                model=self.model,
                ts=self.ts,
                error=storable(f"{type(exc).__name__}: {exc}"),
            )


def storable(text: str) -> str:
    """``text`` as valid Unicode (a lone surrogate becomes U+FFFD) so a log row can hold it."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _provenance(result: dict[str, Any]) -> Any:
    from assistant.core.provenance import Provenance

    prov = result.get("provenance")
    if not result.get("ok") or not isinstance(prov, dict):
        return None
    return Provenance.model_validate(prov)
