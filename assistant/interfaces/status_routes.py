"""`GET /v1/status`: sources, scheduled jobs and the warehouse snapshot (any valid token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from assistant.interfaces.routes import Caller
from assistant.service.scheduler import SystemClock
from assistant.service.status import status

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.get("/status", tags=["ops"], summary="Each source's last success, lag and last error")
async def get_status(request: Request, who: Caller) -> dict[str, Any]:
    del who  # any authenticated caller may see source health (no cost data in it)
    body = await run_in_threadpool(status, request.app.state.settings, SystemClock().now())
    return {"ok": True, **body}
