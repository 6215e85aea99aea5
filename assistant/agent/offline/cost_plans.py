"""Plans for cost questions: an entity's cost, totals, rankings, comparisons, the bill,
idle, unallocated and unlabeled cost. Figures are printed exactly as the tools returned
them; a failed or empty tool result is said plainly with the tool's reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.runner import (
    Runner,
    how_read,
    label,
    last_month,
    problem,
    who,
    window_arg,
)
from assistant.agent.offline.templates import money, pct, table
from assistant.windows import Window

__all__ = [
    "BREAKDOWN",
    "bill",
    "compare",
    "entity_cost",
    "idle",
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
    "__no_controller__": "pods without a controller (__no_controller__)",
    "__unlabeled__": "no label (__unlabeled__)",
}


def _cost_rows(data: dict[str, Any], limit: int = 10) -> list[list[str]]:
    rows = []
    for r in data.get("rows", []):
        name = {
            "__idle__": "idle (unused node capacity)",
            "__unallocated__": "unallocated (bill lines no workload explains)",
        }.get(r["name"], r["name"])
        rows.append([name, money(r["total"])])
    return rows[: limit + 3]


def entity_cost(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    if e is None:
        return total_cost(p, run)
    w = p.slots.window or last_month(run.ctx.now)
    res = run(
        "query_costs",
        {
            "window": window_arg(w),
            "group_by": BREAKDOWN.get(e.kind, "namespace"),
            "filters": e.filter,
            "top_n": p.slots.top_n or 5,
        },
    )
    if msg := problem(res, f"{e.kind} {e.name} in {label(w)}"):
        return msg + how_read(e)
    d = res["data"]
    lines = [
        f"The {who(e)} cost **{money(d['totals']['total'])}** in {label(w)} "
        f"(amortized, {d['currency']})."
    ]
    idle_row = next((r for r in d["rows"] if r["kind"] == "idle"), None)
    if idle_row is not None:
        lines[0] += (
            f" That includes {money(idle_row['total'])} of idle capacity (node "
            "cost no workload requested)."
        )
    if len(d["rows"]) > 1:
        dim = d["group_by"]
        lines += ["", f"By {dim}:", "", table([dim, "cost"], _cost_rows(d))]
    return "\n".join(lines) + how_read(e)


def total_cost(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "namespace", "top_n": 5})
    if msg := problem(res, f"costs in {label(w)}"):
        return msg
    d = res["data"]
    return "\n".join(
        [
            f"Total cost in {label(w)}: **{money(d['totals']['total'])}** (amortized, the whole "
            "bill: workloads, idle capacity and unallocated lines).",
            "",
            "Largest namespaces, then idle and unallocated:",
            "",
            table(["namespace", "cost"], _cost_rows(d)),
        ]
    )


def top(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    group = p.slots.group_by or "namespace"
    n = p.slots.top_n or 5
    args: dict[str, Any] = {"window": window_arg(w), "group_by": group, "top_n": n}
    e = p.slots.entity
    if e is not None:
        args["filters"] = e.filter
    res = run("query_costs", args)
    scope = f" for {e.kind} {e.name}" if e else ""
    if msg := problem(res, f"{group} costs{scope} in {label(w)}"):
        return msg
    d = res["data"]
    workloads = [r for r in d["rows"] if r["kind"] == "workload"]
    rows = [
        [str(i), _PLACEHOLDERS.get(r["name"], r["name"]), money(r["total"])]
        for i, r in enumerate(workloads, 1)
    ]
    rows += [["", r["name"], money(r["total"])] for r in d["rows"] if r["kind"] == "others"]
    rows += [
        [
            "",
            {"idle": "idle (unused capacity)", "unallocated": "unallocated"}[r["kind"]],
            money(r["total"]),
        ]
        for r in d["rows"]
        if r["kind"] in ("idle", "unallocated")
    ]
    plural = {
        "env": "environments",
        "cost_center": "cost centers",
        "controller": "workloads",
        "service": "bill services",
    }.get(group, group + "s")
    head = f"Top {len(workloads)} {plural} by cost{scope} in {label(w)} (amortized):"
    column = {"controller": "workload"}.get(group, group)
    return "\n".join(
        [
            head,
            "",
            table(["#", column, "cost"], rows),
            "",
            f"Total: **{money(d['totals']['total'])}**.",
        ]
    ) + (how_read(e) if e else "")


def _compare_windows(p: Parsed, now: datetime) -> tuple[Window, Window]:
    a, b = p.slots.window, p.slots.window_b
    if a is not None and b is not None:
        return a, b
    if a is not None:
        return a.previous(), a
    later = last_month(now)
    return later.previous(), later


def compare(p: Parsed, run: Runner) -> str:
    a, b = _compare_windows(p, run.ctx.now)
    e = p.slots.entity
    by = {
        "team": "team",
        "namespace": "namespace",
        "workload": "workload",
        "cluster": "cluster",
    }.get(e.kind if e else "", "team")
    res = run(
        "compare_periods",
        {"a": window_arg(a), "b": window_arg(b), "by": by, "top_n": 50 if e else 5},
    )
    if msg := problem(res, f"a comparison of {label(a)} and {label(b)}"):
        return msg
    d = res["data"]
    if e is not None:
        key = f"{e.namespace}/{e.controller_kind}/{e.name}" if e.kind == "workload" else e.name
        group = next((g for g in d.get("groups", []) if g["group"] == key), None)
        if group is None:
            return (
                f"The {who(e)} has no cost in {label(a)} or {label(b)} that "
                "compare_periods could attribute." + how_read(e)
            )
        change = money(group["change"], signed=True)
        share = (
            f" ({pct(group['pct'], already_percent=True, signed=True)})"
            if group.get("pct") is not None
            else ""
        )
        lines = [
            f"The {who(e)} cost {money(group['before'])} in {label(a)} and "
            f"{money(group['after'])} in {label(b)}: **{change}**{share}."
        ]
        effects = [
            [k.replace("_", " "), money(v, signed=True)]
            for k, v in (group.get("effects") or {}).items()
        ]
        if effects:
            lines += ["", "What moved it:", "", table(["effect", "amount"], effects)]
        return "\n".join(lines) + how_read(e)
    return _variance_text(d, a, b)


def _variance_text(d: dict[str, Any], a: Window, b: Window) -> str:
    pct_text = (
        f" ({pct(d['pct'], already_percent=True, signed=True)})" if d.get("pct") is not None else ""
    )
    lines = [
        f"Total cost went from {money(d['total_a'])} in {label(a)} to "
        f"{money(d['total_b'])} in {label(b)}: **{money(d['change'], signed=True)}**"
        f"{pct_text} (amortized).",
        "",
        "The change, by effect (these add up to it):",
        "",
        table(
            ["effect", "amount"],
            [[x["label"], money(x["amount"], signed=True)] for x in d.get("effects", [])],
        ),
    ]
    drivers = d.get("drivers", [])[:5]
    if drivers:
        lines += [
            "",
            "Largest drivers:",
            "",
            table(
                ["driver", "effect", "amount"],
                [
                    [x["subject"], x["effect"].replace("_", " "), money(x["amount"], signed=True)]
                    for x in drivers
                ],
            ),
        ]
    for note in d.get("notes", [])[:2]:
        lines += ["", f"_{note}_"]
    return "\n".join(lines)


def bill(p: Parsed, run: Runner) -> str:
    w = p.slots.window
    if p.slots.window_b is not None or (w is not None and ".." in w.label()):
        return compare(p, run)  # two periods or a non-month: a comparison
    w = w or last_month(run.ctx.now)
    res = run("explain_bill", {"month": window_arg(w), "top_n": 5})
    if msg := problem(res, f"the {label(w)} bill"):
        return msg
    d = res["data"]
    t = d["totals"]
    if t is None:  # a scoped asker: the org-wide bill is not theirs to see, their share is
        lines = [
            f"Your visible cost for {label(w)} is **{money(d['allocated_total'])}** amortized "
            "(the workloads you may see; the org-wide bill totals are for administrators)."
            + (" The month is not complete yet." if d.get("partial") else "")
        ]
        v = d.get("variance")
        if v:
            lines += ["", _variance_text(v, _window(v["a"]), _window(v["b"]))]
        return "\n".join(lines)
    lines = [
        f"The {label(w)} bill: **{money(t['invoice'])}** invoiced, "
        f"{money(t['amortized'])} amortized (commitments spread)."
        + (" The month is not complete yet." if d.get("partial") else "")
    ]
    extras = [
        f"credits {money(t['credits'])}" if t.get("credits") else "",
        f"tax {money(t['tax'])}" if t.get("tax") else "",
        f"commitment savings {money(t['commitment_savings'])}"
        if t.get("commitment_savings")
        else "",
    ]
    if any(extras):
        lines.append("It includes " + ", ".join(x for x in extras if x) + ".")
    v = d.get("variance")
    if v:
        lines += ["", _variance_text(v, _window(v["a"]), _window(v["b"]))]
    return "\n".join(lines)


def _window(d: dict[str, str]) -> Window:
    def parse(s: str) -> datetime:
        return datetime.fromisoformat(s.rstrip("Z"))

    return Window(parse(d["start"]), parse(d["end"]))


def idle(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    res = run(
        "query_costs",
        {"window": window_arg(w), "group_by": "cluster", "top_n": 10, "share_idle": False},
    )
    if msg := problem(res, f"idle cost in {label(w)}"):
        return msg
    d = res["data"]
    row = next((r for r in d["rows"] if r["kind"] == "idle"), None)
    if row is None:
        return f"No idle cost in {label(w)}: every node-hour was allocated to workloads."
    share = (
        pct(abs(float(row["total"])) / float(d["totals"]["total"]))
        if float(d["totals"]["total"])
        else "n/a"
    )
    return "\n".join(
        [
            f"Idle cost (node capacity no workload requested) in {label(w)}: "
            f"**{money(row['total'])}**, {share} of the {money(d['totals']['total'])} total.",
            "",
            table(
                ["resource", "idle cost"],
                [
                    ["CPU", money(row["cpu"])],
                    ["RAM", money(row["ram"])],
                    ["GPU", money(row["gpu"])],
                ],
            ),
        ]
    )


def unallocated(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "team", "top_n": 1})
    if msg := problem(res, f"unallocated cost in {label(w)}"):
        return msg
    d = res["data"]
    row = next((r for r in d["rows"] if r["kind"] == "unallocated"), None)
    if row is None:
        return f"Nothing was unallocated in {label(w)}: every bill line maps to the cluster."
    lines = [
        f"Unallocated cost in {label(w)}: **{money(row['total'])}** of the "
        f"{money(d['totals']['total'])} bill (bill lines no cluster resource explains: "
        "control plane, data transfer, storage outside the cluster, tax, credits)."
    ]
    by = run("query_costs", {"window": window_arg(w), "group_by": "service", "top_n": 50})
    if by.get("ok") and by.get("status") == "success":
        rows = [
            [r["name"], money(r["total"])] for r in by["data"]["rows"] if r["kind"] == "unallocated"
        ]
        if rows:
            lines += ["", "By bill service:", "", table(["service", "cost"], rows)]
    return "\n".join(lines)


def unlabeled(p: Parsed, run: Runner) -> str:
    w = p.slots.window or last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "team", "top_n": 50})
    if msg := problem(res, f"team labels in {label(w)}"):
        return msg
    d = res["data"]
    lines = [
        f"Cost without a team label in {label(w)}: **{money(d['unlabeled_cost'])}**, "
        f"{pct(d['unlabeled_share'] or 0)} of workload cost (idle and unallocated "
        "excluded)."
    ]
    e = (
        run(
            "query_costs",
            {
                "window": window_arg(w),
                "group_by": "namespace",
                "top_n": 20,
                "filters": {"team": "__unlabeled__"},
            },
        )
        if float(d["unlabeled_cost"] or 0)
        else None
    )
    if e and e.get("ok") and e.get("status") == "success":
        rows = [
            [r["name"], money(r["total"])]
            for r in e["data"]["rows"]
            if r["kind"] in ("workload", "others")
        ]
        lines += ["", "Namespaces with unlabeled cost:", "", table(["namespace", "cost"], rows)]
    return "\n".join(lines)
