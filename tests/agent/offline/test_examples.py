"""Every example question Penny shows (README, `penny demo`, the help answer) is an eval case
and answers correctly on the demo it comes with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.agent.offline.templates import EXAMPLES
from assistant.config import Settings
from assistant.demo.truths import EXAMPLE_QUESTIONS
from evals.cases import Case, load_cases
from evals.runner import run_case

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")


def _key(q: str) -> str:
    return q.lower().rstrip("?").strip()


def _examples() -> list[tuple[str, str]]:
    # the eval demo compares October with September, as `penny demo` ending 2026-11-27 does
    demo = [q.format(m2_name="October") for q in EXAMPLE_QUESTIONS]
    readme = re.findall(r'penny ask "([^"]+)"', README)
    return (
        [("readme", q) for q in readme]
        + [("demo", q) for q in demo]
        + [("help", q) for q in EXAMPLES]
    )


CASES = {_key(c.question): c for c in load_cases() if not c.setup}


def test_readme_shows_at_least_the_issue_examples() -> None:
    assert len(re.findall(r'penny ask "', README)) >= 6


@pytest.mark.parametrize(("where", "question"), _examples())
def test_example_is_an_eval_case_answered_correctly(
    demo_settings: Settings, where: str, question: str
) -> None:
    case: Case | None = CASES.get(_key(question))
    assert case is not None, f"{where} example {question!r} has no eval case"
    result = run_case(case, demo_settings, "offline", demo_settings.current_time())
    assert result.passed and result.understood, (question, result.failures, result.answer)
