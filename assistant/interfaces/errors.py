"""The one error handler: every failure leaves the API as ``{ok, status, error, errors}``.

``error`` is ``{code, message, hint?}``; ``errors`` lists each invalid field for bad
bodies or parameters (empty otherwise). Routes raise PennyError and never build error
responses themselves, so every error looks the same and carries a next step.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import PennyError

__all__ = ["error_body", "install"]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(
    status: int, error: dict[str, Any], errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"ok": False, "status": status, "error": error, "errors": errors or []}


def _penny(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PennyError)
    status = exc.http_status
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry = exc.context.get("retry_after_s")
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return JSONResponse(error_body(status, exc.to_dict()), status_code=status, headers=headers)


def _field(err: dict[str, Any]) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ())]
    where = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
    item: dict[str, Any] = {
        "field": where or "(body)",
        "in": loc[0] if loc else "body",
        "message": err.get("msg", "invalid"),
    }
    if "input" in err and isinstance(err["input"], (str, int, float, bool)):
        value = err["input"]
        item["got"] = value[:80] + "…" if isinstance(value, str) and len(value) > 80 else value
    return item


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [_field(e) for e in exc.errors()]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return JSONResponse(
        error_body(
            422,
            {
                "code": "invalid_input",
                "message": f"Invalid request: {summary}.",
                "hint": "See the OpenAPI schema at /docs for the expected shape.",
            },
            fields,
        ),
        status_code=422,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(exc.status_code, {"code": code, "message": str(exc.detail)}),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body(
            500,
            {
                "code": "internal_error",
                "message": f"Penny failed: {type(exc).__name__}: {exc}",
                "hint": "This is a bug; the server log has the traceback.",
            },
        ),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(PennyError, _penny)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
