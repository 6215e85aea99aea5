"""The HTTP app: ``create_app(settings)`` builds the FastAPI application `penny serve` runs.

Thin by design: routes parse and validate, call one core function (``ask``,
``query_costs``, ``explain_bill``) with the caller's scope, and render. Authentication,
rate limiting, body limits, metrics and the one error shape are wired here once, so
every route behaves the same. Slack's HTTP mode is mounted at ``/slack/events`` when a
bot token and signing secret are configured.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings
from assistant.errors import InputError
from assistant.interfaces import errors
from assistant.interfaces.errors import (
    REQUEST_ID_HEADER,
    error_body,
    new_request_id,
    public_error,
)
from assistant.interfaces.headers import security_headers
from assistant.interfaces.metrics import Metrics
from assistant.interfaces.opencost_api import router as opencost_router
from assistant.interfaces.ratelimit import RateLimiter
from assistant.interfaces.readiness import readiness, slack_state
from assistant.interfaces.routes import router

__all__ = ["WEB_DIR", "create_app", "max_body_bytes"]

WEB_DIR = Path(__file__).resolve().parent / "web"


#: MCP carries tool arguments, not chat messages: review_change takes two manifests of up
#: to 200,000 characters each, so /mcp accepts up to 2 MiB
MCP_MAX_BODY_BYTES = 2 * 1024 * 1024


def max_body_bytes(settings: Settings, path: str = "") -> int:
    """Largest request body accepted: the longest message in UTF-8 plus JSON overhead
    (for /mcp, the largest tool arguments)."""
    if path == "/mcp":
        return MCP_MAX_BODY_BYTES
    return settings.server.max_message_chars * 4 + 4096


class _Edge:
    """Pure ASGI middleware: names every request, adds the security headers, refuses
    oversize bodies early and times every request.

    Timing ends at the last body chunk, so a streamed answer is measured to its end.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, settings: Settings) -> None:
        self.app, self.metrics, self.settings = app, metrics, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        extra = [
            (k.encode(), v.encode())
            for k, v in {
                **security_headers(scope.get("path", "")),
                REQUEST_ID_HEADER.lower(): rid,
            }.items()
        ]
        limit = max_body_bytes(self.settings, scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            shown = length.decode(errors="replace")[:40]
            body = json.dumps(
                error_body(
                    413,
                    public_error(
                        {
                            "code": "payload_too_large",
                            "message": f"The request body is {shown} bytes; the limit is {limit}.",
                            "hint": "Shorten the message (server.max_message_chars).",
                        },
                        rid,
                    ),
                )
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            self._observe(scope, 413, started)
            return

        received = 0

        async def counted_receive() -> Message:
            # a chunked body has no Content-Length: count it as it arrives
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise StarletteHTTPException(
                        413, f"The request body is over {limit} bytes, the limit."
                    )
            return message

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                present = {k.lower() for k, _ in message.get("headers") or []}
                message = {
                    **message,
                    "headers": [
                        *(message.get("headers") or []),
                        *((k, v) for k, v in extra if k not in present),
                    ],
                }
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self._observe(scope, status, started)

        await self.app(scope, counted_receive, timed_send)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        self.metrics.observe_request(
            scope.get("method", "?"), path, status, time.perf_counter() - started
        )


def create_app(
    settings: Settings, *, engine: str = "auto", limiter: RateLimiter | None = None
) -> FastAPI:
    """The whole HTTP surface: chat page, /v1 API, the OpenCost-compatible API, /mcp,
    /healthz, /metrics and Slack events."""
    from assistant.interfaces.mcp_http import McpEndpoint

    limiter = limiter or RateLimiter()
    mcp = McpEndpoint(settings, limiter)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.running():
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="Penny",
        version=_version(),
        description="Ask what your Kubernetes cluster costs. Every /v1 route needs "
        "`Authorization: Bearer <token>` (see `penny token create`). Errors are "
        "always `{ok: false, status, error: {code, message, hint}, errors: [...]}`.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.metrics = Metrics()
    app.state.limiter = limiter
    app.state.mcp = mcp
    errors.install(app)
    app.include_router(router)
    from assistant.interfaces.budget_routes import router as budget_router
    from assistant.interfaces.status_routes import router as status_router

    app.include_router(status_router)
    app.include_router(budget_router)
    app.include_router(opencost_router)
    # MCP (streamable HTTP) for agents: same tokens and scopes as /v1 (docs/mcp.md)
    app.router.routes.append(
        Route("/mcp", endpoint=mcp, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    )

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/healthz", tags=["ops"], summary="Liveness and warehouse presence")
    def healthz() -> dict[str, Any]:
        return {
            "ok": True,
            "status": "ok",
            "version": app.version,
            "warehouse": settings.db_path.exists(),
            "slack": slack_state(app),
        }

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Readiness: each component's state; Slack down is 'degraded', still 200",
        responses={503: {"description": "A component named in ?require is not ok"}},
    )
    def readyz(require: str | None = None) -> Response:
        body = readiness(app, settings)
        wanted = [c.strip() for c in (require or "").split(",") if c.strip()]
        unknown = [c for c in wanted if c not in body["components"]]
        if unknown:
            raise InputError(
                f"No component {', '.join(map(repr, unknown))} to require.",
                hint=f"Use one of: {', '.join(body['components'])}.",
            )
        failing = [c for c in wanted if body["components"][c]["state"] != "ok"]
        return Response(
            json.dumps({**body, "required": wanted, "failing": failing}),
            status_code=503 if failing else 200,
            media_type="application/json",
        )

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=PlainTextResponse,
        summary="Prometheus exposition of Penny's own requests, latency, tokens, AI cost",
    )
    def metrics() -> Response:
        from assistant.service.scheduler import SystemClock
        from assistant.service.status import status_metrics

        lines = status_metrics(settings, SystemClock().now())
        return PlainTextResponse(
            app.state.metrics.render() + "\n".join(lines) + "\n",
            media_type="text/plain; version=0.0.4; charset=utf-8",
        )

    _mount_slack(app, settings)
    app.add_middleware(_Edge, metrics=app.state.metrics, settings=settings)
    return app


def _mount_slack(app: FastAPI, settings: Settings) -> None:
    slack = settings.slack
    if slack.bot_token is None or slack.signing_secret is None:
        app.state.slack = None
        return
    from starlette.concurrency import run_in_threadpool

    from assistant.interfaces.slack_app import SlackBot

    bot = SlackBot(settings, metrics=app.state.metrics)
    app.state.slack = bot
    bot.start()  # checks the token in the background; the app serves meanwhile
    app.router.on_shutdown.append(bot.stop)

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        status, headers, content = await run_in_threadpool(
            bot.dispatch_http,
            body.decode("utf-8", errors="replace"),
            dict(request.query_params),
            dict(request.headers),
        )
        return Response(content=content, status_code=status, headers=headers)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("penny-finops")
    except Exception:
        return "0+unknown"
