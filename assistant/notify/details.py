"""What a notice's "Why?" / "Details" button answers, as Markdown from the same capability.

A press names a notice kind and its key (a week, a month, an anomaly); the answer is
computed again, now, with the scope of the channel the press came from, so it can never
show more than that channel may see. It is Markdown like any answer, so Slack renders it
the way it renders answers (tables as aligned text, the sources line last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from assistant.billing.budget_rows import budget_markdown
from assistant.billing.render import render_bill, variance_markdown
from assistant.capabilities.bill import AnomaliesRequest, CompareRequest, anomalies, compare
from assistant.capabilities.context import Ctx
from assistant.capabilities.costs import CostsRequest, costs
from assistant.capabilities.forecast import BudgetRequest, budget_status
from assistant.core.markdown import md_escape
from assistant.core.money import usd
from assistant.core.provenance import Provenance
from assistant.errors import DataGap, InputError, NotFound
from assistant.notify.anomaly import RUN_CONTEXT_DAYS, alert_key
from assistant.notify.bill_close import closed_bill
from assistant.notify.channels import scope_label
from assistant.windows import Window, month_window

__all__ = ["Details", "details"]


@dataclass
class Details:
    title: str
    markdown: str
    provenance: list[Provenance] = field(default_factory=list)
    bill_month: str | None = None  # set for a bill: its charts go into the thread too


def _week(key: str) -> Window:
    try:
        start, end = (datetime.strptime(x, "%Y-%m-%d") for x in key.split(".."))
        return Window(start, end)
    except ValueError as exc:
        raise InputError(f"{key!r} is not a digest week (YYYY-MM-DD..YYYY-MM-DD).") from exc


def _digest(ctx: Ctx, key: str) -> Details:
    week = _week(key)
    before = Window(week.start - (week.end - week.start), week.start)
    by = "team" if ctx.scope.admin else "workload"
    report = compare(
        CompareRequest(a=before.label(), b=week.label(), by=by, top_n=10),  # type: ignore[arg-type]
        ctx,
    )
    lines = variance_markdown(report.variance, (by,), level=2)
    return Details(
        f"Why {scope_label(ctx.scope)} changed, week {week.label()}",
        "\n".join(lines),
        [report.provenance],
    )


def _bill(ctx: Ctx, key: str) -> Details:
    try:
        month = datetime.strptime(key, "%Y-%m")
    except ValueError as exc:
        raise InputError(f"{key!r} is not a bill month (YYYY-MM).") from exc
    report = closed_bill(ctx, month_window(month.year, month.month))
    if report is None:
        raise NotFound(f"The {key} bill's data is not complete.")
    text = render_bill(report.explanation, "md")
    return Details(
        f"The {key} bill, explained", text, [report.provenance], bill_month=month.strftime("%Y-%m")
    )


def _anomaly(ctx: Ctx, key: str) -> Details:
    by, _, rest = key.partition(":")
    group_direction, _, day = rest.rpartition(":")
    group, _, direction = group_direction.rpartition(":")
    try:
        first = datetime.strptime(day, "%Y-%m-%d")
    except ValueError as exc:
        raise InputError(f"{key!r} is not an anomaly alert key.") from exc
    window = Window(first - timedelta(days=RUN_CONTEXT_DAYS), ctx.now.replace(hour=0))
    report = anomalies(AnomaliesRequest(window=window.label(), by=by), ctx)  # type: ignore[arg-type]
    found = next((a for a in report.anomalies if alert_key(a) == key), None)
    if found is None:
        raise NotFound(
            f"{group} ({by}) no longer looks unusual from {day}: the data may have been "
            "restated since the alert.",
            hint=f"Ask `anomalies {window.label()}` for what is unusual now.",
        )
    when = found.day if found.days == 1 else f"{found.day}..{found.last_day}"
    lines = [
        f"## Why {group} ({by}) {'spiked' if direction == 'spike' else 'dropped'}, {when}",
        "",
        f"{usd(found.actual)} against {usd(found.expected)} expected: "
        f"{usd(found.excess, signed=True)} over {found.days} day(s), {found.score} times the "
        f"usual day-to-day spread.",
        "",
        "| Workload | Actual | Expected | Difference |",
        "|---|---:|---:|---:|",
        *(
            f"| {w['workload']} | {usd(w['actual'])} | {usd(w['expected'])} | "
            f"{usd(w['excess'], signed=True)} |"
            for w in found.workloads
        ),
        "",
        f"_Method: {found.method}._",
    ]
    if found.level_shift:
        lines.insert(3, "It lasted a week or more: a level shift, the new normal from here.\n")
    return Details(f"Why {group} ({by}) looks unusual", "\n".join(lines), [report.provenance])


def _budget(ctx: Ctx, key: str) -> Details:
    """The budget's month as ``budget_status`` gives it now, and the workloads that spent
    the most of it: what the alert was about, and why."""
    parts = key.rsplit(":", 3)
    if len(parts) != 4 or parts[2] not in ("actual", "forecast"):
        raise InputError(f"{key!r} is not a budget alert key (SCOPE:YYYY-MM:BASIS:PERCENT).")
    ident, month = parts[0], parts[1]  # the budget's scope, or its name (budget_ident)
    report = budget_status(BudgetRequest(month=month, budgets=[ident]), ctx)
    b = next((x for x in report.budgets if x.name == ident), report.budgets[0])
    lines = [
        f"## Budget {md_escape(b.name)}, {month}",
        "",
        *budget_markdown([b]),
    ]
    if b.forecast is not None:
        lines += ["", f"_Forecast: {b.forecast.method}._"]
    provenance = [report.provenance]
    kind, _, name = b.scope.partition(":")
    # the part of the month the spend covers, so the workloads add up to "spent"
    covered = month
    if report.covered is not None:
        covered = Window(
            datetime.fromisoformat(report.covered["start"].rstrip("Z")),
            datetime.fromisoformat(report.covered["end"].rstrip("Z")),
        ).label()
    request = CostsRequest(
        window=covered,
        group_by="controller",
        filters={kind: name} if name else {},
        top_n=5,
    )
    try:
        spend = costs(request, ctx)
    except DataGap:
        spend = None
    if spend is not None and spend.rows:
        lines += [
            "",
            f"### Where it went, {covered}",
            "",
            "| Workload | Cost |",
            "|---|---:|",
            *(f"| {md_escape(r.name)} | {usd(r.total)} |" for r in spend.rows),
        ]
        provenance.append(spend.provenance)
    return Details(f"Budget {b.name}, {month}", "\n".join(lines), provenance)


_KINDS = {"digest": _digest, "bill": _bill, "anomaly": _anomaly, "budget": _budget}


def details(ctx: Ctx, kind: str, key: str) -> Details:
    """The details of one notice, for the scope in ``ctx``."""
    build = _KINDS.get(kind)
    if build is None:
        raise InputError(f"No notice kind {kind!r}.", hint=f"One of: {', '.join(_KINDS)}.")
    return build(ctx, key)
