"""A loopback stub of the Slack Web API that records every call the real WebClient makes.

It answers ``auth.test``, ``chat.postMessage``, ``chat.update``, ``users.info`` and the
two-step upload behind ``files_upload_v2`` (``files.getUploadURLExternal``, a POST of the
bytes to the returned URL, ``files.completeUploadExternal``), and receives ``response_url``
posts for slash commands at ``/response/<id>``.

``outage(503)`` makes every Web API call answer like Slack's edge during an incident (an
HTML error page with that status) until ``outage(None)``; ``refuse(channel, error)``
makes ``chat.postMessage`` to that channel fail the way Slack does (``ok: false``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str  # 'chat.postMessage', 'upload', 'response', …
    body: dict[str, Any]
    raw_size: int


class SlackStub:
    def __init__(self, emails: dict[str, str] | None = None) -> None:
        self.calls: list[Call] = []
        self.emails = emails or {}
        self.down_status: int | None = None
        self.refused: dict[str, str] = {}
        self._lock = threading.Lock()
        self._ts = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub._handle(self, raw)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    def outage(self, status: int | None) -> None:
        """Answer every Web API call with this HTTP status and an HTML page (None: recover)."""
        self.down_status = status

    def refuse(self, channel: str, error: str = "not_in_channel") -> None:
        self.refused[channel] = error

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def named(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived (answers run after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"{method} called {len(self.named(method))} times, wanted {count}; "
            f"calls: {[c.method for c in self.calls]}"
        )

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"1790000000.{self._ts:06d}"

    def _handle(self, h: BaseHTTPRequestHandler, raw: bytes) -> None:
        ctype = h.headers.get("Content-Type", "")
        path = h.path.split("?")[0]
        if path.startswith("/upload/"):
            body: dict[str, Any] = {}  # the file's bytes: only their size
        elif ctype.startswith("application/json"):
            body = json.loads(raw or b"{}")
        elif ctype.startswith("application/x-www-form-urlencoded"):
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = {}
        if "?" in h.path:
            body.update({k: v[0] for k, v in parse_qs(h.path.split("?", 1)[1]).items()})
        method = path.removeprefix("/api/") if path.startswith("/api/") else path.split("/")[1]
        if self.down_status is not None and path.startswith("/api/"):
            page = b"<html><body><h1>Service Unavailable</h1></body></html>"
            with self._lock:
                self.calls.append(Call(f"{method}!{self.down_status}", body, len(raw)))
            h.send_response(self.down_status)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", str(len(page)))
            h.end_headers()
            h.wfile.write(page)
            return
        with self._lock:
            self.calls.append(Call(method, body, len(raw)))
        reply: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            reply.update(user_id="UPENNY", bot_id="BPENNY", team_id="T1", user="penny")
        elif method == "chat.postMessage" and body.get("channel") in self.refused:
            reply = {"ok": False, "error": self.refused[body["channel"]]}
        elif method in ("chat.postMessage", "chat.update"):
            reply.update(channel=body.get("channel"), ts=body.get("ts") or self._next_ts())
        elif method == "users.info":
            user = body.get("user", "")
            reply["user"] = {"id": user, "profile": {"email": self.emails.get(user)}}
        elif method == "files.getUploadURLExternal":
            fid = f"F{len(self.calls)}"
            reply.update(upload_url=f"{self.root}/upload/{fid}", file_id=fid)
        elif method == "files.completeUploadExternal":
            reply["files"] = [
                {"id": f["id"], "title": f.get("title")}
                for f in json.loads(body.get("files", "[]"))
            ]
        elif method in ("upload", "response"):
            data = b"OK" if method == "upload" else b"ok"
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        data = json.dumps(reply).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
