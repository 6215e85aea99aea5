"""Allocated cost for a window, grouped, filtered, shared and scoped: ``costs(request, ctx)``.

The CLI (`penny costs`), `GET /v1/costs`, the `query_costs` tool, MCP and the offline
engine all call this. The arithmetic lives in :mod:`assistant.costs.query`; this adds
what every door needs the same way: filter names checked against what the asker may see,
the reason when there are no rows (with the hours the data covers), freshness and stale
allocation notes, and a report whose JSON keeps every cent.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from assistant.budgets import BudgetStatus, budget_status
from assistant.budgets.applies import applicable_budgets, budget_month
from assistant.capabilities.common import check_filters, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.placeholders import IDLE
from assistant.core.provenance import Provenance
from assistant.core.serialize import jsonable
from assistant.core.timestamps import hour, hour_utc
from assistant.costs.coverage import data_span
from assistant.costs.dimensions import DIMENSIONS, validate_dimension
from assistant.costs.query import COLUMNS, CostRow, CostTable, query_costs
from assistant.errors import DataGap
from assistant.warehouse.db import Connection
from assistant.warehouse.memo import memo
from assistant.windows import parse_window

__all__ = ["AiLine", "CostLine", "CostReport", "CostsRequest", "costs"]

WINDOW_HELP = (
    "Period: 'YYYY-MM' (e.g. 2026-10), 'last-month', 'this-month', '7d', '24h', '2w', "
    "'today', 'yesterday', or 'START..END' with dates (end exclusive, e.g. "
    "2026-10-01..2026-10-15)."
)


class CostsRequest(BaseModel):
    """What to total, how to group it, what to keep, and which sharing to apply."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    window: str = Field("last-month", description=WINDOW_HELP)
    group_by: str = Field(
        "namespace",
        description="Break cost down by: " + ", ".join(DIMENSIONS) + ", or label:KEY (a pod "
        "label, falling back to the namespace label). 'controller' values look like "
        "'Deployment/recsys-api'; 'pod' values like 'namespace/pod'.",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description='Exact-match filters on the same dimensions, e.g. {"namespace": '
        '"payments-prod"} or {"team": "ml", "env": "prod"}. Use the exact names '
        "(search_knowledge resolves loose names like 'the recommender').",
    )
    basis: Literal["amortized", "invoice"] = Field(
        "amortized",
        validation_alias=AliasChoices("basis", "metric"),
        description="'amortized' = EffectiveCost (commitments spread, discounts applied; the "
        "default for comparing workloads); 'invoice' = BilledCost (what the invoice shows).",
    )
    share_idle: bool | None = Field(
        None,
        description="true = spread idle node cost onto workloads by their resource cost; "
        f"false = idle stays its own '{IDLE}' row; omit = the configured default.",
    )
    shared_namespaces: list[str] | None = Field(
        None,
        description="Namespaces whose cost is spread over the others (e.g. kube-system); "
        "omit = the configured default.",
    )
    share_split: Literal["weighted", "even"] | None = Field(
        None, description="How shared cost is spread: 'weighted' by cost or 'even'."
    )
    overhead_hourly: Decimal | None = Field(
        None, ge=0, description="A fixed $/hour overhead spread like a shared namespace."
    )
    top_n: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Groups to list before folding the rest into one 'and N more' row "
        "(largest first); omit for all.",
    )

    view: Literal["auto", "allocation", "asset"] = Field(
        "auto",
        description="'auto' answers node and cluster groupings with the asset view (what "
        "each cost on the bill, its own idle included) and everything else with the "
        "allocation view; 'allocation' = the pods' cost per node or cluster, idle its own "
        "row; 'asset' = demand the asset view.",
    )

    @field_validator("group_by")
    @classmethod
    def _dimension(cls, value: str) -> str:
        return validate_dimension(value)

    @field_validator("filters")
    @classmethod
    def _filter_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {validate_dimension(k, what="filter key"): v for k, v in value.items()}


class CostLine(BaseModel):
    """One row: a group, '__idle__', '__unallocated__', 'and N more' or 'TOTAL'."""

    name: str
    kind: str
    cpu: Decimal = Decimal(0)
    ram: Decimal = Decimal(0)
    gpu: Decimal = Decimal(0)
    pv: Decimal = Decimal(0)
    lb: Decimal = Decimal(0)
    network: Decimal = Decimal(0)
    other: Decimal = Decimal(0)
    idle: Decimal = Decimal(0)
    shared: Decimal = Decimal(0)
    total: Decimal
    efficiency: float | None = None

    @classmethod
    def of(cls, row: CostRow) -> CostLine:
        return cls(
            name=row.name,
            kind=row.kind,
            **{c: row.costs.get(c, Decimal(0)) for c in COLUMNS},
            total=row.total,
            efficiency=row.efficiency,
        )

    def cost(self, column: str) -> Decimal:
        value: Decimal = getattr(self, column)
        return value


class AiLine(BaseModel):
    """AI API spend beside the bill (never inside its totals)."""

    name: str
    service: str
    team: str
    cost: Decimal


class CostReport(BaseModel):
    window: str
    start: datetime
    end: datetime
    view: str  # allocation | asset
    group_by: str
    basis: str
    currency: str
    rows: list[CostLine]
    totals: CostLine
    more: int
    groups_shown: int
    sharing: dict[str, Any]
    unlabeled_cost: Decimal
    unlabeled_share: float | None
    #: priced from the price list (nodes or volumes the bill never mentions, hours it does
    #: not cover yet): listed apart, never in rows or totals
    estimates: list[CostLine]
    estimated_total: Decimal
    idle_share: Decimal | None = None  # idle ÷ total, when idle is its own row
    ai_apis: list[AiLine]
    ai_total: Decimal
    #: for a scoped asker, the rows it cannot see (idle capacity and unallocated lines
    #: belong to no team): their cost is unknown to it, not zero
    not_visible: list[str] = Field(default_factory=list)
    #: the month's budgets that measure this slice (a calendar month or a month to date;
    #: the whole bill, a group shown, or the team/namespace filtered on): every door shows
    #: a cost table with the budgets it is judged against (``budget_status``)
    budgets: list[BudgetStatus] = Field(default_factory=list)
    provenance: Provenance

    def data(self) -> dict[str, Any]:
        """The JSON payload without provenance (tools carry provenance beside it), and
        without ``budgets`` when none measures this slice."""
        exclude = {"provenance"} if self.budgets else {"provenance", "budgets"}
        out: dict[str, Any] = jsonable(self.model_dump(exclude=exclude))
        return out

    def to_csv(self) -> str:
        """Cloud rows, the TOTAL row, then estimates and AI API lines in their own sections
        (never summed in): one writer for `penny costs --csv` and `GET /v1/costs?format=csv`."""
        buf = io.StringIO()
        out = csv.writer(buf)
        out.writerow(["section", "name", *COLUMNS, "total", "efficiency"])
        for row in [*self.rows, self.totals]:
            out.writerow(
                [
                    "cloud",
                    row.name,
                    *(row.cost(c) for c in COLUMNS),
                    row.total,
                    "" if row.efficiency is None else f"{row.efficiency:.4f}",
                ]
            )
        for est in self.estimates:
            out.writerow(
                [
                    "estimate",
                    est.name,
                    *(est.cost(c) for c in COLUMNS),
                    est.total,
                    "" if est.efficiency is None else f"{est.efficiency:.4f}",
                ]
            )
        for ai in self.ai_apis:
            blank = [""] * len(COLUMNS)
            out.writerow(["ai_apis", f"{ai.name} ({ai.service})", *blank, ai.cost, ""])
        return buf.getvalue()


def costs(request: CostsRequest, ctx: Ctx) -> CostReport:
    """Cost per group over the window; DataGap (with the covered span) when there is none."""
    window = parse_window(request.window, now=ctx.now)
    with warehouse(ctx) as con:
        check_filters(con, ctx, request.filters)
        table = query_costs(
            con,
            window=window,
            group_by=request.group_by,
            filters=request.filters,
            scope=ctx.scope,
            share_idle=request.share_idle,
            shared_namespaces=request.shared_namespaces,
            share_split=request.share_split,
            overhead_hourly=request.overhead_hourly,
            basis=request.basis,
            top_n=request.top_n,
            settings=ctx.settings,
            view=request.view,
        )
        fresh = freshness(con)
        budgets = _budgets(con, ctx, table, request.filters)
        if not table.rows and not table.ai and not table.estimates:
            first, last = _coverage(con, ctx)
            span = (
                f"Cost data covers {hour(first)} to {hour_utc(last)}."
                if first is not None
                else "The warehouse has no allocations yet; run `penny allocate`."
            )
            what = ", ".join(f"{k}={v!r}" for k, v in request.filters.items())
            raise DataGap(
                f"No cost rows{' for ' + what if what else ''} in {window.label()}. {span}",
                hint="Ingest bills and metrics for that period, then run `penny allocate`.",
                provenance=fresh.apply(table.provenance),
                window=window.label(),
            )
    report = _report(table, fresh.apply(table.provenance))
    report.budgets = budgets
    if not ctx.scope.admin:
        report.not_visible = ["idle", "unallocated"]
        report.provenance.notes.append(
            "Scoped to your teams/namespaces: idle capacity and unallocated bill lines are "
            "not visible, so totals are your workloads' cost, not the bill."
        )
    return report


def _budgets(
    con: Connection, ctx: Ctx, table: CostTable, filters: dict[str, str]
) -> list[BudgetStatus]:
    """The budgets that measure the slice ``table`` totals, as ``budget_status`` reports
    them for the asker; [] when the window is no month, or none applies or is visible."""
    month = budget_month(table.window)
    if not ctx.settings.budgets or month is None:
        return []
    scopes = applicable_budgets(
        ctx.settings.budgets,
        group_by=table.group_by,
        filters=filters,
        groups=[r.name for r in table.rows],
    )
    if not scopes:
        return []
    try:
        report = budget_status(
            con, month=month, settings=ctx.settings, scope=ctx.scope, names=scopes
        )
    except DataGap:
        return []
    return report.budgets


def _coverage(con: Connection, ctx: Ctx) -> tuple[Any, Any]:
    def read() -> tuple[Any, Any]:
        span = data_span(con)
        return (span[0], span[1] - timedelta(hours=1)) if span else (None, None)

    return memo(ctx.settings, "allocation-coverage", read)


def _report(table: CostTable, prov: Provenance) -> CostReport:
    return CostReport(
        window=table.window.label(),
        start=table.window.start,
        end=table.window.end,
        view=table.view,
        group_by=table.group_by,
        basis=table.basis,
        currency=table.currency,
        rows=[CostLine.of(r) for r in table.rows],
        totals=CostLine.of(table.totals),
        more=table.more,
        groups_shown=sum(1 for r in table.rows if r.kind in ("workload", "asset")),
        sharing=table.sharing,
        unlabeled_cost=table.unlabeled_cost,
        unlabeled_share=table.unlabeled_share,
        estimates=[CostLine.of(r) for r in table.estimates],
        estimated_total=table.estimated_total,
        idle_share=table.idle_share,
        ai_apis=[AiLine(**a.to_dict()) for a in table.ai],
        ai_total=table.ai_total,
        provenance=prov,
    )
