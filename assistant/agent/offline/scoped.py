"""What a team-scoped asker is told where the org-wide figure is not theirs to see.

Idle capacity and unallocated bill lines belong to no team, and the bill is org-wide; the
tools say so (``not_visible``, ``scope_totals``) and these sentences say it to the asker,
so a scoped answer never passes off its own total as "the whole bill" or reads a hidden
figure as zero ("every node-hour was allocated").
"""

from __future__ import annotations

from assistant.billing.models import BillExplanation
from assistant.capabilities.costs import CostReport
from assistant.core.money import usd

__all__ = ["bill", "hidden", "total"]

_HIDDEN = {
    "idle": "idle capacity is node time no workload requested, shared by every team on "
    "those nodes, so it belongs to no team's scope",
    "unallocated": "bill lines no cluster resource explains belong to no team's scope",
}


def total(r: CostReport, period: str, breakdown: str) -> str:
    return "\n".join(
        [
            f"Total cost you may see in {period}: **{usd(r.totals.total)}** "
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


def bill(x: BillExplanation, period: str) -> str:
    """A scoped asker's part of the bill (``explain_bill``'s ``scope_totals``)."""
    s = x.scope_totals
    amortized = s.amortized if s else x.allocated_total
    invoiced = f", {usd(s.invoice)} invoiced" if s else ""
    excludes = s.excludes if s else "everything outside your workloads"
    return "\n".join(
        [
            f"Your part of the {period} bill ({s.scope if s else x.scope}): "
            f"**{usd(amortized)}** amortized{invoiced}.",
            f"The org-wide bill total is not visible to you; your part leaves out {excludes}.",
        ]
    )
