"""The semantic floor (knowledge.filter_floor = 0.36) is calibrated on the demo's names.

Phrases people use for a workload must read as it; phrases that mean no workload (bill
words, verbs, unrelated things) must stay below the floor, so they are said back instead
of becoming a filter. Measured scores (all-MiniLM-L6-v2 int8): wanted readings 0.39–0.71,
unwanted ones 0.25–0.35 ("queue" 0.33, "finance team" 0.33, "credit get" 0.32).
"""

from __future__ import annotations

import pytest

from assistant.agent.offline.entities import warehouse_finder
from assistant.config import Settings
from assistant.core.scope import Scope

WANTED = {
    "recommender": "recsys-inference",
    "the notebook": "jupyterhub",
    "payment database": "payments-db",
    "jupyter notebook": "jupyter-dana",
    "etl job": "nightly-etl",
    "ranking model": "ranker-train",
    "training jobs": "ranker-train",
    "analytics dashboards": "data",
}
UNWANTED = [
    "credit get",
    "storage",
    "queue",
    "finance team",
    "website",
    "mobile app",
    "redis",
    "provider",
    "cache",
    "weather",
]


@pytest.mark.parametrize(("phrase", "name"), sorted(WANTED.items()))
def test_what_people_call_a_workload_reads_as_it(
    demo_settings: Settings, phrase: str, name: str
) -> None:
    finder = warehouse_finder(demo_settings, Scope.everything())
    found = finder.resolve(phrase, None)
    assert found is not None and found.name == name
    assert not finder.is_weak(found), (phrase, found.score)


@pytest.mark.parametrize("phrase", UNWANTED)
def test_words_that_name_no_workload_stay_below_the_floor(
    demo_settings: Settings, phrase: str
) -> None:
    finder = warehouse_finder(demo_settings, Scope.everything())
    found = finder.resolve(phrase, None)
    assert found is None or finder.is_weak(found), (phrase, found)
