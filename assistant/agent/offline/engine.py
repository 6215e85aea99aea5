"""The offline engine: ``answer(question, ctx, settings) -> Answer`` with no LLM.

Recognise the intent and slots, call the same tools the LLM agent has (scope applied),
render the answer from templates with the tools' figures and their provenance. Follow-ups
reuse the thread's last understood turn: kept in memory for a running process, and
rebuilt for a new process (``penny ask --thread T``) by re-reading the thread's earlier
questions from the ledger's ``conversations`` table and recognising them again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime

from assistant.agent.offline.entities import EntityFinder, warehouse_finder
from assistant.agent.offline.intents import Intent, Parsed, recognise
from assistant.agent.offline.plans import PLANS, Runner, partly_understood
from assistant.config import Settings
from assistant.core.answer import Answer, AskContext
from assistant.core.markdown import md_escape
from assistant.core.provenance import Provenance
from assistant.errors import PennyError
from assistant.warehouse.db import one_reader, reader
from tools.registry import ToolContext

__all__ = ["answer", "forget_threads"]

log = logging.getLogger(__name__)

_MAX_THREADS = 1000
_REPLAY = 6  # earlier questions re-read from the ledger
_THREADS: OrderedDict[str, Parsed] = OrderedDict()
_LOCK = threading.Lock()


def forget_threads() -> None:
    """Drop the in-memory thread state (tests; a new process starts empty anyway)."""
    with _LOCK:
        _THREADS.clear()


def _remember(thread_id: str, parsed: Parsed) -> None:
    with _LOCK:
        _THREADS[thread_id] = parsed
        _THREADS.move_to_end(thread_id)
        while len(_THREADS) > _MAX_THREADS:
            _THREADS.popitem(last=False)


def _span(settings: Settings) -> tuple[datetime, datetime] | None:
    """The allocation's first hour and the hour after its last (read once per state)."""
    from assistant.costs.coverage import data_span
    from assistant.warehouse.memo import memo

    if not settings.db_path.exists():
        return None

    def read() -> tuple[datetime, datetime] | None:
        with reader(settings) as con:
            return data_span(con)

    return memo(settings, "allocation-data-span", read)


def _replayed(
    thread_id: str,
    settings: Settings,
    finder: EntityFinder,
    data_end: datetime | None,
) -> Parsed | None:
    """The thread's last understood turn, recognised again from the ledger's questions."""
    from assistant.warehouse.ledger import read_ledger

    try:
        rows = read_ledger(
            settings,
            "SELECT question FROM conversations WHERE thread_id = ? AND engine = "
            "'offline' AND error IS NULL AND question IS NOT NULL ORDER BY ts DESC LIMIT ?",
            [thread_id, _REPLAY],
        )
    except PennyError as exc:  # a busy ledger only costs the follow-up context
        log.warning("Could not read thread %s from the ledger: %s", thread_id, exc)
        return None
    state: Parsed | None = None
    now = settings.current_time()
    for (question,) in reversed(rows):
        parsed = recognise(str(question), now, finder, state, data_end=data_end)
        if parsed.understood and parsed.intent is not Intent.HELP:
            state = parsed
    return state


def answer(question: str, ctx: AskContext, settings: Settings) -> Answer:
    """Answer ``question`` from the warehouse with templates; never invent a number."""
    # One read-only connection for every read of this answer (names, each tool), closed
    # before returning so nothing holds the warehouse between questions.
    with one_reader(settings):
        return _answer(question, ctx, settings)


def _unanswerable(parsed: Parsed, ctx: AskContext) -> str | None:
    """The answer when the question names something the asker may not see, or nothing at
    all: said plainly, never replaced by a total for something else."""
    for e in (parsed.slots.entity, parsed.slots.entity_b):
        if e is None:
            continue
        if e.how == "not_visible":
            return (
                f"The {e.kind} {md_escape(e.name)} is not visible to you: your access covers "
                f"{md_escape(_scope_words(ctx))}. Ask about those, or ask an administrator."
            )
        if e.how == "unresolved" and e.kind == "name":
            return (
                f"I know no team, namespace, workload, app, node or cluster named "
                f"{md_escape(e.name)!s} in the cost data you may see, so I have no number "
                'for it. Check the spelling, or ask "top 10 workloads last month" to see '
                "the names."
            )
    return None


def _scope_words(ctx: AskContext) -> str:
    scope = ctx.scope
    parts = [f"team {t}" for t in scope.teams] + [f"namespace {n}" for n in scope.namespaces]
    return ", ".join(parts) or "nothing"


def _answer(question: str, ctx: AskContext, settings: Settings) -> Answer:
    started = time.perf_counter()
    now = settings.current_time()
    finder = warehouse_finder(settings, ctx.scope)
    span = _span(settings)
    data_end = span[1] if span else None
    with _LOCK:
        previous = _THREADS.get(ctx.thread_id)
    if previous is None:
        previous = _replayed(ctx.thread_id, settings, finder, data_end)
    parsed = recognise(question, now, finder, previous, data_end=data_end)
    runner = Runner(
        ToolContext(settings=settings, scope=ctx.scope, now=now, user=ctx.scope.user or ctx.user),
        span,
    )
    text = _unanswerable(parsed, ctx)
    if text is not None:
        runner.refused = True  # said plainly: no number for something the asker cannot see
    elif parsed.understood or parsed.intent is Intent.UNKNOWN:
        text = PLANS[parsed.intent](parsed, runner)
    else:
        text = partly_understood(parsed, runner)
        runner.refused = True
    if parsed.slots.notes and parsed.understood:
        text += "\n\n" + "\n".join(f"_{n}_" for n in parsed.slots.notes)
    if runner.sources:
        text += "\n\n" + "\n".join(f"_{s}_" for s in runner.sources)
    understood = parsed.understood and not runner.refused
    if understood and parsed.intent is not Intent.HELP:
        _remember(ctx.thread_id, parsed)
    provenance = [
        Provenance.model_validate(c.result["provenance"])
        for c in runner.calls
        if c.result.get("ok") and isinstance(c.result.get("provenance"), dict)
    ]
    notes = [f"offline intent: {parsed.intent}" + (" (follow-up)" if parsed.followup else "")]
    if parsed.slots.unmapped:
        notes.append("not understood: " + ", ".join(parsed.slots.unmapped))
    return Answer(
        thread_id=ctx.thread_id,
        question=question,
        engine="offline",
        text=text,
        understood=understood,
        tool_calls=runner.calls,
        provenance=provenance,
        notes=notes,
        duration_ms=(time.perf_counter() - started) * 1000.0,
    )
