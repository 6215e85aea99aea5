"""A threaded loopback HTTP server that answers from a script and records requests."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["RecordedRequest", "Reply", "ScriptedServer", "ToolUse"]


@dataclass
class ToolUse:
    name: str
    args: dict[str, Any]
    id: str | None = None


@dataclass
class Reply:
    """One scripted model response.

    Token fields use each protocol's own meaning: for OpenAI ``input_tokens`` is
    ``prompt_tokens`` (cached included); for Anthropic it is the uncached ``input_tokens``.
    ``status`` other than 200 sends that HTTP error instead (e.g. 401, 429, 500).
    """

    text: str = ""
    tool_calls: list[ToolUse] = field(default_factory=list)
    input_tokens: int = 0
    cached_tokens: int = 0  # OpenAI cached_tokens / Anthropic cache_read_input_tokens
    cache_write_tokens: int = 0  # Anthropic cache_creation_input_tokens
    output_tokens: int = 0
    reasoning_tokens: int = 0  # OpenAI completion_tokens_details.reasoning_tokens
    model: str | None = None
    status: int = 200
    error_message: str = "scripted error"
    #: seconds the server waits before answering: a slow model, mid-stream
    delay_s: float = 0.0


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ScriptedServer:
    """Subclasses implement :meth:`respond` for their protocol."""

    default_model = "model"

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies: list[Reply] = list(replies or [])
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with server._lock:
                    server.requests.append(
                        RecordedRequest(
                            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                        )
                    )
                    reply = server.replies.pop(0) if server.replies else None
                server.respond(self, body, reply)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- helpers for subclasses ----------------------------------------------------------
    def respond(
        self, handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply | None
    ) -> None:
        raise NotImplementedError

    @staticmethod
    def send_json(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def send_sse(handler: BaseHTTPRequestHandler, events: list[tuple[str | None, str]]) -> None:
        """Send Server-Sent Events (event name or None, data line), then close."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for name, data in events:
            chunk = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
            handler.wfile.write(chunk.encode())
            handler.wfile.flush()
        handler.close_connection = True

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests]
