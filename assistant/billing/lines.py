"""``bill_costs()``: the cloud bill by its own dimensions, straight from the FOCUS lines.

Allocation answers "which workload"; this answers "which service, account, region,
charge or pricing category": the cost of S3 or the EKS control plane, credits and tax,
storage, spot against list price, commitment savings, coverage and utilisation, for any
window or all the data. Lines are prorated to the window exactly as the bill explanation
prorates them (``totals.prorated_lines_cte``), and the summary is the same
``bill_totals`` the explanation shows, filtered, so both report one number for each.

The bill is organisation-wide: a team- or namespace-scoped asker is refused (their own
cost by service is ``query_costs`` grouped by service).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.billing.bill_dimensions import bill_dimension_expr, validate_bill_dimension
from assistant.billing.loaders import dec
from assistant.billing.models import BillTotals
from assistant.billing.totals import bill_totals, prorated, prorated_lines_cte
from assistant.config import Settings
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError, QueryRejected
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = [
    "BillCostsReport",
    "BillGroup",
    "bill_costs",
    "bill_data_span",
    "bill_values",
]

Basis = Literal["amortized", "invoice", "list"]
_ZERO = Decimal(0)


class BillGroup(BaseModel):
    """One group of bill lines; ``amount`` is in the report's basis."""

    name: str
    amount: Decimal
    effective: Decimal  # Σ EffectiveCost (amortized)
    billed: Decimal  # Σ BilledCost (invoice)
    list_cost: Decimal  # Σ ListCost (EffectiveCost where the line has none)
    lines: int


class BillCostsReport(BaseModel):
    window: dict[str, str]
    covered: dict[str, str] | None  # first..last charge period of the matching lines
    data_span: dict[str, str] | None  # all billing data in the warehouse
    group_by: str
    filters: dict[str, str]
    basis: Basis
    currency: str
    rows: list[BillGroup]
    others: BillGroup | None = None  # the groups folded into "and N more"
    more: int = 0
    total: BillGroup
    summary: BillTotals | None  # invoice vs amortized, credits, tax, commitments, spot
    provenance: Provenance = Field(default_factory=Provenance)


def _where(filters: dict[str, str]) -> tuple[str, list[Any]]:
    parts, params = [], []
    for key, value in filters.items():
        parts.append(f"{bill_dimension_expr(key)} = ?")
        params.append(value)
    return (" AND ".join(parts) or "TRUE"), params


def bill_values(con: Connection, dimension: str) -> list[str]:
    """Every value ``dimension`` takes in the billing data, most costly first."""
    expr = bill_dimension_expr(dimension)
    rows = con.execute(
        f"SELECT {expr} AS v FROM billing_lines GROUP BY 1 "
        "ORDER BY sum(abs(coalesce(effective_cost, 0))) DESC, 1"
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] is not None]


def bill_data_span(con: Connection) -> Window | None:
    row = con.execute(
        "SELECT min(charge_period_start), max(charge_period_end) FROM billing_lines"
    ).fetchone()
    if not row or row[0] is None:
        return None
    return Window(row[0], row[1])


def _group(
    name: str, billed: Any, effective: Any, list_cost: Any, n: Any, basis: Basis
) -> BillGroup:
    b, e, lc = dec(billed), dec(effective), dec(list_cost)
    amount = {"amortized": e, "invoice": b, "list": lc}[basis]
    return BillGroup(name=name, amount=amount, effective=e, billed=b, list_cost=lc, lines=int(n))


def _sum(name: str, groups: list[BillGroup], basis: Basis) -> BillGroup:
    return _group(
        name,
        sum((g.billed for g in groups), _ZERO),
        sum((g.effective for g in groups), _ZERO),
        sum((g.list_cost for g in groups), _ZERO),
        sum(g.lines for g in groups),
        basis,
    )


def bill_costs(
    con: Connection,
    *,
    window: Window | None,
    group_by: str = "service",
    filters: dict[str, str] | None = None,
    basis: Basis = "amortized",
    top_n: int = 10,
    scope: Scope,
    settings: Settings,
) -> BillCostsReport:
    """Bill lines overlapping ``window`` (None = all the billing data), grouped and filtered
    by FOCUS dimensions; DataGap when nothing matches (never a zero)."""
    if not scope.admin:
        raise QueryRejected(
            "The cloud bill's own lines (services, accounts, regions, credits, tax, "
            "commitments) are organisation-wide; your scope sees only its workloads' cost.",
            hint="Ask for your team's cost by service instead (query_costs group_by=service).",
        )
    group_by = validate_bill_dimension(group_by)
    filters = {validate_bill_dimension(k, what="filter key"): v for k, v in (filters or {}).items()}
    if top_n < 1:
        raise InputError(f"top_n must be at least 1, got {top_n}.")
    span = bill_data_span(con)
    if span is None:
        raise DataGap(
            "The warehouse has no billing lines.",
            hint="Run `penny ingest focus …` (or `penny demo`).",
        )
    window = window or span
    where, params = _where(filters)
    cte, cte_params = prorated_lines_cte(window, where)
    sql = (
        f"WITH {cte} SELECT {bill_dimension_expr(group_by)} AS grp, "
        f"sum({prorated('billed_cost')}), sum({prorated('effective_cost')}), "
        f"sum({prorated('coalesce(list_cost, effective_cost)')}), count(*), "
        "min(charge_period_start), max(charge_period_end) FROM lines GROUP BY 1"
    )
    raw = con.execute(sql, [*cte_params, *params]).fetchall()
    if not raw:
        what = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        raise DataGap(
            f"No billing lines{' for ' + what if what else ''} in {window.label()}.",
            hint=f"The billing data covers {span.label().replace('..', ' to ')}.",
            window=window.to_dict(),
        )
    groups = [_group(str(r[0]), r[1], r[2], r[3], r[4], basis) for r in raw]
    groups.sort(key=lambda g: (-g.amount, g.name))
    first = max(min(r[5] for r in raw), window.start)
    last = min(max(r[6] for r in raw), window.end)
    shown, rest = groups[:top_n], groups[top_n:]
    summary = bill_totals(con, window, where, params)
    return BillCostsReport(
        window=window.to_dict(),
        covered=Window(first, last).to_dict() if last > first else None,
        data_span=span.to_dict(),
        group_by=group_by,
        filters=filters,
        basis=basis,
        currency=settings.currency,
        rows=shown,
        others=_sum(f"and {len(rest)} more", rest, basis) if rest else None,
        more=len(rest),
        total=_sum("TOTAL", groups, basis),
        summary=summary,
        provenance=Provenance(
            tables=["billing_lines"],
            sql=sql,
            params=[str(p) for p in [*cte_params, *params]],
            window=window.to_dict(),
            filters=dict(filters),
            group_by=group_by,
            currency=settings.currency,
            cost_basis={
                "amortized": "amortized (EffectiveCost)",
                "invoice": "invoice (BilledCost)",
                "list": "list price (ListCost)",
            }[basis],
            row_count=len(shown),
            truncated=bool(rest),
            notes=["bill lines prorated by the share of their charge period inside the window"],
        ),
    )
