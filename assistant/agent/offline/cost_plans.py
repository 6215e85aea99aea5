"""Plans for cost questions: an entity's cost, totals, rankings, comparisons, the bill,
idle, unallocated and unlabeled cost. Figures are printed exactly as the tools returned
them; a failed or empty tool result is said plainly with the tool's reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from assistant.agent.offline import scoped
from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.runner import Runner, how_read, label, last_month, who, window_arg
from assistant.agent.offline.templates import pct, table
from assistant.billing.models import GroupChange, Variance
from assistant.capabilities.bill import BillReport, CompareReport
from assistant.capabilities.costs import CostLine, CostReport
from assistant.core.markdown import md_escape
from assistant.core.money import usd
from assistant.core.placeholders import IDLE, NO_CONTROLLER, UNALLOCATED, UNLABELED
from assistant.windows import Window

__all__ = [
    "BREAKDOWN",
    "bill",
    "compare",
    "entity_cost",
    "idle",
    "resource_cost",
    "top",
    "total_cost",
    "unallocated",
    "unlabeled",
]


#: what an entity's cost is broken down by (trend_plans uses it for "A vs B" too)
BREAKDOWN = {
    "team": "controller",
    "namespace": "controller",
    "app": "controller",
    "workload": "pod",
    "node": "namespace",
    "cluster": "namespace",
}


#: the warehouse's placeholder names, as a person would say them
_PLACEHOLDERS = {
    NO_CONTROLLER: f"pods without a controller ({NO_CONTROLLER})",
    UNLABELED: f"no label ({UNLABELED})",
}


def _cost_rows(r: CostReport, limit: int = 10) -> list[list[str]]:
    rows = []
    for line in r.rows:
        name = {
            IDLE: "idle (unused node capacity)",
            UNALLOCATED: "unallocated (bill lines no workload explains)",
        }.get(line.name, line.name)
        rows.append([name, usd(line.total)])
    return rows[: limit + 3]


def _estimated(r: CostReport) -> str:
    """Price-list estimates said apart: never in the total, never silently dropped (a
    warehouse with metrics but no bill yet has only these)."""
    if not r.estimates:
        return ""
    shown = ", ".join(f"{md_escape(e.name)} {usd(e.total)}" for e in r.estimates[:5])
    more = f" and {len(r.estimates) - 5} more" if len(r.estimates) > 5 else ""
    return (
        f"\n\nNot on the bill, so not in the total: **{usd(r.estimated_total)}** estimated "
        f"from the price list (nodes or volumes the bill never mentions, or hours it does not "
        f"cover yet): {shown}{more}."
    )


def _kind(r: CostReport, kind: str) -> CostLine | None:
    return next((line for line in r.rows if line.kind == kind), None)


def entity_cost(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    if e is None:
        return total_cost(p, run)
    w = p.slots.window or last_month(run.ctx.now)
    r, msg = run.report(
        "query_costs",
        {
            "window": window_arg(w),
            "group_by": BREAKDOWN.get(e.kind, "namespace"),
            "filters": e.filter,
            "top_n": p.slots.top_n or 5,
        },
        CostReport,
        what=f"{e.kind} {e.name} in {run.when(w)}",
    )
    if r is None:
        return (msg or "") + how_read(e)
    lines = [
        f"The {who(e)} cost **{usd(r.totals.total)}** in {run.when(w)} (amortized, {r.currency})."
    ]
    idle_row = _kind(r, "idle")
    if idle_row is not None:
        lines[0] += (
            f" That includes {usd(idle_row.total)} of idle capacity (node "
            "cost no workload requested)."
        )
    if len(r.rows) > 1:
        lines += ["", f"By {r.group_by}:", "", table([r.group_by, "cost"], _cost_rows(r))]
    return "\n".join(lines) + _estimated(r) + how_read(e)


def total_cost(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    r, msg = run.report(
        "query_costs",
        {"window": window_arg(w), "group_by": "namespace", "top_n": 5},
        CostReport,
        what=f"costs in {run.when(w)}",
    )
    if r is None:
        return msg or ""
    if r.not_visible:
        return scoped.total(r, run.when(w), table(["namespace", "cost"], _cost_rows(r)))
    return "\n".join(
        [
            f"Total cost in {run.when(w)}: **{usd(r.totals.total)}** (amortized, the whole "
            "bill: workloads, idle capacity and unallocated lines).",
            "",
            "Largest namespaces, then idle and unallocated:",
            "",
            table(["namespace", "cost"], _cost_rows(r)),
        ]
    ) + _estimated(r)


def _plural(group: str) -> str:
    """A grouping's name for its groups, as a ranking's heading says them."""
    return {
        "env": "environments",
        "cost_center": "cost centers",
        "controller": "workloads",
        "service": "bill services",
    }.get(group, group + "s")


def _column(group: str) -> str:
    return {"controller": "workload"}.get(group, group)


def _costs_by(
    p: Parsed, run: Runner, w: Window, group: str, top_n: int, what: str
) -> tuple[CostReport | None, str, str]:
    """``query_costs`` by ``group`` within the question's name, if it names one: the report
    (or None and the reason) and the scope as a heading says it (" for team ml")."""
    e = p.slots.entity
    args: dict[str, Any] = {"window": window_arg(w), "group_by": group, "top_n": top_n}
    if e is not None:
        args["filters"] = e.filter
    scope = f" for {e.kind} {md_escape(e.name)}" if e else ""
    r, msg = run.report("query_costs", args, CostReport, what=f"{what}{scope} in {run.when(w)}")
    return r, msg or "", scope


def top(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    group = p.slots.group_by or "namespace"
    n = p.slots.top_n or 5
    e = p.slots.entity
    r, msg, scope = _costs_by(p, run, w, group, n, f"{group} costs")
    if r is None:
        return msg
    # the asset view (nodes, clusters) ranks assets; everything else ranks workload groups
    workloads = [line for line in r.rows if line.kind in ("workload", "asset")]
    rows = [
        [str(i), _PLACEHOLDERS.get(line.name, line.name), usd(line.total)]
        for i, line in enumerate(workloads, 1)
    ]
    rows += [["", line.name, usd(line.total)] for line in r.rows if line.kind == "others"]
    special = {
        "idle": "idle (unused capacity)",
        "unallocated": "unallocated",
        "unattached": "volumes and load balancers no pod used",
    }
    rows += [["", special[line.kind], usd(line.total)] for line in r.rows if line.kind in special]
    plural = _plural(group)
    head = f"Top {len(workloads)} {plural} by cost{scope} in {run.when(w)} (amortized):"
    if r.view == "asset":
        head = (
            f"Top {len(workloads)} {plural} by what they cost on the bill{scope} in "
            f"{run.when(w)} (amortized; each with its own idle capacity):"
        )
    if len(workloads) == 1 and n > 1:  # not "Top 1 clusters": there is only one
        head = f"Only one {plural[:-1]} has cost{scope} in {run.when(w)} (amortized" + (
            "; with its own idle capacity):" if r.view == "asset" else "):"
        )
    column = _column(group)
    if not rows and r.estimates:  # metrics but no bill lines for these hours yet
        return (
            f"No bill lines cover the {plural}{scope} in {run.when(w)}, so nothing is on the "
            "bill to rank." + _estimated(r) + (how_read(e) if e else "")
        )
    return (
        "\n".join(
            [
                head,
                "",
                table(["#", column, "cost"], rows),
                "",
                f"Total: **{usd(r.totals.total)}**.",
            ]
        )
        + _estimated(r)
        + (how_read(e) if e else "")
    )


def _compare_windows(p: Parsed, now: datetime) -> tuple[Window, Window]:
    a, b = p.slots.window, p.slots.window_b
    if a is not None and b is not None:
        return a, b
    if a is not None:
        return a.previous(), a
    later = last_month(now)
    return later.previous(), later


_RANKABLE = {
    "team": "team",
    "namespace": "namespace",
    "controller": "workload",
    "cluster": "cluster",
    "bill:service": "service",
}


def _no_earlier(a: Window, b: Window, run: Runner) -> str | None:
    """Say so when the earlier period is (partly) before the data begins: never a $0."""
    if run.span is None or a.start >= run.span[0]:
        return None
    first = f"{run.span[0]:%Y-%m-%d}"
    if a.end <= run.span[0]:
        return (
            f"There is nothing earlier to compare with: the data starts {first}, so "
            f"{label(b)} has no {label(a)} before it in the data."
        )
    return (
        f"{label(a)} is only partly in the data (it starts {first}): comparing it with "
        f"{label(b)} would count the time before the data as zero, so I won't."
    )


def compare(p: Parsed, run: Runner) -> str:
    a, b = _compare_windows(p, run.ctx.now)
    e = p.slots.entity
    if (gap := _no_earlier(a, b, run)) is not None:
        run.refused = True
        return gap + f" Ask for {label(b)} on its own instead."
    group = p.slots.group_by
    if e is None and group is not None:
        return _ranked(p, run, a, b, group)
    by = {
        "team": "team",
        "namespace": "namespace",
        "workload": "workload",
        "cluster": "cluster",
    }.get(e.kind if e else "", "team")
    r, msg = run.report(
        "compare_periods",
        {"a": window_arg(a), "b": window_arg(b), "by": by, "top_n": 50 if e else 5},
        CompareReport,
        what=f"a comparison of {label(a)} and {label(b)}",
    )
    if r is None:
        return msg or ""
    v = r.variance
    if e is not None:
        key = f"{e.namespace}/{e.controller_kind}/{e.name}" if e.kind == "workload" else e.name
        g = next((x for x in v.groups.get(by, []) if x.group == key), None)
        if g is None:
            return (
                f"The {who(e)} has no cost in {label(a)} or {label(b)} that "
                "compare_periods could attribute." + how_read(e)
            )
        change = usd(g.change, signed=True)
        share = f" ({pct(g.pct, already_percent=True, signed=True)})" if g.pct is not None else ""
        lines = [
            f"The {who(e)} cost {usd(g.before)} in {run.when(a)} and "
            f"{usd(g.after)} in {run.when(b)}: **{change}**{share}."
        ]
        effects = [[k.replace("_", " "), usd(x, signed=True)] for k, x in g.effects.items()]
        if effects:
            lines += ["", "What moved it:", "", table(["effect", "amount"], effects)]
        return "\n".join(lines) + how_read(e)
    return _variance_text(v, a, b)


def _ranked(p: Parsed, run: Runner, a: Window, b: Window, group: str) -> str:
    """ "Which team grew the most": every group's change, ranked."""
    by = _RANKABLE.get(group)
    if by is None:
        run.refused = True
        return (
            f"I can rank a change by team, namespace, workload, cluster or bill service, not by "
            f'{group}. Try: "Which team grew the most from {label(a)} to {label(b)}?"'
        )
    r, msg = run.report(
        "compare_periods",
        {"a": window_arg(a), "b": window_arg(b), "by": by, "top_n": 50},
        CompareReport,
        what=f"a comparison of {label(a)} and {label(b)} by {by}",
    )
    if r is None:
        return msg or ""
    groups: list[GroupChange] = [
        g for g in r.variance.groups.get(by, []) if not g.group.startswith("__")
    ]
    if not groups:
        return f"No {by} has cost in {label(a)} or {label(b)}."
    least = p.slots.rank == "least" or _falls(p)
    ordered = sorted(groups, key=lambda g: (g.change, g.group) if least else (-g.change, g.group))
    top = ordered[0]
    verb = (
        "fell the most"
        if least and top.change < 0
        else "grew the least"
        if least
        else "grew the most"
    )
    n = p.slots.top_n or 5
    rows = [
        [
            g.group,
            usd(g.before),
            usd(g.after),
            usd(g.change, signed=True),
            pct(g.pct, already_percent=True, signed=True) if g.pct is not None else "new",
        ]
        for g in ordered[:n]
    ]
    lines = [
        f"From {run.when(a)} to {run.when(b)}, the {by} **{top.group}** {verb}: "
        f"{usd(top.before)} to {usd(top.after)}, **{usd(top.change, signed=True)}**.",
        "",
        table([by, label(a), label(b), "change", "%"], rows),
    ]
    # periods of different lengths (a month's halves, 30 vs 31 days): how much of every
    # change is the number of days, said beside the ranking it would otherwise inflate
    for note in r.variance.notes[:2]:
        lines += ["", f"_{note}_"]
    return "\n".join(lines)


def _falls(p: Parsed) -> bool:
    return False


def _variance_text(v: Variance, a: Window, b: Window, top: int = 5) -> str:
    pct_text = f" ({pct(v.pct, already_percent=True, signed=True)})" if v.pct is not None else ""
    lines = [
        f"Total cost went from {usd(v.total_a)} in {label(a)} to "
        f"{usd(v.total_b)} in {label(b)}: **{usd(v.change, signed=True)}**"
        f"{pct_text} (amortized).",
        "",
    ]
    if v.effects:
        lines += [
            "The change, by effect (these add up to it):",
            "",
            table(["effect", "amount"], [[x.label, usd(x.amount, signed=True)] for x in v.effects]),
        ]
    else:  # an empty table read as a missing answer
        lines.append("No effect changed the total: each (usage, price, mix, idle…) nets to $0.")
    drivers = v.drivers[:top]
    if drivers:
        lines += [
            "",
            "Largest drivers:",
            "",
            table(
                ["driver", "effect", "amount"],
                [
                    [x.subject, x.effect.replace("_", " "), usd(x.amount, signed=True)]
                    for x in drivers
                ],
            ),
        ]
    for note in v.notes[:2]:
        lines += ["", f"_{note}_"]
    return "\n".join(lines)


def bill(p: Parsed, run: Runner) -> str:
    w = p.slots.window
    if p.slots.window_b is not None or (w is not None and ".." in w.label()):
        return compare(p, run)  # two periods or a non-month: a comparison
    w = w or last_month(run.ctx.now)
    r, msg = run.report(
        "explain_bill",
        {"month": window_arg(w), "top_n": 5},
        BillReport,
        what=f"the {label(w)} bill",
    )
    if r is None:
        return msg or ""
    x = r.explanation
    t = x.totals
    if t is None:  # a scoped asker: their workloads' part, never the org-wide bill
        lines = [scoped.bill(x, run.when(w))]
    else:
        lines = [
            f"The {run.when(w)} bill: **{usd(t.invoice)}** invoiced, "
            f"{usd(t.amortized)} amortized (commitments spread)."
        ]
        extras = [
            f"credits {usd(t.credits)}" if t.credits else "",
            f"tax {usd(t.tax)}" if t.tax else "",
            f"commitment savings {usd(t.commitment_savings)}" if t.commitment_savings else "",
        ]
        if any(extras):
            lines.append("It includes " + ", ".join(e for e in extras if e) + ".")
    f = x.forecast
    if f is not None:
        span = f" (range {usd(f.low)} to {usd(f.high)})" if f.low is not None else ""
        lines.append(
            f"The month is not over: forecast for the whole month **{usd(f.forecast)}**"
            f"{span} ({f.method})."
        )
    v = x.variance
    if v is not None:
        lines += ["", _variance_text(v, _window(v.a), _window(v.b))]
    elif run.span is not None and w.previous().end <= run.span[0]:
        lines += [
            "",
            f"There is no earlier month in the data to compare it with (the data starts "
            f"{run.span[0]:%Y-%m-%d}), so I can't say what made it go up or down.",
        ]
    else:
        lines += [f"_{n}_" for n in x.notes if n.startswith("No comparison")]
    return "\n".join(lines)


def _window(d: dict[str, str]) -> Window:
    def parse(s: str) -> datetime:
        return datetime.fromisoformat(s.rstrip("Z"))

    return Window(parse(d["start"]), parse(d["end"]))


def idle(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    r, msg = run.report(
        "query_costs",
        # the allocation view: idle is its own row (the asset view folds it into each node)
        {
            "window": window_arg(w),
            "group_by": "cluster",
            "top_n": 10,
            "share_idle": False,
            "view": "allocation",
        },
        CostReport,
        what=f"idle cost in {run.when(w)}",
    )
    if r is None:
        return msg or ""
    if "idle" in r.not_visible:
        return scoped.hidden("idle", run.when(w))
    row = _kind(r, "idle")
    if row is None:
        return f"No idle cost in {run.when(w)}: every node-hour was allocated to workloads."
    share = pct(r.idle_share) if r.idle_share is not None else "n/a"
    return "\n".join(
        [
            f"Idle cost (node capacity no workload requested) in {run.when(w)}: "
            f"**{usd(row.total)}**, {share} of the {usd(r.totals.total)} total.",
            "",
            table(
                ["resource", "idle cost"],
                [["CPU", usd(row.cpu)], ["RAM", usd(row.ram)], ["GPU", usd(row.gpu)]],
            ),
        ]
    )


def unallocated(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    r, msg = run.report(
        "query_costs",
        {"window": window_arg(w), "group_by": "team", "top_n": 1},
        CostReport,
        what=f"unallocated cost in {run.when(w)}",
    )
    if r is None:
        return msg or ""
    if "unallocated" in r.not_visible:
        return scoped.hidden("unallocated", run.when(w))
    row = _kind(r, "unallocated")
    if row is None:
        return f"Nothing was unallocated in {run.when(w)}: every bill line maps to the cluster."
    lines = [
        f"Unallocated cost in {run.when(w)}: **{usd(row.total)}** of the "
        f"{usd(r.totals.total)} bill (bill lines no cluster resource explains: "
        "control plane, data transfer, storage outside the cluster, tax, credits)."
    ]
    by, _ = run.report(
        "query_costs", {"window": window_arg(w), "group_by": "service", "top_n": 50}, CostReport
    )
    if by is not None:
        rows = [[x.name, usd(x.total)] for x in by.rows if x.kind == "unallocated"]
        if rows:
            lines += ["", "By bill service:", "", table(["service", "cost"], rows)]
    return "\n".join(lines)


def unlabeled(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    r, msg = run.report(
        "query_costs",
        {"window": window_arg(w), "group_by": "team", "top_n": 50},
        CostReport,
        what=f"team labels in {run.when(w)}",
    )
    if r is None:
        return msg or ""
    lines = [
        f"Cost without a team label in {run.when(w)}: **{usd(r.unlabeled_cost)}**, "
        f"{pct(r.unlabeled_share or 0)} of workload cost (idle and unallocated "
        "excluded)."
    ]
    if r.unlabeled_cost:
        ns, _ = run.report(
            "query_costs",
            {
                "window": window_arg(w),
                "group_by": "namespace",
                "top_n": 20,
                "filters": {"team": UNLABELED},
            },
            CostReport,
        )
        if ns is not None:
            rows = [[x.name, usd(x.total)] for x in ns.rows if x.kind in ("workload", "others")]
            lines += ["", "Namespaces with unlabeled cost:", "", table(["namespace", "cost"], rows)]
    return "\n".join(lines)


#: query_costs' cost columns as a question names them
RESOURCE_LABELS = {
    "cpu": "CPU",
    "ram": "memory",
    "gpu": "GPU",
    "pv": "storage",
    "lb": "load balancer",
}
#: "spent $X on …"
_SPENT_ON = {"gpu": "GPUs", "lb": "load balancers"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_STORAGE_NOTE = (
    "\n\n_Storage here is the persistent volumes pods mounted (their share of each volume's "
    "bill line). Storage no pod claims (object storage, snapshots) stays unallocated on the "
    'bill: ask "how much did we spend on storage?" for the bill\'s storage services._'
)
#: a ranking by one column reads this many groups (ranked by total) and re-ranks them
_RANK_POOL = 200


def _col(line: CostLine, resource: str) -> Any:
    return getattr(line, resource)


def resource_cost(p: Parsed, run: Runner) -> str:
    """One cost column (``Slots.resource``) of a name, of each group ranked by it, or of
    everything: the same ``query_costs`` rows as any cost answer, read by that column."""
    res = p.slots.resource or "cpu"
    what = RESOURCE_LABELS[res]
    w = p.slots.window or last_month(run.ctx.now)
    e = p.slots.entity
    group = p.slots.group_by
    if p.slots.change:
        text = _resource_change(p, run, res)
    elif group:
        text = _resource_ranking(p, run, res, group, w)
    elif e is not None:
        text = _resource_of(p, run, res, w)
    else:
        r, msg = run.report(
            "query_costs",
            {"window": window_arg(w), "group_by": "namespace", "top_n": 5},
            CostReport,
            what=f"{what} cost in {run.when(w)}",
        )
        if r is None:
            return msg or ""
        text = (
            f"{_cap(what)} cost in {run.when(w)}: "
            f"**{usd(_col(r.totals, res))}** (amortized), of "
            f"{usd(r.totals.total)} in all."
        )
        idle_row = _kind(r, "idle")
        if idle_row is not None and _col(idle_row, res):
            text += (
                f" Of it, {usd(_col(idle_row, res))} was idle capacity (node {what} no "
                "workload requested)."
            )
        if r.not_visible:
            text += " Your teams' workloads only: idle capacity is not visible to you."
    return text + (_STORAGE_NOTE if res == "pv" else "")


def _resource_change(p: Parsed, run: Runner, res: str) -> str:
    """One resource's cost in two periods ("did GPU spend go up in November?": November
    against October), of the name asked about or of everything: the same ``query_costs``
    column read twice, and how much of the change is the number of days when the periods
    differ in length."""
    a, b = _compare_windows(p, run.ctx.now)
    if (gap := _no_earlier(a, b, run)) is not None:
        run.refused = True
        return gap
    e = p.slots.entity
    what = RESOURCE_LABELS[res]
    args: dict[str, Any] = {"group_by": "namespace", "top_n": 5}
    if e is not None:
        args = {"group_by": BREAKDOWN.get(e.kind, "namespace"), "top_n": 5, "filters": e.filter}
    values = []
    for w in (a, b):
        r, msg = run.report(
            "query_costs",
            {"window": window_arg(w), **args},
            CostReport,
            what=f"{what} cost in {run.when(w)}",
        )
        if r is None:
            return msg or ""
        values.append(_col(r.totals, res))
    before, after = values
    change = after - before
    whose = f"The {who(e)}: its" if e else "Our"
    share = f" ({pct(change / before, signed=True)})" if before else ""
    lines = [
        f"{whose} {what} cost went from {usd(before)} in {run.when(a)} to {usd(after)} in "
        f"{run.when(b)}: **{usd(change, signed=True)}**{share} (amortized)."
    ]
    days_a, days_b = (Decimal((w.end - w.start) // timedelta(hours=1)) / 24 for w in (a, b))
    if days_a != days_b and days_a and days_b:
        lines.append(
            f"_{label(b)} covers {days_b.normalize():f} days and {label(a)} "
            f"{days_a.normalize():f}: per day, {usd(after / days_b)} against "
            f"{usd(before / days_a)}._"
        )
    return "\n\n".join(lines) + (how_read(e) if e else "")


def _resource_of(p: Parsed, run: Runner, res: str, w: Window) -> str:
    e = p.slots.entity
    assert e is not None
    what = RESOURCE_LABELS[res]
    r, msg = run.report(
        "query_costs",
        {
            "window": window_arg(w),
            "group_by": BREAKDOWN.get(e.kind, "namespace"),
            "filters": e.filter,
            "top_n": _RANK_POOL,
        },
        CostReport,
        what=f"{e.kind} {e.name} in {run.when(w)}",
    )
    if r is None:
        return (msg or "") + how_read(e)
    value, total = _col(r.totals, res), r.totals.total
    share = f" ({pct(value / total)} of its {usd(total)})" if total else ""
    on = _SPENT_ON.get(res, what)
    lines = [f"The {who(e)} spent **{usd(value)}** on {on} in {run.when(w)}{share} (amortized)."]
    parts = sorted(
        (line for line in r.rows if line.kind in ("workload", "asset") and _col(line, res)),
        key=lambda line: (-_col(line, res), line.name),
    )
    if len(parts) > 1:
        rows = [[_PLACEHOLDERS.get(x.name, x.name), usd(_col(x, res))] for x in parts[:8]]
        lines += ["", f"By {r.group_by}:", "", table([r.group_by, f"{what} cost"], rows)]
        if len(parts) > 8:
            lines += ["", f"_and {len(parts) - 8} more {r.group_by}s with smaller {what} cost._"]
    return "\n".join(lines) + _estimated(r) + how_read(e)


def _resource_ranking(p: Parsed, run: Runner, res: str, group: str, w: Window) -> str:
    what = RESOURCE_LABELS[res]
    e = p.slots.entity
    r, msg, scope = _costs_by(p, run, w, group, _RANK_POOL, f"{group} {what} costs")
    if r is None:
        return msg
    groups = [x for x in r.rows if x.kind in ("workload", "asset")]
    ranked = sorted((x for x in groups if _col(x, res)), key=lambda x: (-_col(x, res), x.name))
    noun = _plural(group)
    if not ranked:
        return f"No {noun}{scope} had {what} cost in {run.when(w)}." + (how_read(e) if e else "")
    n = p.slots.top_n or 5
    shown = ranked[:n]
    rows = [
        [str(i), _PLACEHOLDERS.get(x.name, x.name), usd(_col(x, res)), usd(x.total)]
        for i, x in enumerate(shown, 1)
    ]
    lines = [
        (
            f"Top {len(shown)} {noun} by {what} cost{scope} in {run.when(w)} (amortized):"
            if len(shown) == n or len(shown) > 1
            else f"Only one {noun[:-1]} had {what} cost{scope} in {run.when(w)} (amortized):"
        ),
        "",
        table(["#", _column(group), f"{what} cost", "total cost"], rows),
        "",
        f"{_cap(what)} cost in all: **{usd(_col(r.totals, res))}**, "
        f"{len(ranked)} {noun if len(ranked) > 1 else noun[:-1]} with any.",
    ]
    idle_row = _kind(r, "idle")
    if idle_row is not None and _col(idle_row, res):
        lines[-1] += (
            f" Of it, {usd(_col(idle_row, res))} was idle capacity, in no {group}'s figure."
        )
    if r.more:
        lines += [
            "",
            f"_Ranked among the {_RANK_POOL} {noun} that cost the most in all; "
            f"{r.more} smaller ones were not read._",
        ]
    return "\n".join(lines) + (how_read(e) if e else "")
