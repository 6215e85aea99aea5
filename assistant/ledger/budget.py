"""The monthly budget for Penny's own AI spend.

Only Penny's own calls (``source = 'penny'``) count: imported OpenAI/Anthropic bills are
the organisation's spend, reported beside infrastructure, not Penny's allowance.
Unpriced calls (cost NULL) cannot be counted and are reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from assistant.config import Settings
from assistant.core.money import usd
from assistant.warehouse.ledger import read_ledger
from assistant.windows import month_window

__all__ = ["BudgetStatus", "budget_status"]


@dataclass(frozen=True)
class BudgetStatus:
    month: str  # YYYY-MM (UTC)
    spent: Decimal
    limit: Decimal
    unpriced_calls: int

    @property
    def exceeded(self) -> bool:
        """At or past the limit; a limit of 0 means no LLM at all."""
        return self.spent >= self.limit

    def note(self) -> str:
        return (
            f"Monthly AI budget reached: {usd(self.spent)} of {usd(self.limit)} spent in "
            f"{self.month}, so this answer comes from the offline engine. Raise "
            "agent.monthly_budget_usd (PENNY_AGENT__MONTHLY_BUDGET_USD) to use the LLM again."
        )


def budget_status(settings: Settings, now: datetime | None = None) -> BudgetStatus:
    """Penny's spend in the calendar month (UTC) containing ``now`` (default: the real clock,
    since spend is recorded at real time even when ``settings.now`` pins the data's 'now')."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    window = month_window(now.year, now.month)
    rows = read_ledger(
        settings,
        "SELECT COALESCE(decimal_sum(cost), '0'), COUNT(*) FILTER (WHERE cost IS NULL)"
        " FROM ai_usage WHERE source = 'penny' AND ts >= ? AND ts < ?",
        [window.start, window.end],
    )
    spent, unpriced = rows[0] if rows else (Decimal(0), 0)
    return BudgetStatus(
        month=f"{now.year:04d}-{now.month:02d}",
        spent=Decimal(str(spent)),
        limit=settings.agent.monthly_budget_usd,
        unpriced_calls=int(str(unpriced)),
    )
