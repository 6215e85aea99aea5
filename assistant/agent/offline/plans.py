"""One plan per intent: which tools to call with which arguments, and the answer's text.

Plans only call tools through :class:`Runner` (``tools.registry.call``, so the asker's
scope applies) and print figures exactly as the tools returned them. A tool error or an
empty result is said plainly, with the tool's own reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from assistant.agent.answer import ToolCall
from assistant.agent.offline.intents import EntityRef, Parsed
from assistant.agent.offline.templates import (
    EXAMPLES,
    hours,
    money,
    pct,
    provenance_line,
    table,
)
from assistant.windows import Window, month_window
from tools.registry import ToolContext, call

__all__ = ["PLANS", "Runner", "window_arg"]


class Runner:
    """Calls tools for one answer and keeps every call (args, result, duration)."""

    def __init__(self, ctx: ToolContext):
        self.ctx = ctx
        self.calls: list[ToolCall] = []
        self.sources: list[str] = []

    def __call__(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        result, _ = call(name, args, self.ctx)
        data = result.to_json()
        self.calls.append(ToolCall(name=name, args=args, result=data,
                                   duration_ms=(time.perf_counter() - started) * 1000.0))
        if data.get("ok") and data.get("status") == "success":
            line = provenance_line(name, data)
            if line not in self.sources:
                self.sources.append(line)
        return data


def window_arg(w: Window) -> str:
    """The tools' window notation: 'YYYY-MM' for a calendar month, else START..END."""
    label = w.label()
    if ".." not in label:
        return label
    fmt = "%Y-%m-%d" if w.start.hour == 0 and w.end.hour == 0 else "%Y-%m-%dT%H:%M"
    return f"{w.start.strftime(fmt)}..{w.end.strftime(fmt)}"


def _last_month(now: datetime) -> Window:
    first = now.replace(day=1, hour=0)
    prev = first - timedelta(days=1)
    return month_window(prev.year, prev.month)


def _problem(result: dict[str, Any], what: str) -> str | None:
    """The plain sentence for a failed or empty tool result, else None."""
    if not result.get("ok"):
        return f"I couldn't get {what}: {result.get('error')}"
    if result.get("status") == "no_data":
        return f"There is no data for {what}: {result.get('error')}"
    return None


def _label(w: Window) -> str:
    label = w.label()
    return label.replace("..", " to ") + (" (end exclusive)" if ".." in label else "")


def _who(e: EntityRef) -> str:
    kind = {"workload": e.controller_kind.lower() if e.controller_kind else "workload"}.get(
        e.kind, e.kind)
    where = f" in namespace {e.namespace}" if e.kind == "workload" and e.namespace else ""
    return f"{kind} **{e.name}**{where}"


def _how(e: EntityRef) -> str:
    if e.how == "exact":
        return ""
    return (f"\n\n_I read \"{e.phrase}\" as {e.kind} {e.name} ({e.how} match, score "
            f"{e.score:.2f}); name it exactly if you meant something else._")


_BREAKDOWN = {"team": "controller", "namespace": "controller", "app": "controller",
              "workload": "pod", "node": "namespace", "cluster": "namespace"}


def _cost_rows(data: dict[str, Any], limit: int = 10) -> list[list[str]]:
    rows = []
    for r in data.get("rows", []):
        name = {"__idle__": "idle (unused node capacity)",
                "__unallocated__": "unallocated (bill lines no workload explains)"}.get(
            r["name"], r["name"])
        rows.append([name, money(r["total"])])
    return rows[: limit + 3]


# --------------------------------------------------------------------------- plans


def entity_cost(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    if e is None:
        return total_cost(p, run)
    w = p.slots.window or _last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": _BREAKDOWN.get(e.kind,
              "namespace"), "filters": e.filter, "top_n": p.slots.top_n or 5})
    if (msg := _problem(res, f"{e.kind} {e.name} in {_label(w)}")):
        return msg + _how(e)
    d = res["data"]
    lines = [f"The {_who(e)} cost **{money(d['totals']['total'])}** in {_label(w)} "
             f"(amortized, {d['currency']})."]
    idle_row = next((r for r in d["rows"] if r["kind"] == "idle"), None)
    if idle_row is not None:
        lines[0] += (f" That includes {money(idle_row['total'])} of idle capacity (node "
                     "cost no workload requested).")
    if len(d["rows"]) > 1:
        dim = d["group_by"]
        lines += ["", f"By {dim}:", "", table([dim, "cost"], _cost_rows(d))]
    return "\n".join(lines) + _how(e)


def total_cost(p: Parsed, run: Runner) -> str:
    w = p.slots.window or _last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "namespace", "top_n": 5})
    if (msg := _problem(res, f"costs in {_label(w)}")):
        return msg
    d = res["data"]
    return "\n".join([
        f"Total cost in {_label(w)}: **{money(d['totals']['total'])}** (amortized, the whole "
        "bill: workloads, idle capacity and unallocated lines).", "",
        "Largest namespaces, then idle and unallocated:", "",
        table(["namespace", "cost"], _cost_rows(d))])


def top(p: Parsed, run: Runner) -> str:
    w = p.slots.window or _last_month(run.ctx.now)
    group = p.slots.group_by or "namespace"
    n = p.slots.top_n or 5
    args: dict[str, Any] = {"window": window_arg(w), "group_by": group, "top_n": n}
    e = p.slots.entity
    if e is not None:
        args["filters"] = e.filter
    res = run("query_costs", args)
    scope = f" for {e.kind} {e.name}" if e else ""
    if (msg := _problem(res, f"{group} costs{scope} in {_label(w)}")):
        return msg
    d = res["data"]
    workloads = [r for r in d["rows"] if r["kind"] == "workload"]
    rows = [[str(i), r["name"], money(r["total"])] for i, r in enumerate(workloads, 1)]
    rows += [["", r["name"], money(r["total"])] for r in d["rows"] if r["kind"] == "others"]
    rows += [["", {"idle": "idle (unused capacity)", "unallocated": "unallocated"}[r["kind"]],
              money(r["total"])] for r in d["rows"] if r["kind"] in ("idle", "unallocated")]
    head = f"Top {len(workloads)} {group} by cost{scope} in {_label(w)} (amortized):"
    return "\n".join([head, "", table(["#", group, "cost"], rows), "",
                      f"Total: **{money(d['totals']['total'])}**."]) + (_how(e) if e else "")


def _compare_windows(p: Parsed, now: datetime) -> tuple[Window, Window]:
    a, b = p.slots.window, p.slots.window_b
    if a is not None and b is not None:
        return a, b
    if a is not None:
        return a.previous(), a
    later = _last_month(now)
    return later.previous(), later


def compare(p: Parsed, run: Runner) -> str:
    a, b = _compare_windows(p, run.ctx.now)
    e = p.slots.entity
    by = {"team": "team", "namespace": "namespace", "workload": "workload",
          "cluster": "cluster"}.get(e.kind if e else "", "team")
    res = run("compare_periods", {"a": window_arg(a), "b": window_arg(b), "by": by,
                                  "top_n": 50 if e else 5})
    if (msg := _problem(res, f"a comparison of {_label(a)} and {_label(b)}")):
        return msg
    d = res["data"]
    if e is not None:
        key = (f"{e.namespace}/{e.controller_kind}/{e.name}" if e.kind == "workload"
               else e.name)
        group = next((g for g in d.get("groups", []) if g["group"] == key), None)
        if group is None:
            return (f"The {_who(e)} has no cost in {_label(a)} or {_label(b)} that "
                    "compare_periods could attribute." + _how(e))
        change = money(group["change"], signed=True)
        share = f" ({pct(group['pct'], already_percent=True, signed=True)})" \
            if group.get("pct") is not None else ""
        lines = [f"The {_who(e)} cost {money(group['before'])} in {_label(a)} and "
                 f"{money(group['after'])} in {_label(b)}: **{change}**{share}."]
        effects = [[k.replace("_", " "), money(v, signed=True)]
                   for k, v in (group.get("effects") or {}).items()]
        if effects:
            lines += ["", "What moved it:", "", table(["effect", "amount"], effects)]
        return "\n".join(lines) + _how(e)
    return _variance_text(d, a, b)


def _variance_text(d: dict[str, Any], a: Window, b: Window) -> str:
    pct_text = f" ({pct(d['pct'], already_percent=True, signed=True)})" \
        if d.get("pct") is not None else ""
    lines = [f"Total cost went from {money(d['total_a'])} in {_label(a)} to "
             f"{money(d['total_b'])} in {_label(b)}: **{money(d['change'], signed=True)}**"
             f"{pct_text} (amortized).", "", "The change, by effect (these add up to it):", "",
             table(["effect", "amount"], [[x["label"], money(x["amount"], signed=True)]
                                           for x in d.get("effects", [])])]
    drivers = d.get("drivers", [])[:5]
    if drivers:
        lines += ["", "Largest drivers:", "",
                  table(["driver", "effect", "amount"],
                        [[x["subject"], x["effect"].replace("_", " "),
                          money(x["amount"], signed=True)] for x in drivers])]
    for note in d.get("notes", [])[:2]:
        lines += ["", f"_{note}_"]
    return "\n".join(lines)


def bill(p: Parsed, run: Runner) -> str:
    w = p.slots.window
    if p.slots.window_b is not None or (w is not None and ".." in w.label()):
        return compare(p, run)            # two periods or a non-month: a comparison
    w = w or _last_month(run.ctx.now)
    res = run("explain_bill", {"month": window_arg(w), "top_n": 5})
    if (msg := _problem(res, f"the {_label(w)} bill")):
        return msg
    d = res["data"]
    t = d["totals"]
    lines = [f"The {_label(w)} bill: **{money(t['invoice'])}** invoiced, "
             f"{money(t['amortized'])} amortized (commitments spread)."
             + (" The month is not complete yet." if d.get("partial") else "")]
    extras = [f"credits {money(t['credits'])}" if t.get("credits") else "",
              f"tax {money(t['tax'])}" if t.get("tax") else "",
              f"commitment savings {money(t['commitment_savings'])}"
              if t.get("commitment_savings") else ""]
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
    w = p.slots.window or _last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "cluster", "top_n": 10,
                              "share_idle": False})
    if (msg := _problem(res, f"idle cost in {_label(w)}")):
        return msg
    d = res["data"]
    row = next((r for r in d["rows"] if r["kind"] == "idle"), None)
    if row is None:
        return f"No idle cost in {_label(w)}: every node-hour was allocated to workloads."
    share = pct(abs(float(row["total"])) / float(d["totals"]["total"])) \
        if float(d["totals"]["total"]) else "n/a"
    return "\n".join([
        f"Idle cost (node capacity no workload requested) in {_label(w)}: "
        f"**{money(row['total'])}**, {share} of the {money(d['totals']['total'])} total.", "",
        table(["resource", "idle cost"], [["CPU", money(row["cpu"])], ["RAM", money(row["ram"])],
                                          ["GPU", money(row["gpu"])]])])


def unallocated(p: Parsed, run: Runner) -> str:
    w = p.slots.window or _last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "team", "top_n": 1})
    if (msg := _problem(res, f"unallocated cost in {_label(w)}")):
        return msg
    d = res["data"]
    row = next((r for r in d["rows"] if r["kind"] == "unallocated"), None)
    if row is None:
        return f"Nothing was unallocated in {_label(w)}: every bill line maps to the cluster."
    lines = [f"Unallocated cost in {_label(w)}: **{money(row['total'])}** of the "
             f"{money(d['totals']['total'])} bill (bill lines no cluster resource explains: "
             "control plane, data transfer, storage outside the cluster, tax, credits)."]
    by = run("query_costs", {"window": window_arg(w), "group_by": "service", "top_n": 50})
    if by.get("ok") and by.get("status") == "success":
        rows = [[r["name"], money(r["total"])] for r in by["data"]["rows"]
                if r["kind"] == "unallocated"]
        if rows:
            lines += ["", "By bill service:", "", table(["service", "cost"], rows)]
    return "\n".join(lines)


def unlabeled(p: Parsed, run: Runner) -> str:
    w = p.slots.window or _last_month(run.ctx.now)
    res = run("query_costs", {"window": window_arg(w), "group_by": "team", "top_n": 50})
    if (msg := _problem(res, f"team labels in {_label(w)}")):
        return msg
    d = res["data"]
    lines = [f"Cost without a team label in {_label(w)}: **{money(d['unlabeled_cost'])}**, "
             f"{pct(d['unlabeled_share'] or 0)} of workload cost (idle and unallocated "
             "excluded)."]
    e = run("query_costs", {"window": window_arg(w), "group_by": "namespace", "top_n": 20,
                            "filters": {"team": "__unlabeled__"}}) \
        if float(d["unlabeled_cost"] or 0) else None
    if e and e.get("ok") and e.get("status") == "success":
        rows = [[r["name"], money(r["total"])] for r in e["data"]["rows"]
                if r["kind"] in ("workload", "others")]
        lines += ["", "Namespaces with unlabeled cost:", "", table(["namespace", "cost"], rows)]
    return "\n".join(lines)


def gpu_utilization(p: Parsed, run: Runner) -> str:
    w = p.slots.window or Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    res = run("gpu_utilization", {"window": window_arg(w), "by": "workload", "top_n": 10})
    if (msg := _problem(res, f"GPU utilization in {_label(w)}")):
        return msg
    d = res["data"]
    rows = [[r["workload"] if r["workload"] != "__unassigned__" else "no pod (unassigned)",
             hours(r["gpu_hours"]), f"{r['avg_activity_pct']:.1f}%", hours(r["idle_gpu_hours"]),
             money(r["cost"]), money(r["idle_cost"])] for r in d["rows"]]
    return "\n".join([
        f"GPU utilization in {_label(w)}: idle GPU time cost **{money(d['idle_cost_total'])}**.",
        "", table(["workload", "GPU-hours", "avg activity", "idle GPU-hours", "cost",
                   "idle cost"], rows)])


def idle_gpus(p: Parsed, run: Runner) -> str:
    w = p.slots.window or Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    res = run("gpu_utilization", {"window": window_arg(w), "idle_only": True, "top_n": 20})
    if (msg := _problem(res, f"idle GPUs in {_label(w)}")):
        return msg
    d = res["data"]
    rows = [[r["gpu"][:12] + "…", r["node"], r["workload"] or "no pod (unassigned)",
             r.get("team") or "-", hours(r["idle_gpu_hours"]), money(r["idle_cost"])]
            for r in d["rows"]]
    more = d.get("rows_total", len(rows)) - len(rows)
    return "\n".join([
        f"{d.get('rows_total', len(rows))} GPUs were idle in {_label(w)} (activity below the "
        f"idle threshold for hours on end), costing **{money(d['idle_cost_total'])}**.", "",
        table(["GPU", "node", "held by", "team", "idle GPU-hours", "idle cost"], rows)]
        + ([f"\n…and {more} more."] if more > 0 else []))


def ai_spend(p: Parsed, run: Runner) -> str:
    w = p.slots.window
    args: dict[str, Any] = {"group_by": "model"}
    if w is not None:
        args["window"] = window_arg(w)
    res = run("ai_spend", args)
    if (msg := _problem(res, "AI API spend" + (f" in {_label(w)}" if w else " this month"))):
        return msg
    d = res["data"]
    rows = [[g["group"], str(g["calls"]), money(g["cost"]) if g["cost"] is not None
             else "unpriced", f"{g['input_tokens']:,} / {g['output_tokens']:,}"]
            for g in d.get("groups", [])]
    total = d.get("total", {})
    note = (f" {total.get('unpriced_calls')} call(s) have no price and are not in the total."
            if total.get("unpriced_calls") else "")
    return "\n".join([f"AI API spend ({d.get('window', '')}): **{money(total.get('cost'))}**."
                      + note, "", table(["model", "calls", "cost", "tokens in / out"], rows)])


def rightsizing(p: Parsed, run: Runner) -> str:
    args: dict[str, Any] = {"top_n": p.slots.top_n or 5}
    e = p.slots.entity
    if e is not None and e.kind == "namespace":
        args["namespace"] = e.name
    if p.slots.window is not None:
        args["history_days"] = max(1, min(90, round(p.slots.window.days)))
    res = run("rightsizing", args)
    if (msg := _problem(res, "rightsizing recommendations")):
        return msg
    d = res["data"]
    recs = d.get("recommendations", [])
    if e is not None and e.kind == "team":
        recs = [r for r in recs if r.get("team") == e.name]
    rows = [[r["workload"], r.get("team") or "-", money(r["current_monthly"]),
             money(r["proposed_monthly"]), money(r["monthly_savings"])] for r in recs]
    total = d.get("totals", {})
    return "\n".join([
        f"Top rightsizing opportunities (requests vs observed usage): "
        f"{total.get('workloads_with_recommendation', len(rows))} workloads could save "
        f"**{money(total.get('monthly_savings'))}** a month in all.", "",
        table(["workload", "team", "now / month", "proposed / month", "savings / month"], rows),
        "", "Ask `penny rightsize` for the proposed requests and a reviewable patch."])


def anomalies(p: Parsed, run: Runner) -> str:
    week = Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    w = p.slots.window or week
    widened = ""
    if w.days < 7 and w.end == run.ctx.now and any("week" in x for x in p.slots.periods):
        # a calendar week so far can be a day or two: look at the last seven full days
        w, widened = week, " (read as the past 7 days, so there are whole days to compare)"
    res = run("detect_anomalies", {"window": window_arg(w), "by": "team", "top_n": 5})
    if (msg := _problem(res, f"anomalies in {_label(w)}")):
        return msg
    d = res["data"]
    found = d.get("anomalies", [])
    if not found:
        return (f"Nothing unusual in {_label(w)}{widened}: no team's daily cost left its "
                "usual range.")
    rows = [[a["day"], a["group"], a["direction"], money(a["actual"]), money(a["expected"]),
             money(a["excess"], signed=True),
             (a.get("workloads") or [{}])[0].get("workload", "-")] for a in found]
    more = f" (and {d['more']} more)" if d.get("more") else ""
    return "\n".join([
        f"{len(found)} unusual day(s) in {_label(w)}{widened}{more}:", "",
        table(["day", "team", "kind", "actual", "expected", "difference", "top workload"],
              rows), "", f"_{found[0].get('method', '')}_"])


def help_text(p: Parsed, run: Runner) -> str:
    return ("I'm Penny's offline engine: I answer cost questions from the warehouse without "
            "an LLM. Try:\n\n" + "\n".join(f"- {q}" for q in EXAMPLES)
            + "\n\nPeriods: last month, October, in September 2026, past 7 days, last 2 weeks, "
            "Q3, yesterday, this week, month to date, between Oct 1 and Oct 15.")


def not_understood(p: Parsed, run: Runner) -> str:
    return ("I can't answer that without an LLM configured (set `PENNY_MODEL`); the offline "
            "engine only understands the question types below. Try one of these:\n\n"
            + "\n".join(f"- {q}" for q in EXAMPLES))


PLANS: dict[str, Callable[[Parsed, Runner], str]] = {
    "help": help_text, "entity_cost": entity_cost, "total_cost": total_cost, "top": top,
    "compare": compare, "idle": idle, "unallocated": unallocated, "unlabeled": unlabeled,
    "gpu_utilization": gpu_utilization, "idle_gpus": idle_gpus, "ai_spend": ai_spend,
    "rightsizing": rightsizing, "bill": bill, "anomalies": anomalies,
    "unknown": not_understood,
}
