"""Tool calls for one offline answer, and the phrases every plan shares.

:class:`Runner` calls tools only through ``tools.registry.call`` (so the asker's scope
applies) and keeps each call with its arguments, result and duration for the Answer, plus
one provenance line per successful result. ``report`` hands plans the capability's typed
report (plans read fields, never string keys out of the tool's JSON). ``when`` says a window
the way an answer must: a month that is not over is "month to date", a window that runs
past the data says where the data ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from assistant.agent.offline.refs import EntityRef
from assistant.agent.offline.templates import provenance_line
from assistant.core.answer import ToolCall
from assistant.core.markdown import md_escape
from assistant.core.timestamps import hour, hour_utc
from assistant.windows import Window, month_window
from tools.registry import ToolContext, call_report

__all__ = [
    "Runner",
    "how_read",
    "label",
    "last_month",
    "problem",
    "who",
    "window_arg",
]

R = TypeVar("R", bound=BaseModel)


class Runner:
    """Calls tools for one answer and keeps every call (args, result, duration)."""

    def __init__(self, ctx: ToolContext, span: tuple[datetime, datetime] | None = None):
        self.ctx = ctx
        self.calls: list[ToolCall] = []
        self.sources: list[str] = []
        self.span = span  # (first hour, hour after the last) of the allocation
        self.refused = False  # the plan could not answer (said why, no figure)
        self.last_error: str | None = None  # the last failed or empty result's reason

    def report(
        self, name: str, args: dict[str, Any], model: type[R], *, what: str | None = None
    ) -> tuple[R | None, str | None]:
        """The capability's typed report through tool ``name`` (its scope, validation and
        never-raise rules), or (None, the sentence why not). The call is kept as the tool
        call a model would have made: its arguments and its JSON result."""
        result, report, duration = call_report(name, args, self.ctx)
        data = result.to_json()
        self.calls.append(ToolCall(name=name, args=args, result=data, duration_ms=duration))
        msg = problem(data, what or _what(name, args))
        if msg is not None:
            self.last_error = str(data.get("error") or "")
            return None, msg
        line = provenance_line(name, data)
        if line not in self.sources:
            self.sources.append(line)
        if not isinstance(report, model):  # a tool without a capability: its JSON, typed
            return model.model_validate(data["data"]), None
        return report, None

    @property
    def data_end(self) -> datetime | None:
        return self.span[1] if self.span else None

    def when(self, w: Window) -> str:
        """The window's label, saying "month to date" / where the data ends when it must."""
        text = label(w)
        end = self.data_end
        month_start = w.start.day == 1 and w.start.hour == 0
        to_date = month_start and w.end <= month_window(w.start.year, w.start.month).end
        if end is not None and w.end > end and w.start < end:
            last = end - timedelta(hours=1)
            if to_date:  # a calendar month, or a month so far
                ends = f"{hour(last)}"
                text = f"{w.start:%Y-%m} so far (month to date: the data ends {ends} UTC)"
            else:
                text += f" (the data ends {hour_utc(last)})"
        elif to_date and w.label().count("-") != 1 and w.end >= self.ctx.now:
            text = f"{w.start:%Y-%m} so far (month to date, to {hour_utc(w.end)})"
        elif w.start.hour or w.end.hour:
            text += " (partial first and last days: hours as shown, UTC)"
        if self.span is not None and w.start < self.span[0] < w.end:
            text += f" (the data starts {self.span[0]:%Y-%m-%d})"
        return text


def _what(name: str, args: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in args.items() if v not in (None, {}, [], "")]
    return f"{name} ({', '.join(parts)})" if parts else name


def window_arg(w: Window) -> str:
    """The tools' window notation: 'YYYY-MM' for a calendar month, else START..END (the
    window's own label, which ``parse_window`` reads back)."""
    return w.label()


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
    text = w.label()
    return text.replace("..", " to ") + (" (end exclusive)" if ".." in text else "")


def who(e: EntityRef) -> str:
    kind = {"workload": e.controller_kind.lower() if e.controller_kind else "workload"}.get(
        e.kind, e.kind
    )
    where = (
        f" in namespace {md_escape(e.namespace)}" if e.kind == "workload" and e.namespace else ""
    )
    return f"{kind} **{md_escape(e.name)}**{where}"


def how_read(e: EntityRef) -> str:
    if e.how in ("exact", "unresolved", "alias", "missing"):
        return ""
    return (
        f'\n\n_I read "{md_escape(e.phrase)}" as {e.kind} {md_escape(e.name)} '
        f"({e.how} match, score {e.score:.2f}); name it exactly if you meant something "
        "else._"
    )
