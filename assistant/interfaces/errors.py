"""The one error handler: every failure leaves the API as ``{ok, status, error, errors}``.

``error`` is ``{code, message, hint?, request_id}``; ``errors`` lists each invalid field
for bad bodies or parameters (empty otherwise). Routes raise PennyError and never build
error responses themselves, so every error looks the same and carries a next step.

What a client sees is written for a person using Penny, not for its operator: the
error's context (paths, SQL, source URLs) and any unexpected exception stay in the server
log under the request id, and messages are scrubbed of local paths, the interpreter and
process ids (a lock error from DuckDB names all three). The SSE stream and the Slack bot
render their errors through :func:`public_error` too, so one rule covers every channel.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.config import Settings
from assistant.errors import PennyError

__all__ = [
    "REQUEST_ID_HEADER",
    "SafeJSONResponse",
    "error_body",
    "install",
    "internal_error",
    "new_request_id",
    "public_error",
    "redact",
    "request_id_of",
]

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"

_HTTP_CODES = {
    400: "invalid_input",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

#: absolute paths under the usual roots of a Unix host, and process ids in lock errors
_PATH_RE = re.compile(
    r"(?<![\w/.~-])/(?:home|tmp|usr|var|opt|root|etc|srv|mnt|proc|private|Users|work|nix|"
    r"lib|lib64|run|data|app|workspace)(?:/[^\s'\"(),;]*)?"
)
_PID_RE = re.compile(r"\b(PID|pid)([ =:#]+)\d+")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def request_id_of(request: Request) -> str:
    """The id the edge middleware gave this request (a fresh one if it ran without it)."""
    rid = getattr(request.state, "request_id", None)
    if not rid:
        rid = new_request_id()
        request.state.request_id = rid
    return str(rid)


def _private_prefixes(settings: Settings | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if settings is not None:
        pairs += [
            (str(settings.db_path), "$PENNY_DB"),
            (str(settings.db_path.parent), "$PENNY_HOME"),
            (str(settings.home), "$PENNY_HOME"),
        ]
    pairs += [
        (sys.executable, "the Python interpreter"),
        (sys.prefix, "<python>"),
        (sys.base_prefix, "<python>"),
        (tempfile.gettempdir(), "<tmp>"),
        (os.path.expanduser("~"), "~"),
    ]
    # longest first, so a file inside the home is named before the home itself
    return sorted({p: r for p, r in pairs if p and p != "/"}.items(), key=lambda kv: -len(kv[0]))


def redact(text: str, settings: Settings | None = None) -> str:
    """``text`` without this host's paths, interpreter and process ids."""
    for prefix, replacement in _private_prefixes(settings):
        text = text.replace(prefix, replacement)
    text = _PID_RE.sub(r"\1\2<n>", text)
    return _PATH_RE.sub("<path>", text)


def _valid_unicode(value: Any) -> Any:
    """Strings that UTF-8 can encode: a lone surrogate from a client becomes U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [_valid_unicode(v) for v in value]
    if isinstance(value, dict):
        return {str(_valid_unicode(k)): _valid_unicode(v) for k, v in value.items()}
    return value


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: input echoed back may hold lone surrogates."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            _valid_unicode(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")


def public_error(
    error: dict[str, Any], request_id: str, settings: Settings | None = None
) -> dict[str, Any]:
    """The client's view of an error dict (``PennyError.to_dict()`` shape): code, message,
    hint and the request id; the context stays in the server log."""
    out: dict[str, Any] = {
        "code": str(error.get("code") or "penny_error"),
        "message": redact(str(error.get("message") or "Request failed."), settings),
    }
    if error.get("hint"):
        out["hint"] = redact(str(error["hint"]), settings)
    out["request_id"] = request_id
    return _valid_unicode(out)  # type: ignore[no-any-return]


def error_body(
    status: int, error: dict[str, Any], errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"ok": False, "status": status, "error": error, "errors": errors or []}


def _settings(request: Request) -> Settings | None:
    return getattr(request.app.state, "settings", None)


def _respond(
    request: Request,
    status: int,
    error: dict[str, Any],
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    rid = request_id_of(request)
    return SafeJSONResponse(
        error_body(status, public_error(error, rid, _settings(request)), errors),
        status_code=status,
        headers={**(headers or {}), REQUEST_ID_HEADER: rid},
    )


def _penny(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PennyError)
    status = exc.http_status
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry = exc.context.get("retry_after_s")
    if retry is not None:
        headers["Retry-After"] = str(retry)
    level = logging.WARNING if status >= 500 else logging.INFO
    log.log(
        level,
        "request_id=%s %s %s -> %s %s: %s context=%s",
        request_id_of(request),
        request.method,
        request.url.path,
        status,
        exc.code,
        exc.message,
        exc.context,
    )
    return _respond(request, status, exc.to_dict(), headers=headers)


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
    return _respond(
        request,
        422,
        {
            "code": "invalid_input",
            "message": f"Invalid request: {summary}.",
            "hint": "See the OpenAPI schema at /docs for the expected shape.",
        },
        fields,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _respond(
        request,
        exc.status_code,
        {"code": code, "message": str(exc.detail)},
        headers=dict(exc.headers or {}),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    rid = request_id_of(request)
    log.error(
        "request_id=%s unhandled error on %s %s",
        rid,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return _respond(request, 500, internal_error(rid))


def internal_error(request_id: str) -> dict[str, Any]:
    """What a client is told about a bug: that it happened, and the id to report."""
    return {
        "code": "internal_error",
        "message": f"Penny hit an internal error (request {request_id}).",
        "hint": "Retry; if it happens again, give the request id to your Penny operator "
        "(the server log has the details).",
    }


def install(app: FastAPI) -> None:
    app.add_exception_handler(PennyError, _penny)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
