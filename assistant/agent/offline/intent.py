"""The question types the offline engine answers, as an enum (one plan each)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Intent"]


class Intent(StrEnum):
    HELP = "help"
    ENTITY_COST = "entity_cost"
    TOTAL_COST = "total_cost"
    TOP = "top"
    COMPARE = "compare"
    ENTITY_COMPARE = "entity_compare"
    TREND = "trend"
    IDLE = "idle"
    UNALLOCATED = "unallocated"
    UNLABELED = "unlabeled"
    GPU_UTILIZATION = "gpu_utilization"
    IDLE_GPUS = "idle_gpus"
    AI_SPEND = "ai_spend"
    RIGHTSIZING = "rightsizing"
    BILL = "bill"
    ANOMALIES = "anomalies"
    BILL_COST = "bill_cost"  # the bill by service, category, account, region, credits, tax
    SAVINGS = "savings"  # commitments (saving, coverage, utilisation, unused) and spot
    ORPHANS = "orphans"
    FORECAST = "forecast"
    BUDGET = "budget"
    UNIT_COST = "unit_cost"
    RESOURCE_COST = "resource_cost"  # one cost column (CPU, GPUs, storage…): of a name, ranked
    UNKNOWN = "unknown"
