"""Every word of a question is accounted for, or said back (docs/offline-engine.md).

Fixed names (test_intents.NAMES plus bill values), 'now' 2026-11-27 00:00 UTC.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.agent.offline.entities import EntityFinder, Name
from assistant.agent.offline.intent import Intent
from assistant.agent.offline.intents import EntityRef, Parsed, recognise
from assistant.agent.offline.periods import find_periods
from tests.agent.offline.test_intents import NAMES, NOW, semantic

BILL = [
    Name("Amazon Simple Storage Service", "service", {"service": "Amazon Simple Storage Service"}),
    Name("AWS Data Transfer", "service", {"service": "AWS Data Transfer"}),
    Name(
        "Amazon Elastic Kubernetes Service",
        "service",
        {"service": "Amazon Elastic Kubernetes Service"},
    ),
    Name("Storage", "service_category", {"service_category": "Storage"}),
    Name("Credit", "charge_category", {"charge_category": "Credit"}),
    Name("Tax", "charge_category", {"charge_category": "Tax"}),
    Name("Dynamic", "pricing_category", {"pricing_category": "Dynamic"}),
    Name("us-east-1", "region", {"region": "us-east-1"}),
    Name("storefront", "team", {"team": "storefront"}),
]


def weak_semantic(phrase: str, hint: str | None) -> EntityRef | None:
    if phrase == "queue":  # a reading below the floor: said, never a filter
        return EntityRef("ranker-train", "workload", {}, "semantic", 0.33, phrase)
    return semantic(phrase, hint)


FINDER = EntityFinder([*NAMES, *BILL], weak_semantic, floor=0.36)


def parse(q: str, previous: Parsed | None = None) -> Parsed:
    return recognise(q, NOW, FINDER, previous)


UNDERSTOOD = [
    # question, intent, entity or bill value read
    ("How much did the savings plan save us last month?", Intent.SAVINGS, None),
    ("How much credit did we get in November?", Intent.BILL_COST, "charge_category:Credit"),
    (
        "how much did we pay for data transfer in November?",
        Intent.BILL_COST,
        "service:AWS Data Transfer",
    ),
    ("How much are we spending on storage?", Intent.BILL_COST, "service_category:Storage"),
    ("which team grew the most month over month?", Intent.COMPARE, None),
    ("How much will December cost?", Intent.FORECAST, None),
    ("What should the payments team rightsize?", Intent.RIGHTSIZING, "team:payments"),
    ("how much did the stroefront team spend in octobr?", Intent.ENTITY_COST, "team:storefront"),
    ("why did September go up?", Intent.BILL, None),
    ("what's the cost per request for checkout-api?", Intent.UNIT_COST, "workload:checkout-api"),
    ("What's our EKS control plane cost?", Intent.BILL_COST, None),
    ("are we over budget?", Intent.BUDGET, None),
    ("Which orphaned volumes are still billed?", Intent.ORPHANS, None),
    ("how much did spot save us last month?", Intent.SAVINGS, "pricing_category:Dynamic"),
]


@pytest.mark.parametrize(("question", "intent", "read"), UNDERSTOOD)
def test_the_issues_questions_are_read_whole(
    question: str, intent: Intent, read: str | None
) -> None:
    p = parse(question)
    assert (p.intent, p.slots.unmapped, p.slots.weak, p.understood) == (intent, (), (), True)
    names = [p.slots.entity] if p.slots.entity else []
    names += list(p.slots.bill)
    if read is not None:
        assert read in [f"{n.kind}:{n.filter.get(n.kind, n.name)}" for n in names]


SAID_BACK = [
    # question, the words said back
    ("Should we migrate to GKE?", ("migrate",)),
    ("How much carbon did our clusters emit last month?", ("carbon", "emit")),
    # AWS is understood, but a forecast of one provider is not something Penny gives
    ("What will AWS charge us next year?", ("next", "AWS")),
    ("What's our Snowflake bill?", ("Snowflake",)),
    ("idle cost by node last month", ("by node",)),
    ("Who approved the savings plan purchase?", ("approved",)),
]


@pytest.mark.parametrize(("question", "unmapped"), SAID_BACK)
def test_words_nothing_explains_are_said_back(question: str, unmapped: tuple[str, ...]) -> None:
    p = parse(question)
    assert p.understood is False
    assert p.slots.unmapped == unmapped


def test_a_weak_name_is_never_a_filter() -> None:
    p = parse("How much did the queue cost last month?")
    assert p.understood is False and p.slots.entity is None
    assert [(w.name, w.score) for w in p.slots.weak] == [("ranker-train", 0.33)]


def test_a_strong_semantic_name_is_a_filter_and_said() -> None:
    p = parse("How much did the recommender cost last month?")
    assert p.understood and p.slots.entity is not None
    assert (p.slots.entity.name, p.slots.entity.how) == ("recsys-api", "semantic")


def test_break_that_down_keeps_the_team_and_the_month() -> None:
    first = parse("What did the payments team spend in October?")
    p = parse("break that down by pod", first)
    e = p.slots.entity
    assert (p.intent, p.followup, p.slots.group_by) == (Intent.TOP, True, "pod")
    assert e is not None and (e.kind, e.name) == ("team", "payments")
    assert p.slots.window is not None and p.slots.window.label() == "2026-10"


def test_break_that_down_with_nothing_before_is_said_back() -> None:
    p = parse("break that down by pod")
    assert not p.understood and p.slots.unmapped == ("that (nothing earlier in this conversation)",)


def test_unit_phrases() -> None:
    cases = {
        "cost per 1k requests for checkout-api": ("request", 1000),
        "what does a million tokens cost on checkout-api": ("token", 1_000_000),
        "cost per GPU-hour of checkout-api": ("gpu-hour", 1),
    }
    for q, expected in cases.items():
        p = parse(q)
        assert (p.intent, (p.slots.unit, p.slots.unit_scale)) == (Intent.UNIT_COST, expected), q


def test_misspelt_months_and_the_future() -> None:
    now = datetime(2026, 11, 27)
    [p] = find_periods("spend in septmber 2025", now)
    assert (p.window.label(), p.typo) == ("2025-09", "september")
    # "December" in November: last December, unless the question is about the future
    assert find_periods("December", now)[0].window.label() == "2025-12"
    assert find_periods("December", now, future=True)[0].window.label() == "2026-12"
    # a real word close to a month is not a month
    assert find_periods("the member team in Oct 2026", now)[0].window.label() == "2026-10"


def test_rolling_windows_end_where_the_data_ends() -> None:
    [p] = find_periods("past 7 days", datetime(2026, 12, 5, 7), data_end=datetime(2026, 11, 27))
    assert (p.window.label(), p.anchored) == ("2026-11-20..2026-11-27", True)
    [q] = find_periods("past 7 days", datetime(2026, 11, 27), data_end=datetime(2026, 11, 27))
    assert q.anchored is False


BASES = [q for q, _, _ in UNDERSTOOD]


@given(
    base=st.sampled_from(BASES),
    word=st.text(alphabet="qxzjvkw", min_size=5, max_size=8),
    at=st.integers(min_value=0, max_value=20),
)
@settings(max_examples=150, deadline=None)
def test_one_unknown_word_anywhere_is_never_dropped(base: str, word: str, at: int) -> None:
    """Property: a question read whole stops being answered when a word nothing explains is
    added anywhere, and that word is said back."""
    words = base.split()
    pos = at % (len(words) + 1)
    p = parse(" ".join([*words[:pos], word, *words[pos:]]))
    e = p.slots.entity
    if e is not None and e.how == "unresolved":
        # "team jjjjj": read as a name of that kind, which the tool refuses by name
        assert e.name == word
        return
    assert p.understood is False
    assert any(word in u for u in p.slots.unmapped)
