"""A :class:`Review` as a pull-request comment (Markdown) or JSON (money as strings)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from assistant.core.money import usd_exact
from assistant.review.estimate import Review, SideCost, WorkloadChange
from assistant.rightsizing.manifests import format_cpu, format_memory

__all__ = ["FORMATS", "render", "render_json", "render_markdown"]

FORMATS = ("md", "json")
#: GitHub refuses comments over 65,536 characters; detail sections stop before that
COMMENT_BUDGET = 60_000


def _delta(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + usd_exact(value) if value else "$0.00"


def _range(
    low: Decimal | None, high: Decimal | None, fmt: Callable[[Decimal | None], str] = usd_exact
) -> str:
    if low == high:
        return str(fmt(low))
    return f"{fmt(low)} .. {fmt(high)}"


def _side_money(side: SideCost | None) -> str:
    if side is None:
        return "$0.00"
    if side.monthly_low is None:
        return f"${side.run_hour}/run-hour"
    return _range(side.monthly_low, side.monthly_high)


def _summary_row(c: WorkloadChange) -> str:
    what = {"new": "new", "removed": "removed"}.get(c.status) or "; ".join(
        f"{x.container + ' ' if x.container else ''}{x.field} {x.before} → {x.after}"
        for x in c.changes
    )
    delta = (
        _range(c.delta_low, c.delta_high, _delta)
        if c.delta_low is not None
        else f"{_delta(c.run_hour_delta)}/run-hour"
    )
    gpu = " 🟧 GPU" if c.gpu else ""
    return (
        f"| `{c.label}`{gpu} | {what} | {_side_money(c.before)} | {_side_money(c.after)} "
        f"| **{delta}** |"
    )


def _workload_section(c: WorkloadChange, window: str) -> list[str]:
    lines = [f"#### `{c.label}` ({c.status}{', GPU' if c.gpu else ''})", ""]
    if c.allocated is not None:
        lines.append(
            f"Today it costs {usd_exact(c.allocated)} allocated over the "
            f"{window} window (≈ {usd_exact(c.allocated_monthly)}/month; the allocation "
            "bills max(request, usage))."
        )
    else:
        lines.append("Not seen in the warehouse over the window (no allocated cost).")
    per, delta = (
        (" per month", _range(c.delta_low, c.delta_high, _delta))
        if c.delta_low is not None
        else ("", f"{_delta(c.run_hour_delta)}/run-hour")
    )
    lines.append(
        f"Requests-based estimate: before {_side_money(c.before)} → after "
        f"{_side_money(c.after)}{per} (Δ {delta})."
    )
    lines += ["", "| | before | after |", "|---|---|---|"]
    lines.append(
        f"| pods | {c.before.basis if c.before else '—'} | {c.after.basis if c.after else '—'} |"
    )
    lines.append(
        f"| pod request | {_pod(c.before) if c.before else '—'} | "
        f"{_pod(c.after) if c.after else '—'} |"
    )
    if c.changes:
        lines += ["", "| container | field | before | after |", "|---|---|---|---|"]
        for x in c.changes:
            mark = " 🟧" if x.field == "gpu" else ""
            lines.append(
                f"| {x.container or '(workload)'} | {x.field}{mark} | {x.before} | {x.after} |"
            )
    for note in c.notes:
        lines += ["", f"_{note}_"]
    lines.append("")
    return lines


def _gpu_count(pair: tuple[Decimal, Decimal]) -> str:
    def one(value: Decimal) -> str:
        return f"{value.quantize(Decimal('0.01')).normalize():f}"

    return one(pair[0]) if pair[0] == pair[1] else f"{one(pair[0])}..{one(pair[1])}"


def _pod(side: SideCost) -> str:
    cpu = format_cpu(float(side.pod.cpu)) if side.pod.cpu else "0"
    mem = format_memory(float(side.pod.memory)) if side.pod.memory else "0"
    gpu = f", {side.pod.gpu} GPU" if side.pod.gpu else ""
    return f"cpu {cpu}, memory {mem}{gpu}"


def render_markdown(review: Review) -> str:
    """The PR comment: headline Δ, GPU callouts, a summary table, one table per workload,
    the unchanged count, and the assumptions and price basis."""
    low, high = review.total_low, review.total_high
    head = f"### Penny cost review: {_delta(low)}/month"
    lines = [head, ""]
    if high != low:
        lines.append(f"Up to **{_delta(high)}/month** if every HPA runs at its maximum.")
    runs = review.per_run_hour
    if runs:
        lines.append(
            f"Not in the total: {len(runs)} Job/CronJob change(s) priced per "
            "run-hour (no observed run time)."
        )
    lines.append(
        f"Cluster `{review.prices.cluster}`; {len(review.changes)} workload(s) "
        f"changed, {review.unchanged} unchanged (not listed)."
    )
    gpus = [c for c in review.changes if c.gpu]
    if gpus:
        lines.append("")
        for c in gpus:
            per_pod = f"{c.before.pod.gpu if c.before else 0} → {c.after.pod.gpu if c.after else 0}"
            total = f"{_gpu_count(c.gpus(c.before))} → {_gpu_count(c.gpus(c.after))}"
            delta = (
                _range(c.delta_low, c.delta_high, _delta) + "/month"
                if c.delta_low is not None
                else f"{_delta(c.run_hour_delta)}/run-hour"
            )
            lines.append(
                f"> **GPU:** `{c.label}` GPUs per pod {per_pod}, in total {total} ({delta})"
            )
    if review.changes:
        lines += [
            "",
            "| workload | change | before $/month | after $/month | Δ $/month |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [_summary_row(c) for c in review.changes]
        lines.append("")
        size = sum(len(line) + 1 for line in lines)
        for i, c in enumerate(review.changes):
            section = _workload_section(c, review.prices.window.label())
            size += sum(len(line) + 1 for line in section)
            if size > COMMENT_BUDGET:
                lines += [
                    f"_{len(review.changes) - i} more workload(s) left out to fit a "
                    "PR comment; `--format json` lists every one._",
                    "",
                ]
                break
            lines += section
    else:
        lines += ["", "No workload's cost changes.", ""]
    lines += ["<details><summary>Assumptions and price basis</summary>", ""]
    lines += [f"- {a}" for a in [*review.assumptions, *review.notes]]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def render_json(review: Review) -> str:
    return json.dumps(review.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render(review: Review, fmt: str) -> str:
    return render_json(review) if fmt == "json" else render_markdown(review)
