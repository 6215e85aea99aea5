"""Notices as Slack Block Kit: pure functions from a notice's report to ``(text, blocks)``.

Each notice carries the numbers of one capability report, a "Why?" or "Details" button
whose press is answered in the notice's thread (:mod:`assistant.interfaces.slack_details`),
and the same sources line an answer ends with. Names come from clusters and bills Penny
does not control, so every one is written with :func:`plain` (shown as is: no mention, no
link, no stray bold).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from assistant.billing.models import Anomaly
from assistant.budgets import BudgetReport, BudgetStatus
from assistant.capabilities.bill import BillReport
from assistant.core.money import usd
from assistant.core.provenance import Provenance
from assistant.interfaces.slack_blocks import DRAFT_ACTION, sources_text
from assistant.notify.budget import Crossing, percent_of
from assistant.notify.digest import Digest

__all__ = [
    "WHY_ACTION",
    "anomaly_blocks",
    "bill_blocks",
    "budget_blocks",
    "digest_blocks",
    "plain",
    "why_button",
    "why_value",
]

WHY_ACTION = "penny_why"
_LOOKALIKE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})


def plain(text: object) -> str:
    """Data as mrkdwn that shows it literally: ``<!channel>`` and links cannot fire and
    ``__idle__`` is not bold (Slack has no escape character, so look-alikes stand in)."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.translate(_LOOKALIKE)


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f" ({value:+.2f}%)"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2900]}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def why_value(kind: str, key: str) -> str:
    """The button's value: what to explain. The scope is never in it: a press is answered
    with the scope of the channel it was pressed in."""
    return json.dumps({"kind": kind, "key": key}, separators=(",", ":"))[:2000]


def why_button(kind: str, key: str, label: str = "Why?") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": WHY_ACTION,
        "text": {"type": "plain_text", "text": label},
        "value": why_value(kind, key),
    }


def _sources(provenance: list[Provenance], what: str) -> dict[str, Any]:
    return _context(plain(f"Sources: {sources_text(provenance)} | Penny {what}"))


def digest_blocks(d: Digest) -> tuple[str, list[dict[str, Any]]]:
    """Last week's cost, the biggest change and its driver, one saving; Why? + Draft patch."""
    week = d.week["label"]
    direction = "up" if d.change > 0 else "down" if d.change < 0 else "unchanged"
    moved = "" if d.change == 0 else f" *{usd(abs(d.change))}*{_pct(d.pct)}"
    lines = [
        f"*{usd(d.cost)}* last week ({week}), {direction}{moved} from "
        f"{usd(d.previous_cost)} the week before."
    ]
    if d.biggest is not None:
        b = d.biggest
        via = f" ({plain(b.workload)} most)" if b.workload else ""
        lines.append(
            f"*Biggest change:* {plain(b.group)} {usd(b.change, signed=True)}{_pct(b.pct)}, "
            f"{usd(b.before)} → {usd(b.after)}, driven by {plain(b.driver)} "
            f"({usd(b.driver_amount, signed=True)}){via}."
        )
    else:
        lines.append("*Biggest change:* none; every group cost the same as the week before.")
    buttons = [why_button("digest", week)]
    if d.saving is not None:
        s = d.saving
        lines.append(
            f"*One saving:* rightsize {plain(s.workload)}: {usd(s.current_monthly)} → "
            f"{usd(s.proposed_monthly)} a month, saves *{usd(s.monthly_savings)}/month*."
        )
        buttons.append(
            {
                "type": "button",
                "action_id": f"{DRAFT_ACTION}_0",
                "value": s.workload[:2000],
                "text": {
                    "type": "plain_text",
                    "text": f"Draft patch: {s.workload.split('/')[-1]}"[:75],
                },
            }
        )
    blocks = [
        _header(f"Weekly cost: {d.audience}"),
        *(_section(line) for line in lines),
        *(_context(f"_{plain(n)}_") for n in d.notes[:2]),
        {"type": "actions", "block_id": "penny_notice", "elements": buttons},
        _sources(d.provenance, f"weekly digest for {d.audience}"),
    ]
    text = f"Weekly cost for {d.audience}: {usd(d.cost)} last week ({usd(d.change, signed=True)})"
    return text, blocks


def bill_blocks(report: BillReport, audience: str) -> tuple[str, list[dict[str, Any]]]:
    """The closed month's narrative (the same text `penny bill` opens with); Details."""
    expl = report.explanation
    month = expl.month["label"]
    blocks = [
        _header(f"The {month} bill has closed"),
        _section(plain(expl.narrative)),
        {
            "type": "actions",
            "block_id": "penny_notice",
            "elements": [why_button("bill", month, "Details and charts")],
        },
        _sources([report.provenance], f"month-close bill for {audience}"),
    ]
    total = expl.totals.amortized if expl.totals is not None else expl.allocated_total
    return f"The {month} bill for {audience}: {usd(total)} amortized", blocks


def anomaly_blocks(
    a: Anomaly, key: str, provenance: Provenance, audience: str
) -> tuple[str, list[dict[str, Any]]]:
    """One unusual day (or run of days) with the workloads that moved; Why?"""
    when = a.day if a.days == 1 else f"{a.day}..{a.last_day} ({a.days} days)"
    verb = "spiked" if a.direction == "spike" else "dropped"
    lines = [
        f"*{plain(a.group)}* ({a.by}) {verb} on {when}: *{usd(a.actual)}* against "
        f"{usd(a.expected)} expected ({usd(a.excess, signed=True)})."
        + (" A level shift: this looks like the new normal." if a.level_shift else "")
    ]
    if a.workloads:
        top = a.workloads[0]
        lines.append(
            f"Mostly {plain(top['workload'])} ({usd(top['excess'], signed=True)} against its "
            "usual cost)."
        )
    blocks = [
        _header(f"Unusual cost: {a.group} ({a.by})"),
        *(_section(line) for line in lines),
        {"type": "actions", "block_id": "penny_notice", "elements": [why_button("anomaly", key)]},
        _sources([provenance], f"anomaly alert for {audience}"),
    ]
    text = f"Unusual cost: {a.group} {verb} on {when} ({usd(a.excess, signed=True)})"
    return text, blocks


def _share(pct: Decimal) -> str:
    return "over a zero budget" if pct.is_infinite() else f"{pct}%"


def budget_blocks(
    b: BudgetStatus, c: Crossing, key: str, report: BudgetReport, audience: str
) -> tuple[str, list[dict[str, Any]]]:
    """One threshold of one budget reached, on the actual or the forecast, with the
    numbers of ``budget_status`` (spent, forecast, remaining); Details."""
    month = report.month["label"]
    name = plain(b.name)
    to = (
        f" (data to {report.covered['end'][:13].replace('T', ' ')}:00 UTC)"
        if report.covered and not report.complete
        else ""
    )
    used = "" if b.spent is None else f" ({_share(percent_of(b.spent, b.monthly))})"
    left = (
        f"{usd(b.remaining)} left"
        if b.remaining is None or b.remaining >= 0
        else f"{usd(-b.remaining)} over"
    )
    spent = (
        f"*{name}* has spent *{usd(b.spent)}*{used} of its {usd(b.monthly)} budget for "
        f"{month}, {left}{to}."
    )
    lines = [spent]
    if b.forecast is not None and b.remaining_after_forecast is not None:
        after = b.remaining_after_forecast
        lines.append(
            f"Forecast for the month: *{usd(b.forecast.forecast)}* "
            f"({_share(percent_of(b.forecast.forecast, b.monthly))}), "
            + (f"{usd(after)} under budget." if after >= 0 else f"{usd(-after)} over budget.")
        )
    if c.basis == "actual":
        head = f"Budget {b.name}: {c.threshold}% reached"
        text = (
            f"Budget {b.name} reached {c.threshold}% in {month}: {usd(c.value)} of {usd(b.monthly)}"
        )
    else:
        head = f"Budget {b.name}: forecast at {c.threshold}%"
        text = (
            f"Budget {b.name} is forecast to reach {c.threshold}% in {month}: "
            f"{usd(c.value)} of {usd(b.monthly)}"
        )
    blocks = [
        _header(head),
        *(_section(line) for line in lines),
        *([_context(f"_{plain(b.note)}_")] if b.note else []),
        {
            "type": "actions",
            "block_id": "penny_notice",
            "elements": [why_button("budget", key, "Details")],
        },
        _sources([report.provenance], f"budget alert for {audience}"),
    ]
    return text, blocks
