"""Entity comparisons and cost-over-time questions, and where they stop.

Same fixed names and 'now' (2026-11-27 00:00 UTC, a Friday) as test_intents.py, plus the
storefront team so "payments vs storefront" has two teams to find.
"""

from __future__ import annotations

import pytest

from assistant.agent.offline.entities import EntityFinder, Name
from assistant.agent.offline.intents import Parsed, recognise
from tests.agent.offline.test_intents import NAMES, NOW, semantic

FINDER = EntityFinder(
    [
        *NAMES,
        Name("storefront", "team", {"team": "storefront"}),
        Name("storefront", "namespace", {"namespace": "storefront"}),
    ],
    semantic,
)


def parse(question: str, previous: Parsed | None = None) -> Parsed:
    return recognise(question, NOW, FINDER, previous)


def ent(e: object) -> str | None:
    return f"{e.kind}:{e.name}" if e is not None else None  # type: ignore[attr-defined]


def win(p: Parsed) -> str | None:
    return p.slots.window.label() if p.slots.window else None


PAIRS = [
    # question -> window, entity A, entity B, bucket
    ("payments vs storefront in October", "2026-10", "team:payments", "team:storefront", None),
    (
        "compare payments and storefront last month",
        "2026-10",
        "team:payments",
        "team:storefront",
        None,
    ),
    ("How did payments compare to storefront?", None, "team:payments", "team:storefront", None),
    (
        "payments compared to storefront in September",
        "2026-09",
        "team:payments",
        "team:storefront",
        None,
    ),
    (
        "storefront versus checkout-api this week",
        "2026-11-23..2026-11-27",
        "team:storefront",
        "workload:checkout-api",
        None,
    ),
    # a kind word on one side names both
    (
        "compare the payments and storefront namespaces",
        None,
        "namespace:payments",
        "namespace:storefront",
        None,
    ),
    (
        "difference between the ml team and the data team in Q3",
        "2026-07-01..2026-10-01",
        "team:ml",
        "team:data",
        None,
    ),
    (
        "payments vs the recommender, weekly, past 8 weeks",
        "2026-10-02..2026-11-27",
        "team:payments",
        "workload:recsys-api",
        "week",
    ),
]


@pytest.mark.parametrize(("question", "window", "a", "b", "bucket"), PAIRS)
def test_two_entities_are_an_entity_comparison(
    question: str, window: str | None, a: str, b: str, bucket: str | None
) -> None:
    p = parse(question)
    assert (p.intent, win(p), ent(p.slots.entity), ent(p.slots.entity_b), p.slots.bucket) == (
        "entity_compare",
        window,
        a,
        b,
        bucket,
    )


PERIOD_COMPARES = [
    # one entity (or none) and two periods, or change words: compare_periods, as before
    ("Compare October with September", None),
    ("October vs September for the ml team", "team:ml"),
    ("this week vs last week", None),
    ("How much did payments cost in October compared to September?", "team:payments"),
    ("How did the payments team's cost change between September and October?", "team:payments"),
    ("payments team change", "team:payments"),
    ("month over month change", None),
    ("compare payments with last month", "team:payments"),
    ("payments vs payments", "team:payments"),  # one thing is not two
]


@pytest.mark.parametrize(("question", "entity"), PERIOD_COMPARES)
def test_period_comparisons_stay_compare(question: str, entity: str | None) -> None:
    p = parse(question)
    assert (p.intent, ent(p.slots.entity), p.slots.entity_b) == ("compare", entity, None)


TRENDS = [
    # question -> window, entity, bucket, split_by
    (
        "how did storefront trend over the past 14 days",
        "2026-11-13..2026-11-27",
        "team:storefront",
        None,
        None,
    ),
    ("daily cost of the ml team last week", "2026-11-16..2026-11-23", "team:ml", "day", None),
    ("cost per week this quarter", "2026-10-01..2026-11-27", None, "week", None),
    ("how much did we spend each day in October", "2026-10", None, "day", None),
    ("payments namespace cost over time", None, "namespace:payments", None, None),
    (
        "monthly cost of checkout-api since August",
        "2026-08-01..2026-11-27",
        "workload:checkout-api",
        "month",
        None,
    ),
    ("daily cost by team last week", "2026-11-16..2026-11-23", None, "day", "team"),
    (
        "weekly spend per namespace for the ml team in Q3",
        "2026-07-01..2026-10-01",
        "team:ml",
        "week",
        "namespace",
    ),
    ("show me the cost trend", None, None, None, None),
]


@pytest.mark.parametrize(("question", "window", "entity", "bucket", "split"), TRENDS)
def test_series_words_are_a_trend(
    question: str, window: str | None, entity: str | None, bucket: str | None, split: str | None
) -> None:
    p = parse(question)
    assert (p.intent, win(p), ent(p.slots.entity), p.slots.bucket, p.slots.group_by) == (
        "trend",
        window,
        entity,
        bucket,
        split,
    )


NOT_TRENDS = [
    # "monthly bill" is the bill; "month over month" a comparison; GPU and idle keep theirs
    ("explain the monthly bill", "bill"),
    ("month-over-month change for the ml team", "compare"),
    ("week over week", "compare"),
    ("daily GPU utilization", "gpu_utilization"),
    ("idle cost per day last week", "idle"),
    ("what did payments spend last month?", "entity_cost"),
    ("top 5 namespaces last month", "top"),
    ("any daily spikes this week?", "anomalies"),
]


@pytest.mark.parametrize(("question", "intent"), NOT_TRENDS)
def test_other_questions_keep_their_intent(question: str, intent: str) -> None:
    assert parse(question).intent == intent


def test_followups_on_a_trend_and_a_comparison() -> None:
    first = parse("daily cost of the ml team last week")
    p = parse("and the week before?", first)
    assert (p.intent, p.followup, win(p), ent(p.slots.entity), p.slots.bucket) == (
        "trend",
        True,
        "2026-11-09..2026-11-16",
        "team:ml",
        "day",
    )
    p = parse("what about the data team?", first)
    assert (p.intent, win(p), ent(p.slots.entity), p.slots.bucket) == (
        "trend",
        "2026-11-16..2026-11-23",
        "team:data",
        "day",
    )
    p = parse("and weekly in October?", first)
    assert (p.intent, win(p), p.slots.bucket) == ("trend", "2026-10", "week")
    pair = parse("payments vs storefront in October")
    p = parse("and in September?", pair)
    assert (p.intent, win(p), ent(p.slots.entity), ent(p.slots.entity_b)) == (
        "entity_compare",
        "2026-09",
        "team:payments",
        "team:storefront",
    )
    p = parse("and the month before?", pair)
    assert (p.intent, win(p)) == ("entity_compare", "2026-09")


def test_the_period_before_moves_both_sides_of_a_period_comparison() -> None:
    first = parse("Compare October with September")
    p = parse("and the month before?", first)
    assert (p.intent, win(p), p.slots.window_b.label() if p.slots.window_b else None) == (
        "compare",
        "2026-08",
        "2026-09",
    )
    # other intents move their one window
    p = parse("and the month before?", parse("What did the payments team spend last month?"))
    assert (p.intent, win(p), ent(p.slots.entity)) == ("entity_cost", "2026-09", "team:payments")
