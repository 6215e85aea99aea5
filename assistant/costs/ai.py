"""AI API spend beside the cloud bill: Penny's own model calls and imported usage.

Read from the ledger's ``ai_usage``. These costs are not on the cloud bill, so they are
reported in their own section and never enter the reconciliation. Rows are named by
team when grouping by team, otherwise by service: ``penny-assistant`` for Penny's own
calls, the provider (``openai``/``anthropic``) for imported usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.placeholders import UNLABELED
from assistant.core.scope import Scope
from assistant.warehouse.ledger import read_ledger
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = ["AiRow", "ai_rows"]


@dataclass
class AiRow:
    name: str
    service: str
    team: str
    cost: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "service": self.service, "team": self.team, "cost": self.cost}


def _service(source: str, provider: str) -> str:
    return "penny-assistant" if source == "penny" else provider


def ai_rows(
    settings: Settings, *, window: Window, group_by: str, filters: dict[str, str], scope: Scope
) -> list[AiRow]:
    """AI spend in ``window`` by team and service (unpriced calls, cost NULL, are left out)."""
    if any(k not in ("team", "service") for k in filters):
        return []  # AI spend has no namespace, pod or node: such a filter excludes it
    raw = read_ledger(
        settings,
        f"SELECT coalesce(team, {lit(UNLABELED)}) AS t, source, provider, decimal_sum(cost) "
        "FROM ai_usage WHERE ts >= ? AND ts < ? AND cost IS NOT NULL "
        "GROUP BY t, source, provider ORDER BY t, source, provider",
        [window.start, window.end],
    )
    out: dict[tuple[str, str, str], Decimal] = {}
    for team, source, provider, cost in raw:
        service = _service(str(source), str(provider))
        team = str(team)
        if not scope.admin and team not in scope.teams:
            continue
        if filters.get("team", team) != team or filters.get("service", service) != service:
            continue
        name = team if group_by == "team" else service
        key = (name, service, team)
        out[key] = out.get(key, Decimal(0)) + Decimal(str(cost))
    rows = [AiRow(name=k[0], service=k[1], team=k[2], cost=v) for k, v in out.items()]
    return sorted(rows, key=lambda r: (-r.cost, r.name))
