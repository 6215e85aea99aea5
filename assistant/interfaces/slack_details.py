"""A notice's "Why?" press, answered: the details as an Answer, rendered like any answer.

The reply is built by :func:`assistant.notify.details.details` with the scope of the
channel the notice is in (``slack.channels``), and rendered by
:func:`~assistant.interfaces.slack_blocks.answer_blocks`, so it reads exactly like an
answer in a thread: header, text, tables as aligned text, and the sources line.
"""

from __future__ import annotations

import json
import time
from typing import Any

from assistant.capabilities.context import Ctx
from assistant.config import Settings
from assistant.core.answer import Answer
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.interfaces.slack_blocks import answer_blocks
from assistant.notify.details import details

__all__ = ["details_reply", "parse_why"]


def parse_why(value: str) -> tuple[str, str]:
    """The button's ``{"kind", "key"}`` value; InputError for anything else."""
    try:
        data = json.loads(value)
        kind, key = str(data["kind"]), str(data["key"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"Not a Penny notice button: {value[:80]!r}.") from exc
    return kind, key


def details_reply(
    settings: Settings, scope: Scope, kind: str, key: str, thread_id: str
) -> tuple[Answer, str | None, tuple[str, list[dict[str, Any]]]]:
    """(the details as an Answer, the bill month whose charts to upload, Slack blocks)."""
    started = time.perf_counter()
    found = details(Ctx.create(settings, scope), kind, key)
    text = found.markdown.lstrip()
    if not text.startswith("# "):
        text = f"# {found.title}\n\n{text}"
    answer = Answer(
        thread_id=thread_id,
        question=found.title,
        engine="offline",
        text=text,
        provenance=found.provenance,
        duration_ms=(time.perf_counter() - started) * 1000.0,
    )
    return answer, found.bill_month, answer_blocks(answer)
