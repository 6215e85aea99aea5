"""Formatting for offline answers: money to the cent, tables, and the provenance line.

Every figure printed comes straight from a tool result's Decimal string, rounded half-up
to the cent for display only; nothing here adds or subtracts money, so each dollar amount
in an answer can be traced back to the tool result that produced it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assistant.core.markdown import md_escape

__all__ = ["EXAMPLES", "hours", "pct", "provenance_line", "table"]

_CENT = Decimal("0.01")

#: questions the offline engine answers, shown by `help` and when it does not understand
EXAMPLES = [
    "What did the payments team spend last month?",
    "Top 5 namespaces last month",
    "Compare October with September",
    "payments vs storefront in October",
    "Daily cost of the ml team last week",
    "Why did October go up?",
    "What did we spend by service last month?",
    "How much did the savings plan save us last month?",
    "How much will this month cost?",
    "Which orphaned volumes are still billed?",
    "How much idle cost did we have last month?",
    "How much cost is unallocated last month?",
    "How much of our cost has no team label?",
    "Which GPUs are idle?",
    "What is the cost per GPU-hour for llm-finetune in October?",
    "How much did we spend on AI APIs this month?",
    "What should we rightsize?",
    "Anything unusual this week?",
]


def pct(value: Any, *, already_percent: bool = False, signed: bool = False) -> str:
    """A share (0.0372 -> '3.72%') or a percent string ('16.71' -> '16.71%')."""
    if value is None:
        return "n/a"
    number = Decimal(str(value)) * (1 if already_percent else 100)
    text = f"{number.quantize(_CENT, rounding=ROUND_HALF_UP)}%"
    return f"+{text}" if signed and number > 0 else text


def hours(value: Any) -> str:
    return f"{float(value):,.0f} h" if value is not None else "n/a"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A markdown table; numbers right-aligned by the renderer reading it."""
    if not rows:
        return ""
    # cells are data (names from files and clusters): escaped so none can add a cell,
    # a row or a link
    rows = [[md_escape(c) for c in r] for r in rows]
    head = "| " + " | ".join(md_escape(h) for h in headers) + " |"
    numeric = [
        bool(rows) and all(_numeric(r[i]) for r in rows if r[i] not in ("", "-"))
        for i in range(len(headers))
    ]
    rule = "|" + "|".join("---:" if numeric[i] else "---" for i in range(len(headers))) + "|"
    body = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0] in "$+-" or cell[0].isdigit()) and cell != "-"


def provenance_line(tool: str, result: dict[str, Any]) -> str:
    """'Source: tool over tables; window; basis; sharing; freshness' for one tool result."""
    prov = result.get("provenance") or {}
    parts = [f"`{tool}`"]
    tables = prov.get("tables") or []
    if tables:
        parts[0] += " over " + ", ".join(f"`{t}`" for t in tables)
    window = prov.get("window")
    if window:
        start = window.get("start", "").replace("T00:00:00Z", "").replace(":00:00Z", ":00Z")
        end = window.get("end", "").replace("T00:00:00Z", "").replace(":00:00Z", ":00Z")
        parts.append(f"window {start} to {end} UTC (end exclusive)")
    if prov.get("cost_basis"):
        parts.append(str(prov["cost_basis"]))
    sharing = prov.get("sharing") or {}
    if sharing.get("description"):
        parts.append(f"sharing: {sharing['description']}")
    elif sharing.get("note"):
        parts.append(f"sharing: {sharing['note']}")
    filters = prov.get("filters") or {}
    if filters:
        parts.append(
            "filters " + ", ".join(f"{md_escape(k)}={md_escape(v)}" for k, v in filters.items())
        )
    if prov.get("freshness"):
        parts.append(f"data as of {str(prov['freshness'])[:16].replace('T', ' ')} UTC")
    if prov.get("truncated"):
        parts.append("list truncated (see the 'and N more' row)")
    return "Source: " + "; ".join(parts) + "."
