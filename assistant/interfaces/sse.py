"""Server-sent events: one typed ``Event`` per SSE message (``event:`` = its type)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from assistant.core.answer import Event
from assistant.errors import PennyError

__all__ = ["encode", "guarded"]

log = logging.getLogger(__name__)


def encode(event: Event) -> str:
    """``event: <type>\\ndata: <json>\\n\\n``; JSON has no raw newlines, so one data line."""
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    return f"event: {event.type}\ndata: {data}\n\n"


def guarded(events: Iterator[Event]) -> Iterator[str]:
    """Encode a stream; a failure mid-stream becomes a final ``error`` event, not a cut."""
    try:
        for event in events:
            yield encode(event)
    except PennyError as exc:
        yield encode(Event(type="error", data=exc.to_dict()))
    except Exception as exc:  # the stream has started: the status line is already sent
        log.exception("chat stream failed")
        yield encode(
            Event(
                type="error",
                data={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"},
            )
        )
