"""The tool registry wrapped once as LangChain tools, for one question.

Each wrapper's args schema is the tool's own ``Args`` model (its field descriptions are
what the model reads) and it calls :func:`tools.registry.call`, so both engines share
validation, scope enforcement and the never-raise contract. The result goes back to the
model as JSON inside a ``<tool_output>`` envelope in which ``<`` and ``>`` are escaped:
text planted in a label or pod name cannot close the envelope and pose as instructions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from assistant.core.answer import ToolCall
from tools.registry import ToolContext, ToolSpec, call, load_all

__all__ = ["ToolRecorder", "build_tools", "wrap_output"]


def wrap_output(name: str, result: dict[str, Any]) -> str:
    """The ToolResult JSON as inert data: no raw angle brackets inside the envelope."""
    body = json.dumps(result, ensure_ascii=False, default=str)
    body = body.replace("<", "\\u003c").replace(">", "\\u003e")
    return f'<tool_output name="{name}" kind="data">\n{body}\n</tool_output>'


@dataclass
class ToolRecorder:
    """Collects every tool call of one question, in order, with args and results."""

    calls: list[ToolCall] = field(default_factory=list)
    _reported: set[int] = field(default_factory=set)

    def take(self, name: str) -> ToolCall | None:
        """The oldest finished, not yet reported call of tool ``name`` (streaming events)."""
        for i, done in enumerate(self.calls):
            if i not in self._reported and done.name == name:
                self._reported.add(i)
                return done
        return None


def _make_tool(spec: ToolSpec, ctx: ToolContext, recorder: ToolRecorder) -> BaseTool:
    def run(**kwargs: Any) -> str:
        args = dict(kwargs)  # validated by the Args model, defaults filled in
        result, duration = call(spec.name, args, ctx)
        payload = result.to_json()
        recorder.calls.append(
            ToolCall(name=spec.name, args=_plain(args), result=payload, duration_ms=duration)
        )
        return wrap_output(spec.name, payload)

    return StructuredTool.from_function(
        func=run,
        name=spec.name,
        description=spec.description or spec.name,
        args_schema=spec.args_model,
    )


def _plain(value: Any) -> Any:
    """JSON-safe copy of arguments (enums, dates, nested models)."""
    return json.loads(
        json.dumps(
            value,
            default=lambda v: (
                getattr(v, "value", None)
                or (v.model_dump(mode="json") if hasattr(v, "model_dump") else str(v))
            ),
        )
    )


def build_tools(ctx: ToolContext, recorder: ToolRecorder) -> list[BaseTool]:
    """Every registered tool, bound to this question's context (scope, user, 'now')."""
    return [
        _make_tool(spec, ctx, recorder)
        for spec in sorted(load_all().values(), key=lambda s: s.name)
    ]
