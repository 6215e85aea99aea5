"""Eval cases: ``evals/NN_slug/case.yaml``, each a question with its expected facts.

A case's expected numbers are SQL over the warehouse's base tables (``allocations``,
``billing_lines``, ``gpu_hours`` …), never through Penny's tools, so an eval checks the
tools and the engine against an independent computation. The SQL may use
``getvariable('now')``: the runner sets it to the pinned 'now' (the demo's end), so
"last month" in a question and in its SQL mean the same month.

    question: What did the payments team spend last month?
    category: entity_cost
    tags: [team, last-month]
    setup: []                    # earlier questions in the same thread (follow-ups)
    settings: {}                 # settings for this case only, e.g. budgets: […]
    understood: true             # false: the engine must say it cannot answer
    expect:
      numbers:
        - label: payments team cost last month
          kind: money            # money | percent | count
          tolerance: 0.011
          sql: SELECT sum(total_cost) FROM allocations WHERE …
      names: [payments]
      names_sql: SELECT …        # optional: every value of the first column must appear
      tools: [query_costs]       # optional: tools the engine must call
      no_money: false            # true: the answer may not contain any money figure
    tool_calls:                  # the ≤ 3 tool calls that answer it (tool-coverage eval)
      - name: bill_costs
        args: {window: 2026-10, filters: {charge_category: Credit}}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError

__all__ = ["CASES_DIR", "Case", "ExpectedNumber", "ToolCallSpec", "load_cases"]

CASES_DIR = Path(__file__).resolve().parent
_DIR_RE = re.compile(r"^\d{2,3}_[a-z0-9_]+$")
_KINDS = ("money", "percent", "count")


@dataclass(frozen=True)
class ExpectedNumber:
    label: str
    sql: str
    kind: str = "money"
    tolerance: str = "0.011"


@dataclass(frozen=True)
class ToolCallSpec:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    category: str
    tags: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    understood: bool = True
    numbers: list[ExpectedNumber] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    names_sql: str | None = None
    tools: list[str] = field(default_factory=list)
    no_money: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolCallSpec] = field(default_factory=list)


def _case(path: Path) -> Case:
    where = f"{path.parent.name}/case.yaml"
    try:
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Cannot read eval case {where}: {exc}") from exc
    for key in ("question", "category"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"Eval case {where} needs a non-empty {key!r}.")
    expect = raw.get("expect") or {}
    unknown = set(raw) - {
        "question",
        "category",
        "tags",
        "setup",
        "understood",
        "expect",
        "settings",
        "tool_calls",
    }
    unknown |= set(expect) - {"numbers", "names", "names_sql", "tools", "no_money"}
    if unknown:
        raise ConfigError(f"Eval case {where} has unknown keys: {sorted(unknown)}.")
    numbers = []
    for i, n in enumerate(expect.get("numbers") or []):
        if not isinstance(n, dict) or not n.get("sql") or not n.get("label"):
            raise ConfigError(f"Eval case {where}: numbers[{i}] needs 'label' and 'sql'.")
        kind = n.get("kind", "money")
        if kind not in _KINDS:
            raise ConfigError(
                f"Eval case {where}: numbers[{i}].kind {kind!r} is not one of {', '.join(_KINDS)}."
            )
        numbers.append(
            ExpectedNumber(str(n["label"]), str(n["sql"]), kind, str(n.get("tolerance", "0.011")))
        )
    calls = []
    for i, c in enumerate(raw.get("tool_calls") or []):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise ConfigError(f"Eval case {where}: tool_calls[{i}] needs a 'name'.")
        calls.append(ToolCallSpec(c["name"], dict(c.get("args") or {})))
    if len(calls) > 3:
        raise ConfigError(f"Eval case {where}: at most 3 tool_calls (a model's budget here).")
    return Case(
        id=path.parent.name,
        question=raw["question"].strip(),
        category=raw["category"],
        tags=list(raw.get("tags") or []),
        setup=list(raw.get("setup") or []),
        understood=bool(raw.get("understood", True)),
        numbers=numbers,
        names=[str(n) for n in expect.get("names") or []],
        names_sql=expect.get("names_sql"),
        tools=list(expect.get("tools") or []),
        no_money=bool(expect.get("no_money", False)),
        settings=dict(raw.get("settings") or {}),
        tool_calls=calls,
    )


def load_cases(root: Path = CASES_DIR, *, only: str | None = None) -> list[Case]:
    """Every case under ``root`` in directory order; ``only`` filters by id or category."""
    cases = [
        _case(p / "case.yaml")
        for p in sorted(root.iterdir())
        if p.is_dir() and _DIR_RE.match(p.name) and (p / "case.yaml").is_file()
    ]
    if only:
        cases = [c for c in cases if only in (c.id, c.category) or c.id.startswith(only)]
    return cases
