"""Tool calls for one offline answer, and the phrases every plan shares.

:class:`Runner` calls tools only through ``tools.registry.call`` (so the asker's scope
applies) and keeps each call with its arguments, result and duration for the Answer, plus
one provenance line per successful result.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from assistant.agent.offline.intents import EntityRef
from assistant.agent.offline.templates import provenance_line
from assistant.core.answer import ToolCall
from assistant.core.markdown import md_escape
from assistant.windows import Window, month_window
from tools.registry import ToolContext, call

__all__ = ["Runner", "how_read", "label", "last_month", "problem", "who", "window_arg"]


class Runner:
    """Calls tools for one answer and keeps every call (args, result, duration)."""

    def __init__(self, ctx: ToolContext):
        self.ctx = ctx
        self.calls: list[ToolCall] = []
        self.sources: list[str] = []

    def __call__(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        # registry.call never raises: a crashing tool comes back as an error result.
        data = call(name, args, self.ctx)[0].to_json()
        self.calls.append(
            ToolCall(
                name=name,
                args=args,
                result=data,
                duration_ms=(time.perf_counter() - started) * 1000.0,
            )
        )
        if data.get("ok") and data.get("status") == "success":
            line = provenance_line(name, data)
            if line not in self.sources:
                self.sources.append(line)
        return data


def window_arg(w: Window) -> str:
    """The tools' window notation: 'YYYY-MM' for a calendar month, else START..END."""
    label = w.label()
    if ".." not in label:
        return label
    fmt = "%Y-%m-%d" if w.start.hour == 0 and w.end.hour == 0 else "%Y-%m-%dT%H:%M"
    return f"{w.start.strftime(fmt)}..{w.end.strftime(fmt)}"


def last_month(now: datetime) -> Window:
    first = now.replace(day=1, hour=0)
    prev = first - timedelta(days=1)
    return month_window(prev.year, prev.month)


def problem(result: dict[str, Any], what: str) -> str | None:
    """The plain sentence for a failed or empty tool result, else None."""
    error = md_escape(result.get("error"), keep_code=True)
    if not result.get("ok"):
        return f"I couldn't get {md_escape(what)}: {error}"
    if result.get("status") == "no_data":
        return f"There is no data for {md_escape(what)}: {error}"
    return None


def label(w: Window) -> str:
    label = w.label()
    return label.replace("..", " to ") + (" (end exclusive)" if ".." in label else "")


def who(e: EntityRef) -> str:
    kind = {"workload": e.controller_kind.lower() if e.controller_kind else "workload"}.get(
        e.kind, e.kind
    )
    where = (
        f" in namespace {md_escape(e.namespace)}" if e.kind == "workload" and e.namespace else ""
    )
    return f"{kind} **{md_escape(e.name)}**{where}"


def how_read(e: EntityRef) -> str:
    if e.how in ("exact", "unresolved"):
        return ""
    return (
        f'\n\n_I read "{md_escape(e.phrase)}" as {e.kind} {md_escape(e.name)} '
        f"({e.how} match, score {e.score:.2f}); name it exactly if you meant something "
        "else._"
    )
