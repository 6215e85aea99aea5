"""One resource's cost ("what did the ml team spend on GPUs", "which team spends the most
on storage"): read as that cost column of a name, a ranking or the whole organisation, and
nothing else (test_reading's names and bill values; 'now' 2026-11-27, so last month is
2026-10).
"""

from __future__ import annotations

import pytest

from assistant.agent.offline.intent import Intent
from assistant.agent.offline.intents import recognise
from tests.agent.offline.test_intents import NOW
from tests.agent.offline.test_reading import FINDER

CASES = [
    # question                                        resource entity          group        n
    ("What did the ml team spend on GPUs last month?", "gpu", "team:ml", None, None),
    ("How much of the payments team's cost was CPU?", "cpu", "team:payments", None, None),
    ("memory cost of checkout-api in October", "ram", "workload:checkout-api", None, None),
    # "storage" is the bill's Storage category alone; beside a grouping it is the volumes
    ("Which team spends the most on storage?", "pv", None, "team", None),
    ("top 3 namespaces by GPU cost last month", "gpu", None, "namespace", 3),
    ("which 3 apps spent the most on CPU last month", "cpu", None, "app", 3),
    ("what did we spend on memory last month?", "ram", None, None, None),
    ("load balancer cost by namespace", "lb", None, "namespace", None),
]


@pytest.mark.parametrize(("question", "resource", "entity", "group", "n"), CASES)
def test_a_resource_cost_question_is_read_as_that_column(
    question: str, resource: str, entity: str | None, group: str | None, n: int | None
) -> None:
    p = recognise(question, NOW, FINDER)
    e = p.slots.entity
    assert p.understood, p.slots.unmapped
    assert (
        p.intent,
        p.slots.resource,
        f"{e.kind}:{e.name}" if e else None,
        p.slots.group_by,
        p.slots.top_n,
        p.slots.bill,
    ) == (Intent.RESOURCE_COST, resource, entity, group, n, ())


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # no cost word: how busy the GPUs are, not what they cost
        ("GPU utilization of the ml team last month", Intent.GPU_UTILIZATION),
        # the organisation's storage and GPUs have answers of their own: the bill's storage
        # services (object storage included), GPU utilization with its cost
        ("How much did we spend on storage last month?", Intent.BILL_COST),
        ("What did we spend on GPUs last month?", Intent.GPU_UTILIZATION),
        # two resources in one question: neither column alone answers it
        ("what did the ml team spend on CPU and GPUs?", Intent.GPU_UTILIZATION),
    ],
)
def test_other_questions_keep_their_own_reading(question: str, intent: Intent) -> None:
    p = recognise(question, NOW, FINDER)
    assert p.intent is intent and p.slots.resource is None


@pytest.mark.parametrize(
    ("question", "resource", "entity"),
    [
        # how one column changed: of everything (not GPU utilization, not the total's
        # comparison) or of a name; one period is compared with the one before it
        ("did our GPU spend go up in November?", "gpu", None),
        ("did our CPU cost go up in November?", "cpu", None),
        ("did the ml team's GPU spend increase in November?", "gpu", "team:ml"),
        ("did GPU cost go up in november compared to october?", "gpu", None),
    ],
)
def test_a_change_in_one_resource_is_read_as_that_column_compared(
    question: str, resource: str, entity: str | None
) -> None:
    p = recognise(question, NOW, FINDER)
    e = p.slots.entity
    assert p.understood, p.slots.unmapped
    assert (p.intent, p.slots.resource, p.slots.change, f"{e.kind}:{e.name}" if e else None) == (
        Intent.RESOURCE_COST,
        resource,
        True,
        entity,
    )


@pytest.mark.parametrize(
    ("question", "unmapped"),
    [
        # a ranking by how one column changed is not one the plan answers: said back
        ("which team's GPU cost grew the most in November?", "grew"),
        # why it changed is the bill's explanation, not a column read twice
        ("why did our GPU spend go up in November?", "why"),
    ],
)
def test_a_change_the_plan_cannot_answer_is_said_back(question: str, unmapped: str) -> None:
    p = recognise(question, NOW, FINDER)
    assert not p.understood and unmapped in p.slots.unmapped and not p.slots.change
