"""Tool coverage: every eval case's expected numbers are reachable in ≤ 3 tool calls.

A case lists the tool calls that answer it (``tool_calls``: name and arguments, as a
model would send them). :func:`check_case` makes those calls through the registry, as
the LLM engine's tools do (validation, scope, never raising), and checks that each
expected number (the case's own SQL) is inside their results. This is what an LLM needs
to answer the question: if it fails here, no model can answer it from Penny's tools.
The same calls are replayed through the LLM engine against the local OpenAI and
Anthropic wire fakes in ``tests/agent/test_tool_coverage.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.warehouse.db import one_reader
from evals.cases import Case, load_cases
from evals.grade import tool_numbers
from evals.runner import case_settings, expected_values, pinned_now
from tools.registry import ToolContext, call

__all__ = ["CoverageResult", "check_case", "found_in", "run_coverage"]

MAX_CALLS = 3


@dataclass
class CoverageResult:
    id: str
    question: str
    calls: list[str]
    passed: bool
    failures: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)


def found_in(value: Decimal, kind: str, tolerance: Decimal, numbers: Iterable[Decimal]) -> bool:
    """True when some tool number is the expected one (a percent also as a fraction)."""
    for n in numbers:
        if abs(abs(n) - abs(value)) <= tolerance:
            return True
        if kind == "percent" and abs(abs(n) * 100 - abs(value)) <= tolerance:
            return True
    return False


def check_case(case: Case, settings: Settings, now: datetime) -> CoverageResult:
    numbers, _ = expected_values(case, settings, now)
    s = case_settings(case, settings)
    ctx = ToolContext(settings=s, scope=Scope.everything(user="eval"), now=now, user="eval")
    failures: list[str] = []
    results: list[dict[str, Any]] = []
    if numbers and not case.tool_calls:
        failures.append("expects numbers but lists no tool_calls")
    if len(case.tool_calls) > MAX_CALLS:
        failures.append(f"{len(case.tool_calls)} tool calls (at most {MAX_CALLS})")
    with one_reader(s):  # one read-only connection for the case's calls, as an answer has
        for spec in case.tool_calls:
            result, _ = call(spec.name, spec.args, ctx)
            results.append(result.to_json())
            if not result.ok or result.status != "success":
                failures.append(f"{spec.name} {spec.args}: {result.status}: {result.error}")
    seen = tool_numbers(results)
    for n in numbers:
        if n["value"] is None:
            failures.append(f"{n['label']}: the case's SQL returned NULL")
            continue
        if not found_in(Decimal(n["value"]), n["kind"], Decimal(n["tolerance"]), seen):
            failures.append(f"{n['label']} = {n['value']} is in no tool result")
    return CoverageResult(
        case.id,
        case.question,
        [c.name for c in case.tool_calls],
        not failures,
        failures,
        results,
    )


def run_coverage(settings: Settings, *, only: str | None = None) -> list[CoverageResult]:
    """Every case (or ``only`` one id/category) whose answer has numbers or tool calls."""
    now = pinned_now(settings)
    settings = settings.model_copy(update={"now": now})
    cases = [c for c in load_cases(only=only) if c.numbers or c.tool_calls]
    return [check_case(c, settings, now) for c in cases]
