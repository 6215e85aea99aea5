"""What a team-scoped asker is told where the org-wide figure is not theirs to see.

Idle capacity and unallocated bill lines belong to no team, and the bill is org-wide; the
tools say so (``not_visible``, ``scope_totals``) and these sentences say it to the asker,
so a scoped answer never passes off its own total as "the whole bill" or reads a hidden
figure as zero ("every node-hour was allocated").
"""

from __future__ import annotations

from typing import Any

from assistant.agent.offline.templates import money

__all__ = ["bill", "hidden", "total"]

_HIDDEN = {
    "idle": "idle capacity is node time no workload requested, shared by every team on "
    "those nodes, so it belongs to no team's scope",
    "unallocated": "bill lines no cluster resource explains belong to no team's scope",
}


def total(d: dict[str, Any], period: str, breakdown: str) -> str:
    return "\n".join(
        [
            f"Total cost you may see in {period}: **{money(d['totals']['total'])}** "
            "(amortized, your workloads only: idle capacity and unallocated bill lines are "
            "not visible to you, so this is not the whole bill).",
            "",
            breakdown,
        ]
    )


def hidden(kind: str, period: str) -> str:
    """'Idle cost in 2026-10 is not visible to you: …'."""
    return (
        f"{kind.capitalize()} cost in {period} is not visible to you: {_HIDDEN[kind]}. "
        "Ask an administrator for the org-wide figure."
    )


def bill(d: dict[str, Any], period: str) -> str:
    """A scoped asker's part of the bill (``explain_bill``'s ``scope_totals``)."""
    s = d.get("scope_totals") or {}
    return "\n".join(
        [
            f"Your part of the {period} bill ({s.get('scope') or d.get('scope')}): "
            f"**{money(s.get('amortized', d.get('allocated_total')))}** amortized, "
            f"{money(s.get('invoice'))} invoiced."
            + (" The month is not complete yet." if d.get("partial") else ""),
            "The org-wide bill total is not visible to you; your part leaves out "
            f"{s.get('excludes', 'everything outside your workloads')}.",
        ]
    )
