"""A loopback server speaking OpenAI's Chat Completions protocol (JSON and SSE streaming).

Point the real SDK at it with ``base_url=f"{server.root}/v1"`` (or ``OPENAI_BASE_URL``).
Usage follows OpenAI: ``prompt_tokens`` includes ``prompt_tokens_details.cached_tokens``
and ``completion_tokens`` includes ``completion_tokens_details.reasoning_tokens``.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.scripted import Reply, ScriptedServer

__all__ = ["OpenAIServer"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
}


class OpenAIServer(ScriptedServer):
    default_model = "gpt-4o-mini-2024-07-18"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def respond(
        self, handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply | None
    ) -> None:
        if not handler.path.endswith("/chat/completions"):
            self.send_json(
                handler,
                404,
                {"error": {"message": f"no route {handler.path}", "type": "invalid_request_error"}},
            )
            return
        if reply is None:
            self.send_json(
                handler, 500, {"error": {"message": "script exhausted", "type": "server_error"}}
            )
            return
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.status != 200:
            code = "invalid_api_key" if reply.status == 401 else None
            self.send_json(
                handler,
                reply.status,
                {
                    "error": {
                        "message": reply.error_message,
                        "type": _ERROR_TYPES.get(reply.status, "error"),
                        "param": None,
                        "code": code,
                    }
                },
            )
            return
        n = len(self.requests)
        rid = f"chatcmpl-fake{n}"
        model = reply.model or self.default_model
        usage = {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
            "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": reply.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        tool_calls = [
            {
                "id": tc.id or f"call_{n}_{i}",
                "type": "function",
                "function": {"name": tc.name, "arguments": json.dumps(tc.args)},
            }
            for i, tc in enumerate(reply.tool_calls)
        ]
        finish = "tool_calls" if tool_calls else "stop"
        if body.get("stream"):
            self._stream(
                handler,
                rid,
                model,
                reply.text,
                tool_calls,
                finish,
                usage,
                include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
            )
            return
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text or None,
            "refusal": None,
        }
        if tool_calls:
            message["tool_calls"] = tool_calls
        self.send_json(
            handler,
            200,
            {
                "id": rid,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
            },
        )

    def _stream(
        self,
        handler: BaseHTTPRequestHandler,
        rid: str,
        model: str,
        text: str,
        tool_calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, Any],
        *,
        include_usage: bool,
    ) -> None:
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            return json.dumps(
                {
                    "id": rid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "system_fingerprint": "fp_fake",
                    "choices": [
                        {
                            "index": 0,
                            "delta": delta,
                            "logprobs": None,
                            "finish_reason": finish_reason,
                        }
                    ],
                }
            )

        events: list[tuple[str | None, str]] = [
            (None, chunk({"role": "assistant", "content": "", "refusal": None}))
        ]
        # Text in a few pieces, as a real stream does
        pieces = [text[i : i + 12] for i in range(0, len(text), 12)]
        events += [(None, chunk({"content": p})) for p in pieces]
        for i, tc in enumerate(tool_calls):
            args = tc["function"]["arguments"]
            events.append(
                (
                    None,
                    chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": tc["id"],
                                    "type": "function",
                                    "function": {"name": tc["function"]["name"], "arguments": ""},
                                }
                            ]
                        }
                    ),
                )
            )
            half = len(args) // 2
            for part in (args[:half], args[half:]):
                events.append(
                    (None, chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]}))
                )
        events.append((None, chunk({}, finish)))
        if include_usage:
            events.append(
                (
                    None,
                    json.dumps(
                        {
                            "id": rid,
                            "object": "chat.completion.chunk",
                            "created": created,
                            "model": model,
                            "system_fingerprint": "fp_fake",
                            "choices": [],
                            "usage": usage,
                        }
                    ),
                )
            )
        events.append((None, "[DONE]"))
        self.send_sse(handler, events)
