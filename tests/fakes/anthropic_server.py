"""A loopback server speaking Anthropic's Messages protocol (JSON and SSE streaming).

Point the real SDK at it with ``base_url=server.root`` (or ``ANTHROPIC_BASE_URL``).
Usage follows Anthropic: ``input_tokens`` EXCLUDES ``cache_read_input_tokens`` and
``cache_creation_input_tokens``; the streaming ``message_delta`` carries the cumulative
usage, as the live API does.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.scripted import Reply, ScriptedServer

__all__ = ["AnthropicServer"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class AnthropicServer(ScriptedServer):
    default_model = "claude-haiku-4-5-20251001"

    @property
    def base_url(self) -> str:
        return self.root

    def respond(
        self, handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply | None
    ) -> None:
        if not handler.path.rstrip("/").endswith("/v1/messages"):
            self._error(handler, 404, f"no route {handler.path}")
            return
        if reply is None:
            self._error(handler, 500, "script exhausted")
            return
        if reply.status != 200:
            self._error(handler, reply.status, reply.error_message)
            return
        n = len(self.requests)
        mid = f"msg_fake{n}"
        model = reply.model or self.default_model
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        for i, tc in enumerate(reply.tool_calls):
            content.append(
                {
                    "type": "tool_use",
                    "id": tc.id or f"toolu_{n}_{i}",
                    "name": tc.name,
                    "input": tc.args,
                }
            )
        stop = "tool_use" if reply.tool_calls else "end_turn"
        usage = {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": reply.cache_write_tokens,
            "cache_read_input_tokens": reply.cached_tokens,
            "output_tokens": reply.output_tokens,
            "service_tier": "standard",
        }
        if body.get("stream"):
            self._stream(handler, mid, model, content, stop, usage)
            return
        self.send_json(
            handler,
            200,
            {
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            },
            headers={"request-id": f"req_fake{n}"},
        )

    def _error(self, handler: BaseHTTPRequestHandler, status: int, message: str) -> None:
        self.send_json(
            handler,
            status,
            {
                "type": "error",
                "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message},
            },
        )

    def _stream(
        self,
        handler: BaseHTTPRequestHandler,
        mid: str,
        model: str,
        content: list[dict[str, Any]],
        stop: str,
        usage: dict[str, Any],
    ) -> None:
        start_usage = dict(usage, output_tokens=1)
        events: list[tuple[str | None, str]] = [
            (
                "message_start",
                json.dumps(
                    {
                        "type": "message_start",
                        "message": {
                            "id": mid,
                            "type": "message",
                            "role": "assistant",
                            "model": model,
                            "content": [],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": start_usage,
                        },
                    }
                ),
            )
        ]
        for i, block in enumerate(content):
            if block["type"] == "text":
                events.append(
                    (
                        "content_block_start",
                        json.dumps(
                            {
                                "type": "content_block_start",
                                "index": i,
                                "content_block": {"type": "text", "text": ""},
                            }
                        ),
                    )
                )
                text = block["text"]
                for j in range(0, len(text), 12):
                    events.append(
                        (
                            "content_block_delta",
                            json.dumps(
                                {
                                    "type": "content_block_delta",
                                    "index": i,
                                    "delta": {"type": "text_delta", "text": text[j : j + 12]},
                                }
                            ),
                        )
                    )
            else:
                events.append(
                    (
                        "content_block_start",
                        json.dumps(
                            {
                                "type": "content_block_start",
                                "index": i,
                                "content_block": {
                                    "type": "tool_use",
                                    "id": block["id"],
                                    "name": block["name"],
                                    "input": {},
                                },
                            }
                        ),
                    )
                )
                args = json.dumps(block["input"])
                half = len(args) // 2
                for part in (args[:half], args[half:]):
                    events.append(
                        (
                            "content_block_delta",
                            json.dumps(
                                {
                                    "type": "content_block_delta",
                                    "index": i,
                                    "delta": {"type": "input_json_delta", "partial_json": part},
                                }
                            ),
                        )
                    )
            events.append(
                ("content_block_stop", json.dumps({"type": "content_block_stop", "index": i}))
            )
        events.append(
            (
                "message_delta",
                json.dumps(
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": stop, "stop_sequence": None},
                        "usage": {k: v for k, v in usage.items() if k != "service_tier"},
                    }
                ),
            )
        )
        events.append(("message_stop", json.dumps({"type": "message_stop"})))
        self.send_sse(handler, events)
