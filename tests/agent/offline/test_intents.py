"""Intent and slot recognition: a case table over a fixed name list (no warehouse).

Now is 2026-11-27 00:00 UTC, so "last month" is 2026-10 and the default windows follow.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.agent.offline.entities import EntityFinder, Name
from assistant.agent.offline.intents import EntityRef, Parsed, recognise

NOW = datetime(2026, 11, 27)

NAMES = [
    Name("payments", "team", {"team": "payments"}),
    Name("payments", "namespace", {"namespace": "payments"}),
    Name("data", "team", {"team": "data"}),
    Name("ml", "team", {"team": "ml"}),
    Name("search", "namespace", {"namespace": "search"}),
    Name(
        "checkout-api",
        "workload",
        {"controller": "Deployment/checkout-api"},
        "payments",
        "Deployment",
    ),
    Name(
        "payments-db",
        "workload",
        {"controller": "StatefulSet/payments-db"},
        "payments",
        "StatefulSet",
    ),
    Name("prod-use1", "cluster", {"cluster": "prod-use1"}),
]


def semantic(phrase: str, hint: str | None) -> EntityRef | None:
    # stands in for Chroma: one known synonym, nothing else
    if phrase == "recommender":
        return EntityRef(
            "recsys-api",
            "workload",
            {"controller": "Deployment/recsys-api"},
            "semantic",
            0.55,
            phrase,
            "ml-serving",
            "Deployment",
        )
    return None


FINDER = EntityFinder(NAMES, semantic)


def parse(question: str, previous: Parsed | None = None) -> Parsed:
    return recognise(question, NOW, FINDER, previous)


def w(p: Parsed) -> str | None:
    return p.slots.window.label() if p.slots.window else None


CASES = [
    # question, intent, window, entity (kind:name), group_by, top_n
    (
        "What did the payments team spend last month?",
        "entity_cost",
        "2026-10",
        "team:payments",
        None,
        None,
    ),
    (
        "How much did namespace payments cost in October?",
        "entity_cost",
        "2026-10",
        "namespace:payments",
        None,
        None,
    ),
    (
        "cost of checkout-api yesterday",
        "entity_cost",
        "2026-11-26..2026-11-27",
        "workload:checkout-api",
        None,
        None,
    ),
    (
        "what did payments-db cost this week",
        "entity_cost",
        "2026-11-23..2026-11-27",
        "workload:payments-db",
        None,
        None,
    ),
    (
        "How much did the recommender cost last month?",
        "entity_cost",
        "2026-10",
        "workload:recsys-api",
        None,
        None,
    ),
    (
        "cost of the prod-use1 cluster in Q3",
        "entity_cost",
        "2026-07-01..2026-10-01",
        "cluster:prod-use1",
        None,
        None,
    ),
    ("top 5 namespaces last month", "top", "2026-10", None, "namespace", 5),
    ("Which teams cost the most in October?", "top", "2026-10", None, "team", None),
    ("biggest three workloads this month", "top", "2026-11-01..2026-11-27", None, "controller", 3),
    ("break down last month's cost by app", "top", "2026-10", None, "app", None),
    ("top 3 namespaces for the ml team", "top", None, "team:ml", "namespace", 3),
    ("How much did we spend last month?", "total_cost", "2026-10", None, None, None),
    ("Compare October with September", "compare", "2026-09", None, None, None),
    ("month over month change", "compare", None, None, None, None),
    ("Why did October go up?", "bill", "2026-10", None, None, None),
    ("explain the September bill", "bill", "2026-09", None, None, None),
    ("How much idle cost did we have last month?", "idle", "2026-10", None, None, None),
    ("how much is unallocated in September", "unallocated", "2026-09", None, None, None),
    ("How much of our cost has no team label?", "unlabeled", None, None, None, None),
    ("what share is untagged", "unlabeled", None, None, None, None),
    ("Which GPUs are idle?", "idle_gpus", None, None, None, None),
    (
        "GPU utilization over the past 7 days",
        "gpu_utilization",
        "2026-11-20..2026-11-27",
        None,
        None,
        None,
    ),
    (
        "What did we spend on AI APIs this month?",
        "ai_spend",
        "2026-11-01..2026-11-27",
        None,
        None,
        None,
    ),
    ("how much are we paying openai", "ai_spend", None, None, None, None),
    # "ai calls" once fell through to a semantic entity match ("s ai calls" → team ml)
    (
        "how much did penny's AI calls cost this month?",
        "ai_spend",
        "2026-11-01..2026-11-27",
        None,
        None,
        None,
    ),
    ("what do your own LLM requests cost", "ai_spend", None, None, None, None),
    ("What should we rightsize?", "rightsizing", None, None, None, None),
    (
        "which workloads are overprovisioned in the search namespace?",
        "rightsizing",
        None,
        "namespace:search",
        None,
        None,
    ),
    ("Anything unusual this week?", "anomalies", "2026-11-23..2026-11-27", None, None, None),
    ("were there cost spikes in October", "anomalies", "2026-10", None, None, None),
    ("help", "help", None, None, None, None),
    ("What can you do?", "help", None, None, None, None),
    ("Write me a poem about Kubernetes", "unknown", None, None, None, None),
]


def test_a_word_nothing_maps_is_said_back_not_dropped() -> None:
    # GKE is a name for the managed Kubernetes service; "migrate" maps to nothing
    p = parse("Should we migrate to GKE?")
    assert (p.understood, p.slots.unmapped) == (False, ("migrate",))


def test_a_number_nothing_reads_is_said_back_not_dropped() -> None:
    # "fortnight 7" is no period Penny reads: the 7 must not vanish into "last month"
    p = parse("What did the payments team spend in fortnight 7?")
    assert p.understood is False
    assert p.slots.unmapped == ("fortnight 7",)


@pytest.mark.parametrize(("question", "intent", "window", "entity", "group", "n"), CASES)
def test_intent_and_slots(
    question: str,
    intent: str,
    window: str | None,
    entity: str | None,
    group: str | None,
    n: int | None,
) -> None:
    p = parse(question)
    e = p.slots.entity
    assert (
        p.intent,
        w(p),
        f"{e.kind}:{e.name}" if e else None,
        p.slots.group_by,
        p.slots.top_n,
    ) == (intent, window, entity, group, n)


def test_compare_takes_both_periods_earlier_first() -> None:
    p = parse("October vs September for the ml team")
    assert (
        p.intent,
        w(p),
        p.slots.window_b.label() if p.slots.window_b else None,
        p.slots.entity.name if p.slots.entity else None,
    ) == ("compare", "2026-09", "2026-10", "ml")


def test_kind_word_picks_between_same_names() -> None:
    # "payments" is both a team and a namespace; the word beside it decides
    assert parse("payments namespace cost last month").slots.entity.kind == "namespace"  # type: ignore[union-attr]
    assert parse("payments team cost last month").slots.entity.kind == "team"  # type: ignore[union-attr]


FOLLOWUPS = [
    # first question, follow-up -> intent, window, entity
    (
        "What did the payments team spend last month?",
        "and in September?",
        ("entity_cost", "2026-09", "payments"),
    ),
    (
        "What did the payments team spend last month?",
        "what about the data team?",
        ("entity_cost", "2026-10", "data"),
    ),
    ("top 5 namespaces last month", "and in September?", ("top", "2026-09", None)),
    ("top 5 namespaces last month", "what about for the ml team", ("top", "2026-10", "ml")),
    (
        "How much idle cost did we have last month?",
        "and yesterday?",
        ("idle", "2026-11-26..2026-11-27", None),
    ),
    ("Compare October with September", "what about the ml team?", ("compare", "2026-09", "ml")),
]


@pytest.mark.parametrize(("first", "second", "expected"), FOLLOWUPS)
def test_followup_reuses_previous_intent_and_slots(
    first: str, second: str, expected: tuple[str, str, str | None]
) -> None:
    p = parse(second, parse(first))
    assert p.followup is True
    assert (p.intent, w(p), p.slots.entity.name if p.slots.entity else None) == expected


def test_followup_after_comparison_moves_both_periods() -> None:
    first = parse("Compare October with September")
    p = parse("and in September?", first)
    # September against the month before it
    assert (w(p), p.slots.window_b.label() if p.slots.window_b else None) == ("2026-08", "2026-09")


def test_followup_without_history_is_not_understood() -> None:
    assert parse("and in September?").intent == "unknown"


def test_unknown_name_of_a_known_kind_is_passed_on_for_the_tool_to_reject() -> None:
    p = parse("what did team xyz spend last month?")
    assert (p.intent, p.slots.entity) == (
        "entity_cost",
        EntityRef("xyz", "team", {"team": "xyz"}, "unresolved", 0.0, "xyz"),
    )


def test_leftover_words_in_a_ranking_name_nothing() -> None:
    p = parse("which team has the highest cost")
    assert (p.intent, p.slots.entity, p.slots.group_by) == ("top", None, "team")


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_text_gets_a_known_intent_and_never_raises(text: str) -> None:
    from assistant.agent.offline.intents import INTENTS

    p = parse(text)
    assert p.intent in INTENTS
    if p.slots.window is not None and p.slots.window_b is not None:
        assert p.slots.window.start <= p.slots.window_b.start  # earlier period first
