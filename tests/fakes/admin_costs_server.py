"""A loopback server speaking the cost endpoints of OpenAI's and Anthropic's admin APIs.

* ``GET /v1/organization/costs`` (OpenAI): ``Authorization: Bearer KEY``; ``start_time``/
  ``end_time`` Unix seconds, ``bucket_width=1d``; one bucket per day, ``limit`` buckets a
  page, ``has_more``/``next_page`` paging.
* ``GET /v1/organizations/cost_report`` (Anthropic): ``x-api-key: KEY`` and an
  ``anthropic-version`` header; ``starting_at``/``ending_at`` RFC 3339; amounts are decimal
  strings in cents.

The costs per day are given to the server (``costs[day] = [(project, line_item, $)]``) and
it serves the requested days only, one page per ``page_size`` days, recording each request.
``hold`` (a threading.Event) makes every request wait until it is set: a test can stop a
sync in the middle of a pull.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

__all__ = ["AdminCostsServer"]


class AdminCostsServer:
    def __init__(self, provider: str, key: str, page_size: int = 7) -> None:
        self.provider, self.key, self.page_size = provider, key, page_size
        self.costs: dict[date, list[tuple[str, str, Decimal]]] = {}
        self.requests: list[dict[str, list[str]]] = []
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> AdminCostsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.hold is not None:
            self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        query = parse_qs(url.query)
        self.requests.append(query)
        self.arrived.set()
        if self.hold is not None:
            self.hold.wait(60)
        if self.provider == "openai":
            if url.path != "/v1/organization/costs":
                return self._send(h, 404, {"error": {"message": "no route"}})
            if h.headers.get("authorization") != f"Bearer {self.key}":
                return self._send(h, 401, {"error": {"message": "invalid admin key"}})
            start = datetime.fromtimestamp(int(query["start_time"][0]), UTC).date()
            end = datetime.fromtimestamp(int(query["end_time"][0]), UTC).date()
        else:
            if url.path != "/v1/organizations/cost_report":
                return self._send(h, 404, {"error": {"message": "no route"}})
            if h.headers.get("x-api-key") != self.key or not h.headers.get("anthropic-version"):
                return self._send(h, 401, {"type": "error", "error": {"type": "authentication"}})
            start = date.fromisoformat(query["starting_at"][0][:10])
            end = date.fromisoformat(query["ending_at"][0][:10])
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        first = int(query.get("page", ["0"])[0])
        page = days[first : first + self.page_size]
        more = first + self.page_size < len(days)
        self._send(
            h,
            200,
            {
                **({"object": "page"} if self.provider == "openai" else {}),
                "data": [self._bucket(d) for d in page],
                "has_more": more,
                "next_page": str(first + self.page_size) if more else None,
            },
        )
        return None

    def _bucket(self, day: date) -> dict[str, Any]:
        t0 = datetime(day.year, day.month, day.day, tzinfo=UTC)
        t1 = t0 + timedelta(days=1)
        items = self.costs.get(day, [])
        if self.provider == "openai":
            return {
                "object": "bucket",
                "start_time": int(t0.timestamp()),
                "end_time": int(t1.timestamp()),
                "results": [
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": float(amount), "currency": "usd"},
                        "line_item": line_item,
                        "project_id": project,
                    }
                    for project, line_item, amount in items
                ],
            }
        return {
            "starting_at": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ending_at": t1.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "results": [
                {
                    "currency": "USD",
                    "amount": str(amount * 100),  # cents, as a decimal string
                    "workspace_id": project,
                    "description": line_item,
                    "cost_type": "tokens",
                    "model": None,
                    "token_type": None,
                }
                for project, line_item, amount in items
            ],
        }
