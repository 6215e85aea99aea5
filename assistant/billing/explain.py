"""explain_bill and compare_periods: read the warehouse, call the pure parts, assemble.

The CLI, web, Slack, the agent's tools and the offline engine all call these two
functions; they never print and never write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from assistant.allocation.freshness import require_fresh
from assistant.billing.forecast import month_forecast
from assistant.billing.loaders import (
    allocation_span,
    daily_by,
    dec,
    estimated_cost,
    hours_between,
    load_period,
    visible_totals,
)
from assistant.billing.models import BillExplanation, DailyPoint, ScopeTotals, Variance
from assistant.billing.narrative import llm_narrative, template_narrative
from assistant.billing.reconcile import reconcile
from assistant.billing.totals import bill_totals
from assistant.billing.variance import ZERO, PeriodData, decompose
from assistant.config import Settings
from assistant.core.money import plain
from assistant.core.scope import Scope
from assistant.core.timestamps import hour_utc
from assistant.errors import DataGap, InputError, StaleAllocation
from assistant.warehouse.db import Connection, thread_cursor
from assistant.warehouse.memo import memo
from assistant.windows import Window, month_window, parse_window

__all__ = ["GROUP_BY", "compare_periods", "explain_bill", "parse_month"]

GROUP_BY = ("team", "namespace", "service", "cluster", "workload")
GroupBy = Literal["team", "namespace", "service", "cluster", "workload"]
_TABLES = ["allocations", "node_cost_hours", "billing_lines", "k8s_nodes"]
TOP_TEAMS_IN_CHART = 8
#: the per-group tables of a bill's variance (``render.variance_markdown`` prints these)
BILL_GROUPS = ("team", "namespace", "service", "cluster")


def parse_month(text: str, now: datetime, name: str = "month") -> Window:
    """'YYYY-MM', 'last-month' or 'this-month' as a whole calendar month; else InputError."""
    w = parse_window(text, now=now)
    month = month_window(w.start.year, w.start.month)
    in_progress = text.strip().lower() in {"this-month", "mtd", "month-to-date"}
    if w.start != month.start or (w.end != month.end and not in_progress):
        raise InputError(
            f"{name}={text!r} is not a calendar month.",
            hint=f"Pass {name} as YYYY-MM (e.g. 2026-10), last-month or this-month.",
        )
    return month


def _covered(window: Window, now: datetime) -> Window:
    """The part of ``window`` that is in the past (a month in progress ends at now)."""
    if window.start >= now:
        raise InputError(
            f"{window.label()} has not started yet (now is {hour_utc(now)}).",
            hint="Ask for a month up to the current one, e.g. last-month.",
        )
    return window if window.end <= now else Window(window.start, now)


def compare_periods(
    con: Connection,
    a: Window,
    b: Window,
    *,
    by: str = "team",
    scope: Scope,
    settings: Settings,
    top: int = 15,
    group_dims: tuple[str, ...] | None = None,
) -> Variance:
    """Cost change from ``a`` to ``b`` decomposed into effects that sum to the change.

    ``groups`` holds the per-group table of ``by`` only unless ``group_dims`` names more
    (the bill shows team, namespace and service): every dimension is a pass over every
    item, and a comparison's readers show the one they grouped by.
    Raises DataGap when either period has no allocation rows in scope (never zeros).
    """
    if by not in GROUP_BY:
        raise InputError(
            f"Cannot group a comparison by {by!r}.", hint=f"Use one of: {', '.join(GROUP_BY)}."
        )
    now = settings.current_time()
    a_cov, b_cov = _covered(a, now), _covered(b, now)
    # Adjacent periods (month over month) are checked as one window: one scan of the
    # fingerprints instead of two.
    joined = a_cov.end == b_cov.start
    checked = [Window(a_cov.start, b_cov.end)] if joined else [a_cov, b_cov]
    pa, pb = _fresh_periods(con, checked, (a_cov, b_cov), scope, settings)
    for w, period in ((a_cov, pa), (b_cov, pb)):
        if not period.items:
            raise DataGap(
                f"No allocated cost in {w.label()} for {_scope_label(scope)}.",
                hint="Run `penny ingest …` and `penny allocate` for that period (or `penny demo`).",
                window=w.to_dict(),
            )
    dims = group_dims or (by,)
    if by not in dims:
        dims = (by, *dims)
    variance = decompose(pa, pb, by=by, top=top, group_dims=dims)
    if b_cov != b:
        variance.notes.append(f"{b.label()} is in progress: compared up to {hour_utc(b_cov.end)}.")
    if not scope.admin:
        variance.notes.append(
            "Scoped to your teams/namespaces: idle and unallocated costs are not included."
        )
    return variance


def _fresh_periods(
    con: Connection,
    checked: list[Window],
    periods: tuple[Window, Window],
    scope: Scope,
    settings: Settings,
) -> tuple[PeriodData, PeriodData]:
    """Check ``checked`` fresh and read both periods, side by side.

    Each is DuckDB work (which runs without the GIL) and Python work on its rows, so one
    period's query overlaps the other's Python. Each thread reads through its own cursor
    of ``con``: the same snapshot and session settings (``thread_cursor``). A stale window
    still raises first, and the periods read meanwhile are dropped.
    """
    cursors = [thread_cursor(con) for _ in range(len(checked) + 2)]
    try:
        with ThreadPoolExecutor(max_workers=len(cursors)) as pool:
            checks = [
                pool.submit(require_fresh, cur, w, settings)
                for cur, w in zip(cursors, checked, strict=False)
            ]
            loads = [
                pool.submit(_period, cur, w, scope, settings)
                for cur, w in zip(cursors[len(checked) :], periods, strict=True)
            ]
            for done in checks:
                done.result()
            return loads[0].result(), loads[1].result()
    finally:
        for cur in cursors:
            cur.close()


def _scope_key(scope: Scope) -> tuple[object, ...]:
    return (scope.admin, tuple(scope.teams), tuple(scope.namespaces))


def _period(con: Connection, w: Window, scope: Scope, settings: Settings) -> PeriodData:
    """A period's items, read once per warehouse state.

    Each read is a scan of every container-hour of the period through the allocations
    view (hundreds of milliseconds a month at the default demo), and the same closed
    months come back in question after question ("why did October go up?", "compare
    October with September", the bill). Any write to the warehouse drops the value.
    """
    days = hours_between(w.start, w.end) / 24
    return memo(
        settings,
        ("bill-period", w.start, w.end, _scope_key(scope), days),
        lambda: load_period(con, w, scope, days=days),
    )


def _span(con: Connection, w: Window, scope: Scope, settings: Settings) -> tuple[Any, Any, int]:
    return memo(
        settings,
        ("bill-span", w.start, w.end, _scope_key(scope)),
        lambda: allocation_span(con, w, scope),
    )


def _scope_label(scope: Scope) -> str:
    if scope.admin:
        return "the whole organisation"
    return (
        ", ".join([f"team {t}" for t in scope.teams] + [f"namespace {n}" for n in scope.namespaces])
        or "an empty scope"
    )


def explain_bill(
    con: Connection,
    month: Window,
    *,
    compare: Window | None = None,
    scope: Scope,
    settings: Settings,
    llm: Callable[[str], str] | None = None,
) -> BillExplanation:
    """A month's bill: totals in both views, reconciliation, variance, forecast, narrative."""
    now = settings.current_time()
    covered = _covered(month, now)
    require_fresh(con, covered, settings)
    _, last, count = _span(con, covered, scope, settings)
    totals = (
        memo(
            settings,
            ("bill-totals", covered.start, covered.end),
            lambda: bill_totals(con, covered),
        )
        if scope.admin
        else None
    )
    if count == 0 and totals is None:
        raise DataGap(
            f"No cost data for {month.label()} ({_scope_label(scope)}).",
            hint="Run `penny ingest focus …` and `penny allocate` (or `penny demo`).",
            window=month.to_dict(),
        )
    notes: list[str] = []
    if count and last is not None and last + timedelta(hours=1) < covered.end:
        if covered != month:
            covered = Window(covered.start, last + timedelta(hours=1))
        notes.append(f"Allocation data ends at {hour_utc(last)}.")
    partial = covered != month
    recon = None
    if scope.admin and count:
        shared = tuple(settings.allocation.shared_namespaces)
        billed = totals.amortized if totals else None
        recon = memo(
            settings,
            ("bill-recon", covered.start, covered.end, shared, billed),
            lambda: reconcile(
                con,
                covered,
                shared_namespaces=list(shared),
                bill_amortized=billed,
            ),
        )
        notes.extend(f"Cluster {r.cluster}: {r.note}." for r in recon.rows if r.note)
    elif count == 0:
        notes.append("Billing lines exist but nothing is allocated: run `penny allocate`.")
    daily_rows = (
        memo(
            settings,
            ("bill-daily", covered.start, covered.end, _scope_key(scope)),
            lambda: daily_by(con, covered, scope, "team", fresh=True),
        )
        if count
        else []
    )
    allocated_total = sum((dec(r[3]) for r in daily_rows), ZERO)
    variance = None
    previous_totals = None
    if count:
        base = compare or month.previous()
        if scope.admin and base.start < now:
            previous_totals = bill_totals(con, _covered(base, now))
        try:
            variance = compare_periods(
                con,
                base,
                covered,
                by="team",
                scope=scope,
                settings=settings,
                group_dims=BILL_GROUPS,
            )
            if partial:
                variance.notes.append(
                    f"{month.label()} is in progress: compared up to "
                    f"{hour_utc(covered.end)}; days are normalised by the calendar "
                    "effect."
                )
        except (DataGap, StaleAllocation) as exc:
            notes.append(f"No comparison: {exc.message}")
        if (
            variance is not None
            and previous_totals is not None
            and variance.total_a != previous_totals.amortized
        ):
            notes.append(
                f"The breakdown of the change covers {plain(variance.total_a)} of "
                f"{variance.a['label']}'s {plain(previous_totals.amortized)} bill: the rest "
                "is not allocated; the month-over-month figure uses the two bills."
            )
    forecast = None
    if partial and count:
        # the one forecast of a slice: budgets and cost_forecast read the same function
        forecast, _ = month_forecast(con, month, now=covered.end, scope=scope)
    scope_totals = None
    if not scope.admin:
        amortized, invoice = memo(
            settings,
            ("bill-visible", covered.start, covered.end, _scope_key(scope)),
            lambda: visible_totals(con, covered, scope),
        )
        scope_totals = ScopeTotals(scope=_scope_label(scope), amortized=amortized, invoice=invoice)
    expl = BillExplanation(
        month=month.to_dict(),
        covered=covered.to_dict(),
        partial=partial,
        scope=_scope_label(scope),
        currency=settings.currency,
        totals=totals,
        scope_totals=scope_totals,
        reconciliation=recon,
        allocated_total=allocated_total,
        variance=variance,
        previous_totals=previous_totals,
        estimated=estimated_cost(con, covered, scope),
        forecast=forecast,
        daily=_chart_daily(daily_rows),
        narrative="",
        notes=notes,
        provenance={
            "tables": _TABLES,
            "window": covered.to_dict(),
            "basis": "amortized (EffectiveCost); invoice (BilledCost) in totals",
            "sharing": {
                "shared_namespaces": settings.allocation.shared_namespaces,
                "share_idle": False,
            },
        },
    )
    expl.narrative = template_narrative(expl)
    if llm is not None:
        text, flags = llm_narrative(expl, llm)
        expl.narrative, expl.narrative_source, expl.narrative_flags = text, "llm", flags
    return expl


def _chart_daily(rows: list[tuple[datetime, str, str, object]]) -> list[DailyPoint]:
    """Daily cost by team, keeping the top teams and folding the rest into 'other'."""
    by_team: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for _, team, _, cost in rows:
        by_team[team] += dec(cost)
    keep = {t for t, _ in sorted(by_team.items(), key=lambda kv: -kv[1])[:TOP_TEAMS_IN_CHART]}
    points: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for day, team, _, cost in rows:
        points[(f"{day:%Y-%m-%d}", team if team in keep else "other")] += dec(cost)
    return [DailyPoint(day=d, group=g, cost=c) for (d, g), c in sorted(points.items())]
