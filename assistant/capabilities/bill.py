"""A month's bill explained, and the change between two periods: ``bill`` and ``compare``.

The explanation is computed in :mod:`assistant.billing`; this picks the months, bounds the
lists a chat answer can hold (the CLI and HTTP ask for everything), and attaches one
provenance. The full typed explanation stays on the report for renderers (markdown, HTML,
Slack), while its JSON is flat for tools and MCP.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from assistant.billing.anomalies import detect_anomalies as run_detect
from assistant.billing.anomalies import method_text
from assistant.billing.explain import compare_periods as run_compare
from assistant.billing.explain import explain_bill, parse_month
from assistant.billing.models import Anomaly, BillExplanation, Variance
from assistant.budgets import budget_status
from assistant.capabilities.common import bounded, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.windows import Window, parse_window

__all__ = [
    "AnomaliesReport",
    "AnomaliesRequest",
    "BillReport",
    "BillRequest",
    "CompareReport",
    "CompareRequest",
    "anomalies",
    "bill",
    "compare",
]

BILL_TABLES = ["allocations", "node_cost_hours", "billing_lines", "k8s_nodes"]
WINDOW_HELP = (
    "'YYYY-MM' (e.g. 2026-10), 'last-month', 'this-month', '7d', '2w', 'today', "
    "'yesterday', or 'START..END' with dates (end exclusive)"
)
TOP_HELP = "Drivers and groups to list (largest first); the rest are counted in 'more'."


def bill_provenance(
    window: Window,
    scope: Scope,
    *,
    group_by: str | None = None,
    notes: list[str] | None = None,
    truncated: bool = False,
    tables: list[str] | None = None,
) -> Provenance:
    """What every billing answer cites: tables, window, the asker's scope and the basis."""
    return Provenance(
        tables=tables or BILL_TABLES,
        window=window.to_dict(),
        filters={} if scope.admin else {"teams": scope.teams, "namespaces": scope.namespaces},
        group_by=group_by,
        cost_basis="amortized (EffectiveCost); invoice (BilledCost) in totals",
        sharing={"share_idle": False, "note": "idle and unallocated shown as their own rows"},
        truncated=truncated,
        notes=notes or [],
    )


class BillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(
        "last-month",
        description="The bill month: 'YYYY-MM' (e.g. 2026-10), 'last-month' or 'this-month' "
        "(month to date, with a forecast).",
    )
    compare: str | None = Field(
        None, description="Month to compare with, 'YYYY-MM'; omit for the previous month."
    )
    top_n: int | None = Field(None, ge=1, le=50, description=TOP_HELP)


class BillReport(BaseModel):
    """The explanation's fields, flat (without the daily chart series), plus provenance.

    ``explanation`` keeps the whole typed :class:`BillExplanation` for renderers.
    """

    model_config = ConfigDict(extra="allow")

    provenance: Provenance
    _explanation: BillExplanation = PrivateAttr()

    @property
    def explanation(self) -> BillExplanation:
        return self._explanation


def bill(request: BillRequest, ctx: Ctx) -> BillReport:
    month = parse_month(request.month, ctx.now, "month")
    base = parse_month(request.compare, ctx.now, "compare") if request.compare else None
    prov = bill_provenance(month, ctx.scope)
    with warehouse(ctx, prov) as con:
        expl = explain_bill(con, month, compare=base, scope=ctx.scope, settings=ctx.settings)
        if ctx.settings.budgets:  # the month's budgets, as budget_status gives them
            expl.budgets = budget_status(
                con, month=month, settings=ctx.settings, scope=ctx.scope
            ).budgets
        fresh = freshness(con)
    left_out = {"daily", "provenance"} | (set() if expl.budgets else {"budgets"})
    data: dict[str, Any] = expl.model_dump(mode="python", exclude=left_out)
    truncated = False
    if expl.variance is not None and request.top_n is not None:
        v = data["variance"]
        v["drivers"], more = bounded(v["drivers"], request.top_n)
        v["more_drivers"] = v["drivers_total"] - len(v["drivers"])
        v["other_drivers_amount"] = v["change"] - sum(d["amount"] for d in v["drivers"])
        truncated = more > 0
        for dim, rows in list(v["groups"].items()):
            v["groups"][dim], v.setdefault("more_groups", {})[dim] = bounded(rows, request.top_n)
    prov = bill_provenance(month, ctx.scope, notes=list(expl.notes), truncated=truncated)
    prov.window = expl.covered
    report = BillReport(**data, provenance=fresh.apply(prov))
    report._explanation = expl
    return report


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: str = Field(description=f"The earlier (baseline) period: {WINDOW_HELP}.")
    b: str = Field(description=f"The later period to explain: {WINDOW_HELP}.")
    by: Literal["team", "namespace", "service", "cluster", "workload"] = Field(
        "team", description="Grouping for the per-group change table."
    )
    top_n: int = Field(10, ge=1, le=50, description=TOP_HELP)


class CompareReport(BaseModel):
    """The variance's fields, flat; ``groups`` is the table for ``by`` only."""

    model_config = ConfigDict(extra="allow")

    provenance: Provenance
    _variance: Variance = PrivateAttr()

    @property
    def variance(self) -> Variance:
        return self._variance


def compare(request: CompareRequest, ctx: Ctx) -> CompareReport:
    a = parse_window(request.a, now=ctx.now)
    b = parse_window(request.b, now=ctx.now)
    prov = bill_provenance(b, ctx.scope, group_by=request.by)
    with warehouse(ctx, prov) as con:
        v = run_compare(
            con, a, b, by=request.by, scope=ctx.scope, settings=ctx.settings, top=request.top_n
        )
        fresh = freshness(con)
    data: dict[str, Any] = v.model_dump(mode="python")
    groups = data.pop("groups")
    data["groups"], data["more_groups"] = bounded(groups.get(request.by, []), request.top_n)
    data["more_drivers"] = v.drivers_total - len(v.drivers)
    prov = bill_provenance(
        b,
        ctx.scope,
        group_by=request.by,
        notes=list(v.notes),
        truncated=data["more_drivers"] > 0 or data["more_groups"] > 0,
    )
    prov.filters["compared_with"] = a.label()  # the earlier window, as every footer says one
    report = CompareReport(**data, provenance=fresh.apply(prov))
    report._variance = v
    return report


class AnomaliesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(
        "30d",
        description="Days to check: '7d', '30d', '2w', 'this-month', 'YYYY-MM', or "
        "'START..END' with dates (end exclusive). 'this week' ≈ '7d'.",
    )
    by: Literal["team", "namespace", "service", "cluster"] = Field(
        "team", description="Group whose daily cost is checked."
    )
    top_n: int | None = Field(None, ge=1, le=50, description="Anomalies to list, largest $ first.")


class AnomaliesReport(BaseModel):
    window: str
    by: str
    anomalies: list[Anomaly]
    more: int
    checked_days_from: str
    method: str
    provenance: Provenance


def anomalies(request: AnomaliesRequest, ctx: Ctx) -> AnomaliesReport:
    window = parse_window(request.window, now=ctx.now)
    cfg = ctx.settings.anomalies
    method = method_text(cfg.threshold_mads, cfg.min_impact_usd)
    prov = bill_provenance(
        window, ctx.scope, group_by=request.by, tables=["allocations"], notes=[method]
    )
    with warehouse(ctx, prov) as con:
        found = run_detect(
            con, window=window, by=request.by, scope=ctx.scope, settings=ctx.settings
        )
        freshness(con).apply(prov)
    shown, more = bounded(found, request.top_n)
    prov.truncated = more > 0
    return AnomaliesReport(
        window=window.label(),
        by=request.by,
        anomalies=shown,
        more=more,
        checked_days_from=window.to_dict()["start"],
        method=method,
        provenance=prov,
    )
