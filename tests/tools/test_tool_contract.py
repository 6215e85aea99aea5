"""Meta-tests: each data tool is registered, described for the model and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.registry import REGISTRY, load_all

DOC = (Path(__file__).resolve().parents[2] / "docs" / "tools.md").read_text(encoding="utf-8")
MINE = [
    "query_costs",
    "cluster_state",
    "ai_spend",
    "run_sql",
    "search_knowledge",
    "bill_costs",
    "orphaned_resources",
    "cost_forecast",
    "budget_status",
    "unit_cost",
]


@pytest.mark.parametrize("name", MINE)
def test_tool_is_registered_described_and_documented(name: str) -> None:
    spec = load_all()[name]
    assert len(spec.description) > 200  # a docstring written for the model
    undocumented = [f for f, info in spec.args_model.model_fields.items() if not info.description]
    assert undocumented == []
    assert f"\n## {name}\n" in DOC
    for field in spec.args_model.model_fields:
        assert f"`{field}`" in DOC.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
    assert REGISTRY[name].fn.__module__ == f"tools.{name}"
