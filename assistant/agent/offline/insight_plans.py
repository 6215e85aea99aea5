"""Plans for the other question types: GPU use and idle GPUs, AI API spend, rightsizing,
anomalies, help, and the honest answer to a question the offline engine cannot read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.runner import Runner, window_arg
from assistant.agent.offline.templates import EXAMPLES, hours, table
from assistant.capabilities.ai_spend import AiSpendReport
from assistant.capabilities.bill import AnomaliesReport
from assistant.capabilities.costs import CostReport
from assistant.capabilities.rightsizing import GpuReport, RightsizingReport
from assistant.core.markdown import md_escape
from assistant.core.money import usd
from assistant.core.placeholders import UNASSIGNED
from assistant.windows import Window

__all__ = [
    "ai_spend",
    "anomalies",
    "gpu_utilization",
    "help_text",
    "idle_gpus",
    "not_understood",
    "rightsizing",
]


def gpu_utilization(p: Parsed, run: Runner) -> str:
    w = p.slots.window or Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    d, msg = run.report(
        "gpu_utilization",
        {"window": window_arg(w), "by": "workload", "top_n": 10},
        GpuReport,
        what=f"GPU utilization in {run.when(w)}",
    )
    if d is None:
        return msg or ""
    lines = [f"GPU utilization in {run.when(w)}: idle GPU time cost **{usd(d.idle_cost_total)}**."]
    costs, _ = run.report(
        "query_costs", {"window": window_arg(w), "group_by": "namespace", "top_n": 1}, CostReport
    )
    if costs is not None:
        idle_row = next((r for r in costs.rows if r.kind == "idle"), None)
        lines.append(
            f"GPUs cost {usd(costs.totals.gpu)} in all"
            + (
                f", of which {usd(idle_row.gpu)} was GPU capacity no pod requested"
                if idle_row
                else ""
            )
            + "."
        )
    rows = [
        [
            r["workload"] if r["workload"] != UNASSIGNED else "no pod (unassigned)",
            hours(r["gpu_hours"]),
            "—" if r["avg_activity_pct"] is None else f"{r['avg_activity_pct']:.1f}%",
            hours(r["idle_gpu_hours"]),
            usd(r["cost"]),
            usd(r["idle_cost"]),
        ]
        for r in d.rows
    ]
    return "\n".join(
        [
            " ".join(lines),
            "",
            table(
                ["workload", "GPU-hours", "avg activity", "idle GPU-hours", "cost", "idle cost"],
                rows,
            ),
        ]
    )


def _gpu_label(row: dict[str, Any]) -> str:
    """Short GPU id that still tells MIG instances of one GPU apart (uuid/instance)."""
    uuid, _, instance = str(row["gpu"]).partition("/")
    label = (uuid[:12] + "…" if len(uuid) > 12 else uuid) + (f"/{instance}" if instance else "")
    return label + (f" (MIG {row['mig_profile']})" if row.get("mig_profile") else "")


def idle_gpus(p: Parsed, run: Runner) -> str:
    w = p.slots.window or Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    d, msg = run.report(
        "gpu_utilization",
        {"window": window_arg(w), "idle_only": True, "top_n": 20},
        GpuReport,
        what=f"idle GPUs in {run.when(w)}",
    )
    if d is None:
        return msg or ""
    rows = [
        [
            _gpu_label(r),
            r["node"],
            r["workload"] or "no pod (unassigned)",
            r.get("team") or "-",
            hours(r["idle_gpu_hours"]),
            usd(r["idle_cost"]),
        ]
        for r in d.rows
    ]
    more = d.rows_total - len(rows)
    return "\n".join(
        [
            f"{d.rows_total} GPUs were idle in {run.when(w)} (activity below the "
            f"idle threshold for hours on end), costing **{usd(d.idle_cost_total)}**.",
            "",
            table(["GPU", "node", "held by", "team", "idle GPU-hours", "idle cost"], rows),
        ]
        + ([f"\n…and {more} more."] if more > 0 else [])
    )


def ai_spend(p: Parsed, run: Runner) -> str:
    w = p.slots.window
    provider = p.slots.provider
    # One provider named: show where its spend came from (Penny's own calls, imports);
    # otherwise by model. Rows are keyed by the grouping's own name, as the tool returns.
    group_by = "source" if provider else "model"
    args: dict[str, Any] = {"group_by": group_by}
    if provider:
        args["provider"] = provider
    if w is not None:
        args["window"] = window_arg(w)
    what = {"openai": "OpenAI", "anthropic": "Anthropic"}.get(provider or "", "AI API")
    d, msg = run.report(
        "ai_spend",
        args,
        AiSpendReport,
        what=f"{what} spend" + (f" in {run.when(w)}" if w else " this month"),
    )
    if d is None:
        return msg or ""
    key = d.group_by or group_by
    rows = [
        [
            _SOURCE_NAMES.get(str(g[key]), str(g[key])) if key == "source" else str(g[key]),
            str(g["calls"]),
            usd(g["cost"]) if g["cost"] is not None else "unpriced",
            f"{g['input_tokens']:,} / {g['output_tokens']:,}",
        ]
        for g in d.groups
    ]
    total = d.total
    note = (
        f" {total.get('unpriced_calls')} call(s) have no price and are not in the total."
        if total.get("unpriced_calls")
        else ""
    )
    spent = usd(total.get("cost")) if total.get("cost") is not None else "unpriced"
    return "\n".join(
        [
            f"{what} spend ({d.window}): **{spent}**." + note,
            "",
            table([key, "calls", "cost", "tokens in / out"], rows),
        ]
    )


#: ai_usage.source values as a person reads them
_SOURCE_NAMES = {
    "penny": "Penny's own calls",
    "openai-import": "imported OpenAI usage",
    "anthropic-import": "imported Anthropic usage",
}


def rightsizing(p: Parsed, run: Runner) -> str:
    args: dict[str, Any] = {"top_n": p.slots.top_n or 5}
    e = p.slots.entity
    if e is not None and e.kind in ("namespace", "team"):
        args[e.kind] = e.name
    if p.slots.window is not None:
        args["history_days"] = max(1, min(90, round(p.slots.window.days)))
    d, msg = run.report("rightsizing", args, RightsizingReport, what="rightsizing recommendations")
    if d is None:
        return msg or ""
    recs = d.recommendations
    # the same workload in two clusters (prod and staging) is two rows: name the cluster
    seen = [r["workload"] for r in recs]
    rows = [
        [
            r.get("qualified") or r["workload"] if seen.count(r["workload"]) > 1 else r["workload"],
            r.get("team") or "-",
            r.get("severity") or "-",
            usd(r["current_monthly"]),
            usd(r["proposed_monthly"]),
            usd(r["monthly_savings"]),
        ]
        for r in recs
    ]
    total = d.totals
    return "\n".join(
        [
            f"Top rightsizing opportunities{_of(e)} (requests vs observed usage), most severe "
            "first: "
            f"{total.get('workloads_with_recommendation', len(rows))} workloads could save "
            f"**{usd(total.get('monthly_savings'))}** a month in all.",
            "",
            table(
                [
                    "workload",
                    "team",
                    "severity",
                    "now / month",
                    "proposed / month",
                    "savings / month",
                ],
                rows,
            ),
            *_why_listed(recs),
            *_not_patchable(recs),
            "",
            "Ask `penny rightsize` for the proposed requests and a reviewable patch.",
        ]
    )


def _not_patchable(recs: list[dict[str, Any]]) -> list[str]:
    """Report-only rows said as such: their pod spec is immutable (Jobs, bare pods) or
    they no longer run, so there is no patch to draft; GPUs held idle are named."""
    lines = [
        f"- {r['workload']}: report only ({r.get('disposition')}), no patch"
        + (f"; holds {r['gpu']['devices']} idle GPU(s)" if r.get("gpu") else "")
        for r in recs
        if not r.get("draftable", True)
    ]
    return ["", "Not patchable:", *lines] if lines else []


def _of(e: Any) -> str:
    return (
        f" for {e.kind} {md_escape(e.name)}"
        if e is not None and e.kind in ("namespace", "team")
        else ""
    )


def _why_listed(recs: list[dict[str, Any]], limit: int = 3) -> list[str]:
    """The containers' own notes (OOM kills, HPA targets kept): they explain a row whose
    severity outranks its savings, e.g. a memory raise after OOM kills listed above
    bigger savings."""
    notes = [
        f"- {md_escape(r['workload'])} ({md_escape(c.get('container', '?'))}): {md_escape(note)}"
        for r in recs
        for c in r.get("containers", [])
        for note in c.get("notes", [])
    ]
    notes += [
        f"- {md_escape(r['workload'])}: {md_escape(note)}"
        for r in recs
        for note in r.get("notes", [])
    ]
    return ["", "Notes:", *notes[:limit]] if notes else []


def anomalies(p: Parsed, run: Runner) -> str:
    week = Window(run.ctx.now - timedelta(days=7), run.ctx.now)
    w = p.slots.window or week
    widened = ""
    if w.days < 7 and w.end == run.ctx.now and any("week" in x for x in p.slots.periods):
        # a calendar week so far can be a day or two: look at the last seven full days
        w, widened = week, " (read as the past 7 days, so there are whole days to compare)"
    d, msg = run.report(
        "detect_anomalies",
        {"window": window_arg(w), "by": "team", "top_n": 10},
        AnomaliesReport,
        what=f"anomalies in {run.when(w)}",
    )
    if d is None:
        return msg or ""
    found = d.anomalies
    if not found:
        return (
            f"Nothing unusual in {run.when(w)}{widened}: no team's daily cost left its usual range."
        )
    rows = [
        [
            a.day,
            a.group,
            a.direction,
            usd(a.actual),
            usd(a.expected),
            usd(a.excess, signed=True),
            (a.workloads or [{}])[0].get("workload", "-"),
        ]
        for a in found
    ]
    more = f" (and {d.more} more)" if d.more else ""
    return "\n".join(
        [
            f"{len(found)} unusual day(s) in {run.when(w)}{widened}{more}:",
            "",
            table(
                ["day", "team", "kind", "actual", "expected", "difference", "top workload"], rows
            ),
            "",
            f"_{found[0].method}_",
        ]
    )


def help_text(p: Parsed, run: Runner) -> str:
    return (
        "I'm Penny's offline engine: I answer cost questions from the warehouse without "
        "an LLM. Try:\n\n"
        + "\n".join(f"- {q}" for q in EXAMPLES)
        + "\n\nPeriods: last month, October, in September 2026, past 7 days, last 2 weeks, "
        "Q3, yesterday, this week, month to date, between Oct 1 and Oct 15, all our data."
        "\n\nThe bill by its own lines: a service (S3, EKS, data transfer, NAT), storage, "
        "credits, tax, by region, account or provider. Budgets (`budgets:` in the settings): "
        '"Are we over budget?". Unit costs: per GPU-hour, or per request/token once a usage '
        "counter is configured (`units:`)."
    )


def not_understood(p: Parsed, run: Runner) -> str:
    return (
        "I can't answer that without an LLM configured (set `PENNY_MODEL`); the offline "
        "engine only understands the question types below. Try one of these:\n\n"
        + "\n".join(f"- {q}" for q in EXAMPLES)
    )
