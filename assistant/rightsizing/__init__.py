"""Rightsizing recommendations, GPU waste and reviewable change drafts.

Public API (what tools, the CLI and the offline engine call):

- :func:`recommend` → ranked :class:`Recommendation` per workload, priced in dollars
- :func:`draft_change` → a :class:`Draft` (patch, kubectl, kustomize, diff, Helm hint,
  in-place resize, PR description); :func:`validate_draft` dry-runs it server-side
- :func:`idle_gpus` and :func:`gpu_utilization` → GPU waste
- :func:`spot_candidates`, :func:`commitment_coverage`, :func:`orphans` → beyond requests
"""

from __future__ import annotations

from assistant.rightsizing.beyond import commitment_coverage, orphans, spot_candidates
from assistant.rightsizing.drafts import Draft, draft_change
from assistant.rightsizing.gpu import IdleGpu, gpu_utilization, idle_gpus
from assistant.rightsizing.lookup import find_recommendation
from assistant.rightsizing.recommend import Recommendation, fleet_effect, recommend
from assistant.rightsizing.strategies import STRATEGIES, get_strategy
from assistant.rightsizing.validate import DryRunResult, validate_draft

__all__ = [
    "STRATEGIES",
    "Draft",
    "DryRunResult",
    "IdleGpu",
    "Recommendation",
    "commitment_coverage",
    "draft_change",
    "find_recommendation",
    "fleet_effect",
    "get_strategy",
    "gpu_utilization",
    "idle_gpus",
    "orphans",
    "recommend",
    "spot_candidates",
    "validate_draft",
]
