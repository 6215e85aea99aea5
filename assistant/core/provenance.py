"""Where a number came from: tables, SQL, window, filters, basis, sharing, freshness.

Every tool result and every core report carries one, so an answer can cite the source of
each figure and a reader can re-run the query.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Provenance"]


class Provenance(BaseModel):
    tables: list[str] = Field(default_factory=list)
    sql: str | None = None
    params: list[Any] = Field(default_factory=list)
    window: dict[str, str] | None = None  # Window.to_dict()
    filters: dict[str, Any] = Field(default_factory=dict)
    group_by: str | None = None
    currency: str = "USD"
    cost_basis: str | None = None  # amortized (EffectiveCost) | invoice (BilledCost)
    sharing: dict[str, Any] = Field(default_factory=dict)  # which sharing was applied
    source: str = "warehouse"  # warehouse | kubernetes-api | snapshot | chroma
    freshness: str | None = None  # latest ingest finished_at (UTC ISO)
    row_count: int | None = None
    truncated: bool = False
    notes: list[str] = Field(default_factory=list)
