"""The /v1 routes: chat (JSON or SSE), costs (JSON/CSV), bill (md/html/json) and charts.

Every route takes the caller from :func:`principal` (bearer token → user + scope, rate
limited) and passes that scope to the core function, which enforces it in SQL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Generator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.agent.ask import ask, ask_stream
from assistant.config import Settings
from assistant.core.answer import Answer, AskContext, Event
from assistant.errors import InputError
from assistant.interfaces.auth import Principal, authenticate, team_of
from assistant.interfaces.errors import request_id_of
from assistant.interfaces.headers import BILL_CSP
from assistant.interfaces.sse import EventStream

__all__ = ["ChatRequest", "ChatResponse", "principal", "router"]

log = logging.getLogger("penny.audit")
router = APIRouter(prefix="/v1")

_THREAD_RE = r"^[A-Za-z0-9_.:-]{1,128}$"


def principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """Authenticate the bearer token, then take one request from its rate-limit bucket."""
    settings: Settings = request.app.state.settings
    who = authenticate(settings, authorization)
    request.app.state.limiter.check(who.token_id, who.rate_per_minute)
    return who


Caller = Annotated[Principal, Depends(principal)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    message: str = Field(
        min_length=1,
        max_length=100_000,
        description="The question, e.g. 'top 5 namespaces last month'. "
        "At most server.max_message_chars characters.",
    )
    thread_id: str | None = Field(
        None,
        pattern=_THREAD_RE,
        description="Continue a conversation: the thread_id a previous answer returned.",
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is blank; ask a question")
        return value


class ChatResponse(BaseModel):
    ok: Literal[True] = True
    answer: Answer


_SSE_DOC = (
    "With `Accept: text/event-stream`: one SSE message per event, `event:` being "
    "`tool_call`, `tool_result`, `token` (data `{text}`), then `done` (data `{answer}`) "
    "or `error` (data `{code, message, hint}`)."
)


@router.post(
    "/chat",
    response_model=ChatResponse,
    tags=["chat"],
    summary="Ask Penny a question (JSON, or an SSE stream of typed events)",
    description=_SSE_DOC,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        401: {"description": "Missing or unknown token"},
        413: {"description": "Body too large"},
        422: {"description": "Invalid body"},
        429: {"description": "Rate limit reached (Retry-After)"},
    },
)
def chat(
    body: ChatRequest,
    request: Request,
    who: Caller,
    accept: Annotated[str | None, Header()] = None,
    x_penny_client: Annotated[str | None, Header()] = None,
) -> Any:
    settings: Settings = request.app.state.settings
    if len(body.message) > settings.server.max_message_chars:
        raise InputError(
            f"message is {len(body.message)} characters; the limit is "
            f"{settings.server.max_message_chars}.",
            hint="Shorten it (server.max_message_chars).",
        )
    client_thread = body.thread_id or uuid.uuid4().hex
    channel: Literal["web", "api"] = "web" if x_penny_client == "web" else "api"
    # A thread is private to its user: the same thread_id from another token is another thread.
    ctx = AskContext(
        user=who.user,
        channel=channel,
        thread_id=f"{who.user}/{client_thread}",
        team=team_of(who.scope),
        scope=who.scope,
    )
    engine = request.app.state.engine
    metrics = request.app.state.metrics
    if "text/event-stream" in (accept or ""):
        events = _public_events(
            ask_stream(body.message, ctx, settings, engine=engine),
            client_thread,
            who,
            channel,
            metrics,
        )
        return EventStream(events, request_id=request_id_of(request), settings=settings)
    answer = ask(body.message, ctx, settings, engine=engine)
    answer.thread_id = client_thread
    _audit(who, channel, answer.model_dump(mode="json"))
    metrics.observe_answer(answer.model_dump(mode="json"), who.user, channel)
    return ChatResponse(answer=answer)


def _public_events(
    events: Generator[Event, None, None],
    client_thread: str,
    who: Principal,
    channel: str,
    metrics: Any,
) -> Generator[Event, None, None]:
    with contextlib.closing(events):  # closed here too if the client goes away
        for event in events:
            if event.type == "done":
                answer = dict(event.data.get("answer") or {})
                answer["thread_id"] = client_thread
                _audit(who, channel, answer)
                metrics.observe_answer(answer, who.user, channel)
                event = Event(type="done", data={"answer": answer})
            yield event


def _audit(who: Principal, channel: str, answer: dict[str, Any]) -> None:
    """One log line per answer; the question text itself is in the ledger (if configured)."""
    log.info(
        "user=%s token=%s channel=%s question_id=%s engine=%s tools=%s cost=%s",
        who.user,
        who.token_id,
        channel,
        answer.get("question_id"),
        answer.get("engine"),
        ",".join(t.get("name", "?") for t in answer.get("tool_calls") or []) or "-",
        answer.get("cost"),
    )


@router.get("/me", tags=["auth"], summary="Who this token is and what it may see")
def me(who: Caller) -> dict[str, Any]:
    return {
        "ok": True,
        "user": who.user,
        "token_id": who.token_id,
        "scope": who.scope.model_dump(),
        "rate_per_minute": who.rate_per_minute,
    }


@router.get(
    "/costs",
    tags=["costs"],
    summary="Allocated cost grouped by a dimension (the `penny costs` query)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def costs(
    request: Request,
    who: Caller,
    window: Annotated[
        str, Query(description="2026-10, last-month, 7d or START..END")
    ] = "last-month",
    by: Annotated[
        str,
        Query(
            description="namespace|team|app|env|cost_center|controller|"
            "pod|container|node|cluster|service|label:KEY"
        ),
    ] = "namespace",
    filter: Annotated[list[str], Query(description="KEY=VALUE, repeatable")] = [],  # noqa: B006
    top: Annotated[int | None, Query(ge=1, le=1000)] = None,
    basis: Literal["amortized", "invoice"] = "amortized",
    share_idle: bool | None = None,
    view: Literal["auto", "allocation", "asset"] = "auto",
    format: Literal["json", "csv"] = "json",
) -> Response:
    from assistant.capabilities.context import Ctx
    from assistant.capabilities.costs import CostsRequest, costs

    settings: Settings = request.app.state.settings
    filters: dict[str, str] = {}
    for item in filter:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"filter {item!r} is not KEY=VALUE.", hint="e.g. filter=team=payments")
        filters[key.strip()] = value.strip()
    req = CostsRequest(
        window=window,
        group_by=by,
        filters=filters,
        basis=basis,
        share_idle=share_idle,
        top_n=top,
        view=view,
    )
    report = costs(req, Ctx.create(settings, who.scope))
    if format == "csv":
        return Response(report.to_csv(), media_type="text/csv; charset=utf-8")
    return Response(json.dumps({"ok": True, **report.data()}), media_type="application/json")


def _explanation(request: Request, who: Principal, month: str, compare: str | None) -> Any:
    from assistant.capabilities.bill import BillRequest, bill
    from assistant.capabilities.context import Ctx

    settings: Settings = request.app.state.settings
    report = bill(BillRequest(month=month, compare=compare), Ctx.create(settings, who.scope))
    return report.explanation


@router.get(
    "/bill/{month}",
    tags=["bill"],
    summary="A month's bill explained: totals, reconciliation, drivers, forecast",
    responses={200: {"content": {"text/markdown": {}, "text/html": {}, "application/json": {}}}},
)
def bill(
    month: str,
    request: Request,
    who: Caller,
    format: Literal["md", "html", "json"] = "md",
    compare: str | None = None,
) -> Response:
    from assistant.billing.render import render_bill

    expl = _explanation(request, who, month, compare)
    media = {
        "md": "text/markdown; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "json": "application/json",
    }[format]
    headers = {"content-security-policy": BILL_CSP} if format == "html" else None
    return Response(render_bill(expl, format), media_type=media, headers=headers)


@router.get(
    "/bill/{month}/charts/{name}",
    tags=["bill"],
    summary="One bill chart as SVG or PNG: daily_by_team or waterfall",
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
def bill_chart(
    month: str, name: str, request: Request, who: Caller, compare: str | None = None
) -> Response:
    from assistant.billing.render import chart_images

    match = re.fullmatch(r"(daily_by_team|waterfall)\.(svg|png)", name)
    if match is None:
        raise InputError(
            f"No chart {name!r}.", hint="Use daily_by_team.svg, waterfall.svg (or .png)."
        )
    chart, ext = match.groups()
    images = chart_images(_explanation(request, who, month, compare), ext)  # type: ignore[arg-type]
    if chart not in images:
        from assistant.errors import NotFound

        raise NotFound(f"The {month} bill has no {chart} chart (no data for it).")
    media = "image/svg+xml" if ext == "svg" else "image/png"
    return Response(images[chart], media_type=media)
