"""The honest answer to a question understood only in part.

It says what was understood (the question type, the names, the period), which words
could not be mapped (or matched a name only weakly, with the score), and offers the
nearest questions the engine can answer, built from the parts it did understand. No
figure is given: a number for a different question is the one thing it must not do.
"""

from __future__ import annotations

from assistant.agent.offline.intent import Intent
from assistant.agent.offline.intents import Parsed
from assistant.agent.offline.refs import EntityRef
from assistant.agent.offline.runner import Runner, label
from assistant.core.markdown import md_escape

__all__ = ["nearest_questions", "partly_understood"]

I = Intent  # noqa: E741

_WHAT = {
    I.ENTITY_COST: "the cost of something",
    I.TOTAL_COST: "the total cost",
    I.TOP: "a ranking by cost",
    I.COMPARE: "a comparison of two periods",
    I.ENTITY_COMPARE: "a comparison of two things",
    I.TREND: "cost over time",
    I.IDLE: "idle cost",
    I.UNALLOCATED: "unallocated cost",
    I.UNLABELED: "cost without a team label",
    I.GPU_UTILIZATION: "GPU utilization",
    I.IDLE_GPUS: "idle GPUs",
    I.AI_SPEND: "AI API spend",
    I.RIGHTSIZING: "rightsizing",
    I.BILL: "the bill and why it changed",
    I.ANOMALIES: "unusual cost",
    I.BILL_COST: "part of the cloud bill",
    I.SAVINGS: "savings from commitments or spot",
    I.ORPHANS: "orphaned resources",
    I.FORECAST: "a forecast",
    I.BUDGET: "budgets",
    I.UNIT_COST: "a unit cost",
    I.RESOURCE_COST: "the cost of one resource (CPU, memory, GPUs, storage…)",
    I.HELP: "help",
    I.UNKNOWN: "",
}


def _name(e: EntityRef) -> str:
    kind = e.kind.replace("_", " ")
    name = e.filter.get(e.kind, e.name) if e.is_bill else e.name
    return f"{kind} {md_escape(name)}"


def _period(p: Parsed) -> str:
    if p.slots.all_data:
        return "all the data"
    return label(p.slots.window) if p.slots.window else ""


def nearest_questions(p: Parsed) -> list[str]:
    """Questions the engine answers, as close to this one as the understood parts allow."""
    e = p.slots.entity
    when = (" in " + p.slots.window.label()) if p.slots.window else " last month"
    out: list[str] = []
    if e is not None and not e.is_bill:
        noun = {"workload": ""}.get(e.kind, f" {e.kind}")
        out.append(f"What did the {e.name}{noun} spend{when}?")
        if e.kind in ("team", "namespace"):
            out.append(f"Top 5 workloads of the {e.name}{noun}{when}")
            out.append(f"How much will the {e.name}{noun} cost this month?")
    for b in p.slots.bill:
        if b.how != "missing":
            out.append(f"How much did we spend on {b.phrase or b.name}{when}?")
    by_intent = {
        I.COMPARE: "Compare October with September",
        I.TOP: "Top 5 namespaces last month",
        I.TREND: "Daily cost of the payments team last week",
        I.BILL: "Why did October go up?",
        I.SAVINGS: "How much did the savings plan save us last month?",
        I.FORECAST: "How much will this month cost?",
        I.BUDGET: "Are we over budget?",
        I.UNIT_COST: "What is the cost per GPU-hour for llm-finetune last month?",
        I.BILL_COST: "What did we spend by service last month?",
        I.RIGHTSIZING: "What should the payments team rightsize?",
        I.ORPHANS: "Which orphaned volumes are still billed?",
    }
    if p.intent in by_intent:
        out.append(by_intent[p.intent])
    out += ["What did we spend by service last month?", "Top 5 namespaces last month"]
    seen: list[str] = []
    for q in out:
        if q not in seen:
            seen.append(q)
    return seen[:4]


def partly_understood(p: Parsed, run: Runner) -> str:
    s = p.slots
    parts = []
    if _WHAT.get(p.intent):
        parts.append(_WHAT[p.intent])
    # a name the question gave that this kind of answer cannot be narrowed to is said as
    # such ("team ml" is known; GPU utilization just cannot be filtered by team)
    given = [x for x in (s.entity, s.entity_b, *s.bill) if x is not None and x.how != "missing"]
    unusable = [x for x in given if (x.phrase or x.name) in s.unmapped]
    names = [_name(x) for x in given if x not in unusable]
    if names:
        parts.append("about " + " and ".join(names))
    if _period(p):
        parts.append("for " + _period(p))
    understood = " ".join(parts) if parts else "nothing I can answer"
    lines = [
        f"I can't answer that as asked (offline, without an LLM): I understood {understood}, "
        "but not all of your question, so I won't guess."
    ]
    for x in unusable:
        lines.append(
            f"I know the {_name(x)}, but I can't narrow "
            f"{_WHAT.get(p.intent) or 'this answer'} to it."
        )
    left = [w for w in s.unmapped if w not in {x.phrase or x.name for x in unusable}]
    if left:
        words = ", ".join(f'"{w}"' for w in left)
        lines.append(f"I could not map {words} to anything I can answer.")
    for w in s.weak:
        lines.append(
            f'"{w.phrase}" only weakly matches the {w.kind} {w.name} ({w.how} match, score '
            f"{w.score:.2f}, below the {run.ctx.settings.knowledge.filter_floor:.2f} I need); "
            "name it exactly if that is what you meant."
        )
    lines += ["", "The nearest questions I can answer:", ""]
    lines += [f"- {q}" for q in nearest_questions(p)]
    return "\n".join(lines)
