"""Intent -> plan: which tools answer each question type and how the answer reads.

Cost plans live in :mod:`cost_plans`, the others in :mod:`insight_plans`; both call tools
through :class:`~assistant.agent.offline.runner.Runner` only.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.agent.offline import cost_plans as c
from assistant.agent.offline import insight_plans as i
from assistant.agent.offline import trend_plans as t
from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.runner import Runner

__all__ = ["PLANS", "Runner"]

PLANS: dict[str, Callable[[Parsed, Runner], str]] = {
    "help": i.help_text,
    "entity_cost": c.entity_cost,
    "total_cost": c.total_cost,
    "top": c.top,
    "compare": c.compare,
    "idle": c.idle,
    "unallocated": c.unallocated,
    "unlabeled": c.unlabeled,
    "gpu_utilization": i.gpu_utilization,
    "idle_gpus": i.idle_gpus,
    "ai_spend": i.ai_spend,
    "rightsizing": i.rightsizing,
    "bill": c.bill,
    "anomalies": i.anomalies,
    "unknown": i.not_understood,
    "entity_compare": t.entity_compare,
    "trend": t.trend,
}
