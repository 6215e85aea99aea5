"""The weekly digest: last week's cost, the biggest change and its driver, one saving.

Two capabilities, nothing else: ``compare`` (last week against the week before, grouped by
team for an all-teams channel and by workload for a team's) and ``rightsizing`` (the
largest saving the channel may see). The biggest change is the group whose cost moved
most; its driver is that group's largest effect (usage growth, new workloads, …), the
same decomposition `penny bill` and the ``compare_periods`` tool give.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel

from assistant.billing.models import EFFECT_LABELS, GroupChange
from assistant.capabilities.bill import CompareRequest, compare
from assistant.capabilities.context import Ctx
from assistant.capabilities.rightsizing import RightsizingRequest, rightsizing
from assistant.core.provenance import Provenance
from assistant.errors import PennyError
from assistant.notify.channels import scope_label
from assistant.windows import Window

__all__ = ["Biggest", "Digest", "Saving", "digest_week", "weekly_digest"]

_WEEK = timedelta(days=7)


class Biggest(BaseModel):
    """The group whose cost changed most, and the effect that moved it most."""

    group: str
    before: Decimal
    after: Decimal
    change: Decimal
    pct: Decimal | None
    driver: str  # the effect's label, e.g. 'New workloads'
    driver_amount: Decimal
    workload: str | None  # the group's top workload, when the group is not one itself


class Saving(BaseModel):
    """One rightsizing recommendation, with its dollars a month."""

    workload: str
    current_monthly: Decimal
    proposed_monthly: Decimal
    monthly_savings: Decimal


class Digest(BaseModel):
    audience: str  # 'team payments', 'all teams'
    week: dict[str, str]
    previous: dict[str, str]
    by: str
    cost: Decimal
    previous_cost: Decimal
    change: Decimal
    pct: Decimal | None
    biggest: Biggest | None
    saving: Saving | None
    currency: str
    notes: list[str]
    provenance: list[Provenance]


def digest_week(posted_at: datetime) -> Window:
    """The 7 whole days before the day the digest is posted (UTC midnight to midnight)."""
    end = posted_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(end - _WEEK, end)


def _biggest(groups: list[GroupChange], by: str) -> Biggest | None:
    moved = [g for g in groups if g.change != 0]
    if not moved:
        return None
    top = max(moved, key=lambda g: (abs(g.change), g.group))
    effects = [(k, v) for k, v in top.effects.items() if v != 0]
    kind, amount = max(effects, key=lambda kv: abs(kv[1])) if effects else ("usage", top.change)
    workload = None
    if by != "workload" and top.top_workloads:
        workload = top.top_workloads[0].rsplit(" (", 1)[0]  # 'ns/Kind/name (+2.85)'
    return Biggest(
        group=top.group,
        before=top.before,
        after=top.after,
        change=top.change,
        pct=top.pct,
        driver=EFFECT_LABELS.get(kind, kind),
        driver_amount=amount,
        workload=workload,
    )


def _saving(ctx: Ctx) -> tuple[Saving | None, Provenance | None]:
    try:
        report = rightsizing(RightsizingRequest(top_n=5), ctx)
    except PennyError:  # no usage history the channel may see: the digest says nothing
        return None, None
    for rec in report.recommendations:
        savings = Decimal(str(rec.get("monthly_savings") or 0))
        if rec.get("status") == "ok" and savings > 0:
            return (
                Saving(
                    workload=str(rec["workload"]),
                    current_monthly=Decimal(str(rec["current_monthly"])),
                    proposed_monthly=Decimal(str(rec["proposed_monthly"])),
                    monthly_savings=savings,
                ),
                report.provenance,
            )
    return None, report.provenance


def weekly_digest(ctx: Ctx, week: Window) -> Digest:
    """The digest of ``week`` for the scope in ``ctx`` (raises DataGap with no cost data)."""
    by = "team" if ctx.scope.admin else "workload"
    before = Window(week.start - _WEEK, week.start)
    report = compare(
        CompareRequest(a=before.label(), b=week.label(), by=by, top_n=50),  # type: ignore[arg-type]
        ctx,
    )
    variance = report.variance
    groups = variance.groups.get(by, [])
    saving, saving_prov = _saving(ctx)
    return Digest(
        audience=scope_label(ctx.scope),
        week=week.to_dict(),
        previous=before.to_dict(),
        by=by,
        cost=variance.total_b,
        previous_cost=variance.total_a,
        change=variance.change,
        pct=variance.pct,
        biggest=_biggest(groups, by),
        saving=saving,
        currency=ctx.settings.currency,
        notes=list(variance.notes),
        provenance=[report.provenance, *([saving_prov] if saving_prov else [])],
    )
