"""Plans for the bill's own dimensions: a service's or category's cost, credits and tax,
storage, commitment and spot savings, and orphaned resources still billed.

All read ``bill_costs`` (the FOCUS lines) or ``orphaned_resources`` as typed reports; a
scoped asker gets the tool's refusal (the bill is organisation-wide) plus what they can ask.
"""

from __future__ import annotations

from typing import Any

from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.refs import EntityRef
from assistant.agent.offline.runner import Runner, last_month, who, window_arg
from assistant.agent.offline.templates import pct, table
from assistant.billing.lines import BillCostsReport
from assistant.billing.models import BillTotals
from assistant.capabilities.costs import CostReport
from assistant.capabilities.orphans import OrphansReport
from assistant.core.money import usd
from assistant.windows import Window

__all__ = ["bill_cost", "orphans", "savings"]

_PRICING = {"Standard": "on-demand", "Dynamic": "spot", "Committed": "commitment-covered"}
_CHARGE = {
    "Credit": "credits",
    "Tax": "tax",
    "Adjustment": "refunds and adjustments",
    "Purchase": "purchases (commitments bought)",
    "Usage": "usage",
}


def _describe(ref: EntityRef) -> str:
    value = ref.filter.get(ref.kind, ref.name)
    if ref.kind == "charge_category":
        return _CHARGE.get(value, value).capitalize()
    if ref.kind == "pricing_category":
        return f"{_PRICING.get(value, value).capitalize()} usage"
    if ref.kind == "service_category":
        extra = " (storage services plus volumes)" if value == "Storage" else ""
        return f"{value}{extra}"
    if ref.kind == "resource_type":
        return f"{value} lines"
    if ref.kind == "service":
        return f"**{value}**"
    return f"{ref.kind.replace('_', ' ')} **{value}**"


def _window(p: Parsed, run: Runner) -> tuple[str, Window | None]:
    if p.slots.all_data:
        return "all", None
    w = p.slots.window or last_month(run.ctx.now)
    return window_arg(w), w


def _when(r: BillCostsReport, run: Runner) -> str:
    """The window as the answer says it, with where the bill data ends inside it."""
    if r.data_span and r.window == r.data_span:
        return f"all the billing data ({r.window['label'].replace('..', ' to ')})"
    text = r.window["label"].replace("..", " to ")
    end = (r.data_span or {}).get("end", "")
    if end and end < r.window["end"] and r.window["start"] < end:
        kind = "month to date" if "-" in text and text.count("-") == 1 else "so far"
        text += f" ({kind}: the billing data ends {end[:16].replace('T', ' ')} UTC)"
    return text


def _groups(r: BillCostsReport, dim: str, asked: bool) -> str:
    rows = [[g.name, usd(g.amount)] for g in r.rows]
    if r.others is not None:
        rows.append([r.others.name, usd(r.others.amount)])
    return table([dim.replace("_", " "), "cost"], rows) if len(rows) > 1 or asked else ""


def _group_for(filters: dict[str, str], asked: str | None) -> str:
    if asked and asked.startswith("bill:"):
        return asked.removeprefix("bill:")
    if "service" in filters:
        return "resource_type"
    return "service"


def bill_cost(p: Parsed, run: Runner) -> str:
    refs = list(p.slots.bill)
    missing = [r for r in refs if r.how == "missing"]
    if missing:
        return _absent(missing[0], p, run)
    e = p.slots.entity
    if e is not None and not e.is_bill:
        return _entity_part(p, run, e, refs)
    filters = {r.kind: r.filter[r.kind] for r in refs if r.kind in r.filter}
    group = _group_for(filters, p.slots.group_by)
    if p.slots.bucket == "month":
        group = "month"
    what = " and ".join(_describe(r) for r in refs) or "The cloud bill"
    if p.slots.window_b is not None and p.slots.window is not None:
        return _two_windows(p, run, filters, what)
    window, _ = _window(p, run)
    args: dict[str, Any] = {"window": window, "group_by": group, "filters": filters}
    if p.slots.top_n:
        args["top_n"] = p.slots.top_n
    r, msg = run.report("bill_costs", args, BillCostsReport)
    if r is None:
        if filters and (run.last_error or "").startswith("No billing lines"):
            # nothing of it in the window: an answer (none), with the span the data covers
            when = run.when(p.slots.window) if p.slots.window else window
            return f"No {what.strip('*').lower()} in {when}: {run.last_error}"
        return _unavailable(msg or "", what, run)
    lines = [f"{what} in {_when(r, run)}: **{usd(r.total.amount)}** (amortized, EffectiveCost)."]
    if r.total.billed != r.total.effective:
        lines[0] += f" On the invoice (BilledCost): {usd(r.total.billed)}."
    if refs and refs[0].kind == "charge_category" and r.total.amount < 0:
        lines.append("Credits are negative: they reduce the bill.")
    table_text = _groups(r, group, asked=bool(p.slots.group_by) or group == "month")
    if table_text:
        lines += ["", f"By {group.replace('_', ' ')}:", "", table_text]
    return "\n".join(lines)


def _two_windows(p: Parsed, run: Runner, filters: dict[str, str], what: str) -> str:
    assert p.slots.window is not None and p.slots.window_b is not None
    out = []
    reports = []
    for w in (p.slots.window, p.slots.window_b):
        r, msg = run.report(
            "bill_costs",
            {"window": window_arg(w), "group_by": "service", "filters": filters},
            BillCostsReport,
        )
        if r is None:
            return _unavailable(msg or "", what, run)
        reports.append(r)
        out.append(f"{_when(r, run)}: **{usd(r.total.amount)}**")
    a, b = reports
    later, earlier = b.total.amount, a.total.amount
    direction = "higher" if later > earlier else "lower" if later < earlier else "the same"
    text = f"{what}, amortized: " + "; ".join(out) + f" ({direction} in the later period)."
    end = (b.data_span or {}).get("end", "")
    if end and end < b.window["end"]:
        text += (
            f" {b.window['label']} is not over, so this sets part of a month against a whole "
            "one: not like for like."
        )
    return text


def _absent(ref: EntityRef, p: Parsed, run: Runner) -> str:
    """The bill has no line of what was asked: say so, with what it does have."""
    window, _ = _window(p, run)
    r, msg = run.report("bill_costs", {"window": window, "group_by": ref.kind}, BillCostsReport)
    if r is None:
        return _unavailable(msg or "", ref.name, run)
    present = ", ".join(f"{g.name} ({usd(g.amount)})" for g in r.rows)
    return (
        f"The billing data has no {ref.name} in {_when(r, run)}: no line has a "
        f"{ref.kind.replace('_', ' ')} for it. What it has: {present}."
    )


def _entity_part(p: Parsed, run: Runner, e: EntityRef, refs: list[EntityRef]) -> str:
    """A team's (namespace's, workload's) storage is the volumes its pods mount."""
    column = _resource_column(refs)
    w = p.slots.window or last_month(run.ctx.now)
    if column is None:
        run.refused = True
        named = " and ".join(r.phrase or r.name for r in refs)
        return (
            f"I can't split {e.kind} {e.name}'s cost by {named}: bill services are "
            "organisation-wide lines, and a workload's cost is split by resource instead. Try: "
            f'"What did the {e.kind} {e.name} spend in {w.label()}?" (CPU, memory, GPU, '
            "storage, network per workload) or the bill's own figure without the "
            f'{e.kind}: "How much did we spend on {named} in {w.label()}?"'
        )
    r, msg = run.report(
        "query_costs",
        {"window": window_arg(w), "group_by": "namespace", "filters": e.filter},
        CostReport,
        what=f"{e.kind} {e.name} in {run.when(w)}",
    )
    if r is None:
        return msg or ""
    what = {
        "pv": "storage (the persistent volumes its pods mount)",
        "lb": "load balancers (the LoadBalancer services its pods back)",
    }[column]
    return (
        f"The {who(e)} spent **{usd(r.totals.cost(column))}** on {what} in {run.when(w)}, "
        f"of {usd(r.totals.total)} in all."
    )


def _resource_column(refs: list[EntityRef]) -> str | None:
    """The allocation column a workload's share of a bill dimension is: volumes and
    storage are ``pv``, load balancers ``lb``; anything else has no per-workload split."""
    values = {r.filter.get(r.kind, "") for r in refs if r.filter}
    if values and values <= {"Storage", "Volume"}:
        return "pv"
    if values and all("Load Balanc" in v for v in values):
        return "lb"
    return None


def _unavailable(msg: str, what: str, run: Runner) -> str:
    if "organisation-wide" in msg:
        run.refused = True
        return (
            msg + "\n\nYou can ask for your own workloads' cost instead, e.g. \"What did my team "
            'spend last month?" or "Top 5 workloads last month".'
        )
    return msg


def savings(p: Parsed, run: Runner) -> str:
    window, _ = _window(p, run)
    spot_named = any(r.kind == "pricing_category" for r in p.slots.bill)
    r, msg = run.report(
        "bill_costs", {"window": window, "group_by": "pricing_category"}, BillCostsReport
    )
    if r is None or r.summary is None:
        return _unavailable(msg or "There are no billing lines.", "savings", run)
    s = r.summary
    when = _when(r, run)
    parts = []
    if p.slots.topic in ("commitment", "both") or not spot_named:
        parts.append(_commitments(s, when))
    if p.slots.topic in ("spot", "both") or spot_named:
        parts.append(_spot(s, when))
    return "\n\n".join(parts)


def _commitments(s: BillTotals, when: str) -> str:
    if s.commitment_covered_usage == 0 and s.commitment_purchases == 0:
        return (
            f"No usage in {when} was covered by a commitment (no savings plan or reservation "
            "lines in the bill), so commitments saved nothing."
        )
    lines = [
        f"Commitments (savings plans and reservations) saved **{usd(s.commitment_savings)}** "
        f"in {when}: the usage they covered cost {usd(s.commitment_covered_usage)} amortized "
        "instead of its list price.",
        "",
        table(
            ["figure", "value"],
            [
                ["saving against list price", usd(s.commitment_savings)],
                ["covered usage (amortized)", usd(s.commitment_covered_usage)],
                [
                    "coverage (covered ÷ usage)",
                    pct(s.commitment_coverage_pct, already_percent=True)
                    if s.commitment_coverage_pct is not None
                    else "n/a",
                ],
                [
                    "utilisation (used ÷ used + unused)",
                    pct(s.commitment_utilisation_pct, already_percent=True)
                    if s.commitment_utilisation_pct is not None
                    else "n/a",
                ],
                ["unused commitment", usd(s.commitment_unused)],
                ["commitment purchases (invoice)", usd(s.commitment_purchases)],
            ],
        ),
    ]
    return "\n".join(lines)


def _spot(s: BillTotals, when: str) -> str:
    if s.spot_list == 0:
        return f"No spot usage in {when}: the bill has no spot (Dynamic) lines."
    share = pct(s.spot_savings / s.spot_list) if s.spot_list else "n/a"
    return (
        f"Spot usage in {when} cost {usd(s.spot_effective)} against {usd(s.spot_list)} at "
        f"list (on-demand) price: spot saved **{usd(s.spot_savings)}** ({share} off list)."
    )


_VOLUME_WORDS = ("volume", "disk", "pvc", "claim", "storage", "pv")


def orphans(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    asked = " ".join(b.phrase or b.name for b in p.slots.bill).lower()
    volumes = any(x in asked for x in _VOLUME_WORDS)
    args: dict[str, Any] = {"window": window_arg(w)}
    if volumes:
        args["kinds"] = ["volume", "claim"]
    what = "orphaned volumes" if volumes else "orphaned resources"
    d, msg = run.report("orphaned_resources", args, OrphansReport, what=f"{what} in {run.when(w)}")
    if d is None:
        return msg or ""
    if not d.resources:
        return f"No {what} in {run.when(w)}: everything that cost money served a running pod."
    rows = [
        [
            o.kind.replace("_", " "),
            f"{o.namespace}/{o.name}" if o.namespace else o.name,
            usd(o.cost) if o.cost is not None else "unpriced",
            o.price_source,
            o.evidence,
        ]
        for o in d.resources
    ]
    billed = usd(d.total_from_bill)
    return "\n".join(
        [
            f"{d.count} {what} in {run.when(w)} cost **{usd(d.total_cost)}** while serving "
            f"no running pod ({billed} of it on their own bill lines, still billed).",
            "",
            table(["kind", "resource", "cost", "price from", "evidence"], rows),
        ]
    )
