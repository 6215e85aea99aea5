"""The structured results of bill explanation and anomaly detection.

Every interface (CLI, web, Slack, the agent's tools, the LLM narrative checker) reads
these models, so they carry Decimals for money and JSON-safe values everywhere else.
Numbers in prose are only ever rendered from these fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "EFFECT_LABELS",
    "Anomaly",
    "BillExplanation",
    "BillTotals",
    "BudgetStatus",
    "CategoryTotal",
    "DailyPoint",
    "Driver",
    "Effect",
    "EffectKind",
    "Forecast",
    "GroupChange",
    "InvoiceBridgeItem",
    "ReconRow",
    "Reconciliation",
    "ScopeTotals",
    "Variance",
]

EffectKind = Literal[
    "calendar",
    "usage",
    "new_workload",
    "removed_workload",
    "idle",
    "mix",
    "commitment",
    "unit_price",
    "unallocated_service",
    "credit",
    "tax",
    "adjustment",
    "purchase",
]

#: How each effect is named to people, in waterfall order.
EFFECT_LABELS: dict[str, str] = {
    "calendar": "Days in month",
    "usage": "Usage growth",
    "new_workload": "New workloads",
    "removed_workload": "Removed workloads",
    "idle": "Idle capacity",
    "mix": "Spot / on-demand / instance mix",
    "commitment": "Commitment coverage",
    "unit_price": "Unit price changes",
    "unallocated_service": "Unallocated services",
    "credit": "Credits",
    "tax": "Tax",
    "adjustment": "Refunds and corrections",
    "purchase": "Commitment purchases",
}


class Effect(BaseModel):
    """One bar of the waterfall; the effects of a Variance sum exactly to its change."""

    kind: EffectKind
    label: str
    amount: Decimal


class Driver(BaseModel):
    """One effect on one subject (a workload, a node SKU, a bill service), with evidence."""

    effect: EffectKind
    subject: str
    cluster: str | None = None
    team: str | None = None
    namespace: str | None = None
    service: str | None = None
    amount: Decimal
    pct_of_change: Decimal | None = None  # None when the total did not change
    evidence: dict[str, Any] = Field(default_factory=dict)


class GroupChange(BaseModel):
    group: str
    before: Decimal
    after: Decimal
    change: Decimal
    pct: Decimal | None = None  # change / before; None when before is 0
    effects: dict[str, Decimal] = Field(default_factory=dict)
    top_workloads: list[str] = Field(default_factory=list)


class Variance(BaseModel):
    """Change from period A to period B, decomposed residual-free into effects."""

    a: dict[str, str]
    b: dict[str, str]
    basis: str = "amortized (EffectiveCost)"
    total_a: Decimal
    total_b: Decimal
    change: Decimal
    pct: Decimal | None = None
    days_a: Decimal
    days_b: Decimal
    effects: list[Effect]
    drivers: list[Driver]
    drivers_total: int  # drivers of a cent or more (listed or not)
    other_drivers_amount: Decimal = Decimal(0)  # change - Σ listed drivers (exactly)
    by: str = "team"
    groups: dict[str, list[GroupChange]] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class CategoryTotal(BaseModel):
    charge_category: str
    billed: Decimal
    effective: Decimal


class InvoiceBridgeItem(BaseModel):
    """A reason the invoice (BilledCost) differs from the amortized view (EffectiveCost)."""

    reason: str
    amount: Decimal  # billed - effective for these lines
    lines: int


class BillTotals(BaseModel):
    invoice: Decimal  # Σ BilledCost
    amortized: Decimal  # Σ EffectiveCost
    difference: Decimal  # invoice - amortized = Σ bridge amounts
    by_category: list[CategoryTotal]
    bridge: list[InvoiceBridgeItem]
    credits: Decimal
    tax: Decimal
    adjustments: Decimal
    commitment_purchases: Decimal
    commitment_covered_usage: Decimal  # amortized cost of usage a commitment covered
    commitment_coverage_pct: Decimal | None
    commitment_savings: Decimal  # Σ (ListCost - EffectiveCost) on covered usage
    commitment_unused: Decimal = Decimal(0)  # EffectiveCost of unused commitment
    commitment_utilisation_pct: Decimal | None = None  # used ÷ (used + unused) × 100
    spot_effective: Decimal = Decimal(0)  # EffectiveCost of spot usage (PricingCategory Dynamic)
    spot_list: Decimal = Decimal(0)  # its ListCost (the on-demand price)
    spot_savings: Decimal = Decimal(0)  # spot_list - spot_effective
    lines: int


class ScopeTotals(BaseModel):
    """What a team-scoped asker's workloads cost in the period, in both views.

    The bill itself is org-wide (``BillExplanation.totals`` is None for scoped askers);
    these are the totals that scope may see, so no answer has to invent or hide one.
    """

    scope: str
    amortized: Decimal  # Σ allocations.total_cost of the scope's workload rows
    invoice: Decimal  # Σ allocations.billed_total_cost of the same rows
    excludes: str = (
        "idle capacity, unallocated bill lines and org-wide charges (tax, credits, "
        "commitment purchases)"
    )


class ReconRow(BaseModel):
    cluster: str
    allocated: Decimal
    idle: Decimal
    shared: Decimal
    unallocated: Decimal
    total: Decimal
    billed_total: Decimal
    first_hour: str
    last_hour: str
    note: str | None = None


class Reconciliation(BaseModel):
    rows: list[ReconRow]
    allocated: Decimal
    idle: Decimal
    shared: Decimal
    unallocated: Decimal
    total: Decimal
    bill_amortized: Decimal | None
    difference: Decimal | None  # bill - Σ rows (amortized)
    reconciled: bool
    shared_namespaces: list[str]


class Forecast(BaseModel):
    month_to_date: Decimal
    forecast: Decimal
    low: Decimal | None = None  # the range: the cheapest / dearest recent day as the rate
    high: Decimal | None = None
    days_elapsed: Decimal
    days_in_month: int
    daily_run_rate: Decimal
    method: str


BudgetVerdict = Literal["over", "forecast over", "within", "no data"]


class BudgetStatus(BaseModel):
    """One configured budget in one month (:func:`assistant.budgets.budget_status`); kept
    here beside :class:`Forecast` so a bill explanation can carry its month's budgets."""

    name: str
    scope: str  # total | team:NAME | namespace:NAME
    monthly: Decimal
    note: str | None = None
    spent: Decimal | None  # amortized actual in the covered part of the month
    remaining: Decimal | None  # monthly - spent
    forecast: Forecast | None  # None when the month is over or there is no data
    remaining_after_forecast: Decimal | None  # monthly - forecast
    spent_pct: Decimal | None  # spent / monthly × 100
    verdict: BudgetVerdict


class DailyPoint(BaseModel):
    day: str
    group: str
    cost: Decimal


class BillExplanation(BaseModel):
    month: dict[str, str]
    covered: dict[str, str]  # the part of the month with data (partial months)
    partial: bool
    scope: str
    currency: str = "USD"
    totals: BillTotals | None  # None for scoped users (the bill is org-wide)
    scope_totals: ScopeTotals | None = None  # scoped users: their workloads' totals
    reconciliation: Reconciliation | None
    allocated_total: Decimal  # Σ allocations total_cost visible in scope (bill-priced)
    variance: Variance | None
    #: the compared month's own bill (admins): month-over-month sentences use the two bills
    previous_totals: BillTotals | None = None
    #: priced from the price list (nodes the bill never mentions): not in any bill figure
    estimated: Decimal = Decimal(0)
    forecast: Forecast | None
    #: the month's budgets the asker may see (budget_status), [] when none is configured
    budgets: list[BudgetStatus] = Field(default_factory=list)
    daily: list[DailyPoint]
    narrative: str
    narrative_source: Literal["template", "llm"] = "template"
    narrative_flags: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)


class Anomaly(BaseModel):
    """One anomalous day, or a run of consecutive days in the same direction (merged)."""

    day: str  # first day
    last_day: str | None = None  # last day of a run (None = same as day)
    days: int = 1
    by: str
    group: str
    direction: Literal["spike", "drop"]
    actual: Decimal
    expected: Decimal
    excess: Decimal  # actual - expected (summed over a run)
    score: Decimal  # (actual - expected) / robust scale (largest)
    scale: Decimal
    baseline_days: int
    workloads: list[dict[str, Any]] = Field(default_factory=list)
    method: str
    level_shift: bool = False  # a run of 7+ days: a new steady level
