"""MCP over streamable HTTP at ``/mcp`` in `penny serve`, behind the API's bearer tokens.

The token is checked (and its rate-limit bucket charged) here, before the MCP SDK sees
the request, with the same :func:`~assistant.interfaces.auth.authenticate` as ``/v1``:
a missing or unknown token is a 401 in the API's one error shape. The principal is left
on the ASGI scope for the MCP handlers, so scope comes from each request's own token —
never from a session another token opened. The transport is stateless (one JSON
response per request): Penny's tools never call back into the client.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.types import Receive, Scope, Send

from assistant.config import Settings
from assistant.errors import PennyError
from assistant.interfaces.auth import authenticate
from assistant.interfaces.errors import error_body
from assistant.interfaces.ratelimit import RateLimiter

__all__ = ["McpEndpoint"]


class McpEndpoint:
    """The ASGI app mounted at ``/mcp``; :meth:`running` must wrap the app's lifespan."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
        from mcp.server.transport_security import TransportSecuritySettings

        from assistant.interfaces.mcp_server import build_server

        self.settings, self.limiter = settings, limiter
        self.manager = StreamableHTTPSessionManager(
            app=build_server(settings, default_scope=None),
            json_response=True,
            stateless=True,
            # Host/Origin checks guard token-less local servers against DNS rebinding; every
            # request here carries a bearer token a rebinding page cannot have.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._running = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            self._running = True
            try:
                yield
            finally:
                self._running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if not self._running:
            await _reply(
                send,
                503,
                {
                    "code": "mcp_not_started",
                    "message": "The MCP endpoint is not running (the server started without "
                    "its lifespan).",
                    "hint": "Run `penny serve` (uvicorn with lifespan on).",
                },
            )
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            who = authenticate(self.settings, headers.get("authorization"))
            self.limiter.check(who.token_id, who.rate_per_minute)
        except PennyError as exc:
            extra = (
                {"retry-after": str(exc.context["retry_after_s"])}
                if exc.context.get("retry_after_s")
                else {}
            )
            if exc.http_status == 401:
                extra["www-authenticate"] = "Bearer"
            await _reply(send, exc.http_status, exc.to_dict(), extra)
            return
        from assistant.interfaces.mcp_server import PRINCIPAL_KEY

        await self.manager.handle_request({**scope, PRINCIPAL_KEY: who}, receive, send)


async def _reply(
    send: Send, status: int, error: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(error_body(status, error)).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
