"""Server-sent events: one typed ``Event`` per SSE message (``event:`` = its type).

:class:`EventStream` owns the answer's generator for the whole response and closes it
on every way a response can end: the last event, an error, the server cancelling the
task, or the client hanging up mid-stream. Closing runs the generator's ``finally``
blocks, so whatever the turn holds (a ledger or warehouse handle) is released at once,
not whenever the generator happens to be garbage-collected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from assistant.config import Settings
from assistant.core.answer import Event
from assistant.errors import PennyError
from assistant.interfaces.errors import internal_error, public_error

__all__ = ["EventStream", "encode", "guarded"]

log = logging.getLogger(__name__)

_END = object()


def encode(event: Event) -> str:
    """``event: <type>\\ndata: <json>\\n\\n``; JSON has no raw newlines, so one data line."""
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    return f"event: {event.type}\ndata: {data}\n\n"


def guarded(
    events: Iterator[Event], request_id: str = "-", settings: Settings | None = None
) -> Generator[str, None, None]:
    """Encode a stream; a failure mid-stream becomes a final ``error`` event, not a cut.

    Error events carry what any API error carries (code, message, hint, request id) and
    nothing else: their context goes to the server log.
    """
    try:
        for event in events:
            if event.type == "error":
                log.info("request_id=%s stream error: %s", request_id, event.data)
                event = Event(type="error", data=public_error(event.data, request_id, settings))
            yield encode(event)
    except PennyError as exc:
        log.info("request_id=%s stream error: %s %s", request_id, exc.code, exc.context)
        yield encode(Event(type="error", data=public_error(exc.to_dict(), request_id, settings)))
    except Exception as exc:  # the stream has started: the status line is already sent
        log.error("request_id=%s chat stream failed", request_id, exc_info=exc)
        yield encode(Event(type="error", data=public_error(internal_error(request_id), request_id)))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def _next(iterator: Iterator[str]) -> Any:
    return next(iterator, _END)


class EventStream(StreamingResponse):
    """``text/event-stream`` of ``events`` that always closes the events' generator."""

    def __init__(
        self,
        events: Iterator[Event],
        *,
        request_id: str,
        settings: Settings | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._chunks = guarded(events, request_id, settings)
        super().__init__(
            self._pump(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", **(headers or {})},
        )

    async def _pump(self) -> AsyncIterator[str]:
        while True:
            # not abandoned on cancel: a cancelled request waits for this step to finish,
            # so the generator is never closed while it is running
            chunk = await run_in_threadpool(_next, self._chunks)
            if chunk is _END:
                return
            yield chunk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._chunks.close)
