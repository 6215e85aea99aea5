"""Shared helpers of the billing tools: window parsing that explains itself, bounded lists,
and the provenance every billing answer cites."""

from __future__ import annotations

from typing import Any

from assistant.billing.explain import parse_month as month_arg
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.windows import Window

__all__ = ["bounded", "month_arg", "provenance", "scope_filters"]

BILL_TABLES = ["allocations", "node_cost_hours", "billing_lines", "k8s_nodes"]


def bounded(items: list[Any], top: int) -> tuple[list[Any], int]:
    """The first ``top`` items and how many more there were."""
    return items[:top], max(0, len(items) - top)


def scope_filters(scope: Scope) -> dict[str, Any]:
    if scope.admin:
        return {}
    return {"teams": scope.teams, "namespaces": scope.namespaces}


def provenance(
    window: Window,
    scope: Scope,
    *,
    group_by: str | None = None,
    notes: list[str] | None = None,
    truncated: bool = False,
    tables: list[str] | None = None,
) -> Provenance:
    return Provenance(
        tables=tables or BILL_TABLES,
        window=window.to_dict(),
        filters=scope_filters(scope),
        group_by=group_by,
        cost_basis="amortized (EffectiveCost); invoice (BilledCost) in totals",
        sharing={"share_idle": False, "note": "idle and unallocated shown as their own rows"},
        truncated=truncated,
        notes=notes or [],
    )
