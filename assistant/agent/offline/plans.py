"""Intent -> plan: which tools answer each question type and how the answer reads.

Cost plans live in :mod:`cost_plans`, the bill's own dimensions in :mod:`bill_plans`,
forecasts, budgets and unit costs in :mod:`forecast_plans`, trends in :mod:`trend_plans`,
the others in :mod:`insight_plans`; all call tools through
:class:`~assistant.agent.offline.runner.Runner` only. A question understood in part goes to
:func:`~assistant.agent.offline.understood.partly_understood` instead of any plan.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.agent.offline import bill_plans as b
from assistant.agent.offline import cost_plans as c
from assistant.agent.offline import forecast_plans as f
from assistant.agent.offline import insight_plans as i
from assistant.agent.offline import trend_plans as t
from assistant.agent.offline.intents import Intent, Parsed
from assistant.agent.offline.runner import Runner
from assistant.agent.offline.understood import partly_understood

__all__ = ["PLANS", "Runner", "partly_understood"]

PLANS: dict[Intent, Callable[[Parsed, Runner], str]] = {
    Intent.HELP: i.help_text,
    Intent.ENTITY_COST: c.entity_cost,
    Intent.TOTAL_COST: c.total_cost,
    Intent.TOP: c.top,
    Intent.COMPARE: c.compare,
    Intent.IDLE: c.idle,
    Intent.UNALLOCATED: c.unallocated,
    Intent.UNLABELED: c.unlabeled,
    Intent.GPU_UTILIZATION: i.gpu_utilization,
    Intent.IDLE_GPUS: i.idle_gpus,
    Intent.AI_SPEND: i.ai_spend,
    Intent.RIGHTSIZING: i.rightsizing,
    Intent.BILL: c.bill,
    Intent.ANOMALIES: i.anomalies,
    Intent.UNKNOWN: i.not_understood,
    Intent.ENTITY_COMPARE: t.entity_compare,
    Intent.TREND: t.trend,
    Intent.BILL_COST: b.bill_cost,
    Intent.SAVINGS: b.savings,
    Intent.ORPHANS: b.orphans,
    Intent.FORECAST: f.forecast,
    Intent.BUDGET: f.budget,
    Intent.UNIT_COST: f.unit_cost,
    Intent.RESOURCE_COST: c.resource_cost,
}
