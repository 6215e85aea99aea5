"""Who is asking, with which settings, and at which pinned 'now'.

One answer may call several capabilities; they must agree on what "last month" means,
so 'now' is fixed once per request (hour-aligned, naive UTC like every warehouse time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.config import Settings
from assistant.core.scope import Scope

__all__ = ["Ctx"]


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    scope: Scope
    now: datetime
    user: str = "anonymous"

    @classmethod
    def create(cls, settings: Settings, scope: Scope | None = None) -> Ctx:
        scope = scope or Scope.everything()
        return cls(settings=settings, scope=scope, now=settings.current_time(), user=scope.user)
