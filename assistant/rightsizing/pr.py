"""The pull-request description for a drafted change: what, how much, and the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.core.money import usd
from assistant.core.timestamps import minute
from assistant.rightsizing.manifests import format_cpu, format_memory

if TYPE_CHECKING:
    from assistant.rightsizing.drafts import Draft
    from assistant.rightsizing.recommend import Recommendation

__all__ = ["pr_description"]


def _q(key: str, value: Any) -> str:
    if value is None:
        return "—"
    return format_cpu(float(value)) if key.startswith("cpu") else format_memory(float(value))


def _evidence(ev: dict[str, Any]) -> str:
    parts = []
    for key, value in ev.items():
        if key == "oom_kills":
            continue
        if key.endswith("_cores") and isinstance(value, float):
            parts.append(f"{key.removesuffix('_cores')} {value:.3f} cores")
        elif key.endswith("_bytes") and isinstance(value, (int, float)):
            parts.append(f"{key.removesuffix('_bytes')} {value / 1024**2:.0f} Mi")
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def pr_description(rec: Recommendation, draft: Draft) -> str:
    w = rec.window
    saving = rec.monthly_savings
    verb = "saves" if saving >= 0 else "costs"
    lines = [
        f"## Rightsize {rec.workload}: {verb} {usd(abs(saving))}/month",
        "",
        f"Penny's `{rec.strategy}` strategy proposes new resources for `{rec.name}` "
        f"({rec.kind}, namespace `{rec.namespace}`"
        + (f", team `{rec.team}`" if rec.team else "")
        + ") "
        f"from {rec.history_hours} h of usage between {minute(w.start)} and "
        f"{minute(w.end)} UTC, at ~{rec.replicas:.2f} replicas. Drafted by Penny; "
        "nothing was applied.",
        "",
        f"### Cost per month (unit prices from the allocation: ${rec.cpu_price:.6f}/core-h, "
        f"${rec.ram_price:.6f}/GiB-h; × replicas × 730 h)",
        "",
        "| Container | Field | Current | Proposed |",
        "|---|---|---|---|",
    ]
    for c in rec.containers:
        if c.status != "ok":
            continue
        for key, label in (
            ("cpu_request", "CPU request"),
            ("cpu_limit", "CPU limit"),
            ("ram_request", "memory request"),
            ("ram_limit", "memory limit"),
        ):
            cur, new = c.current.get(key), c.proposed.get(key)
            if cur is None and new is None:
                continue
            lines.append(f"| {c.container} | {label} | {_q(key, cur)} | {_q(key, new)} |")
    lines += [
        "",
        "| | Current | Proposed | Monthly delta |",
        "|---|---|---|---|",
    ]
    for c in rec.containers:
        lines.append(
            f"| {c.container} | {usd(c.current_monthly)} | "
            f"{usd(c.proposed_monthly)} | {usd(-c.monthly_savings)} |"
        )
    lines.append(
        f"| **Total** | **{usd(rec.current_monthly)}** | "
        f"**{usd(rec.proposed_monthly)}** | **{usd(-saving)}** |"
    )
    lines += ["", "### Evidence", ""]
    for c in rec.containers:
        oom = c.evidence.get("oom_kills", 0)
        lines.append(
            f"- `{c.container}` ({c.status}): {_evidence(c.evidence)}; "
            f"OOM kills in the window: {oom}"
        )
        lines += [f"  - {n}" for n in c.notes]
    if rec.nodes_freed:
        lines.append(f"- At today's bin-packing this frees about {rec.nodes_freed} node(s).")
    if rec.hpa:
        lines += [
            "",
            "### HPA",
            "",
            f"`{rec.hpa.hpa}` scales on {rec.hpa.metric}: target "
            f"{rec.hpa.current_target:g}% → {rec.hpa.new_target:g}%. {rec.hpa.note}.",
            "",
            "```sh",
            draft.hpa_command or "",
            "```",
        ]
    lines += ["", "### Change", ""]
    if draft.diff:
        lines += ["```diff", draft.diff.rstrip(), "```"]
    else:
        lines += [
            f"{draft.patch_type} merge patch:",
            "",
            "```yaml",
            draft.patch_yaml.rstrip(),
            "```",
        ]
    if draft.notes:
        lines += ["", "### Notes", "", *[f"- {n}" for n in draft.notes]]
    lines += [
        "",
        "### Review checklist",
        "",
        "- [ ] Peak traffic in the window is representative (no launch or sale missed).",
        "- [ ] Watch throttling and OOM kills for a day after the rollout; revert = this PR.",
    ]
    return "\n".join(lines) + "\n"
