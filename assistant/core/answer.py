"""What every engine returns and streams, so CLI, HTTP and Slack render one shape.

``Answer`` is the finished result; ``Event`` is one item of a stream (``tool_call``,
``tool_result``, ``token``, ``done``, ``error``). ``AskContext`` carries who is asking,
from where, and what they may see.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.core.scope import Scope

__all__ = ["Answer", "AskContext", "Attachment", "Event", "ToolCall", "Usage"]


class AskContext(BaseModel):
    user: str = "cli"
    channel: Literal["cli", "web", "slack", "eval", "api"] = "cli"
    thread_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    team: str | None = None  # the asker's team, for attributing Penny's AI spend
    scope: Scope = Field(default_factory=Scope.everything)


class ToolCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)  # ToolResult.to_json()
    duration_ms: float = 0.0


class Usage(BaseModel):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    model_calls: int = 0


class Attachment(BaseModel):
    kind: Literal["chart", "patch", "report", "table"]
    title: str
    path: str | None = None  # file on disk (PNG/SVG/HTML)
    content: str | None = None  # inline text (patch YAML, markdown)
    media_type: str = "text/plain"


class Answer(BaseModel):
    question_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    thread_id: str
    question: str
    engine: Literal["offline", "llm"]
    model: str | None = None
    text: str  # markdown
    understood: bool = True  # offline engine: False when it could not answer
    tool_calls: list[ToolCall] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    cost: Decimal | None = None  # Penny's own AI cost for this answer (None = unpriced)
    notes: list[str] = Field(default_factory=list)  # e.g. "budget reached: answered offline"
    attachments: list[Attachment] = Field(default_factory=list)
    duration_ms: float = 0.0


class Event(BaseModel):
    type: Literal["tool_call", "tool_result", "token", "done", "error"]
    data: dict[str, Any] = Field(default_factory=dict)
