"""`GET /v1/status`: sources, scheduled jobs, the warehouse snapshot, Slack's connection and
the notices posted (any valid token; which notice went where only for admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from assistant.config import Settings
from assistant.interfaces.readiness import readiness
from assistant.interfaces.routes import Caller
from assistant.notify.posts import PostLog
from assistant.service.scheduler import SystemClock
from assistant.service.status import status

__all__ = ["notice_status", "router"]

router = APIRouter(prefix="/v1")


@router.get("/status", tags=["ops"], summary="Each source's last success, lag and last error")
async def get_status(request: Request, who: Caller) -> dict[str, Any]:
    settings = request.app.state.settings
    body = await run_in_threadpool(status, settings, SystemClock().now())
    notices = await run_in_threadpool(notice_status, settings, who.scope.admin)
    slack = readiness(request.app, settings)["components"]["slack"]
    return {"ok": True, **body, "slack": {**slack, "notices": notices}}


def notice_status(settings: Settings, admin: bool) -> dict[str, Any]:
    """How many notices were posted, failed or are being posted; the failures' channels and
    errors (and every recent one) only for admins: a key names a team and what it crossed."""
    posts = PostLog(settings).find()
    counts: dict[str, int] = {}
    for p in posts:
        counts[p.status] = counts.get(p.status, 0) + 1
    out: dict[str, Any] = {"counts": counts}
    if admin:
        out["recent"] = [
            {k: getattr(p, k) for k in ("kind", "key", "channel", "status", "attempts", "error")}
            for p in posts[-20:]
        ]
    return out
