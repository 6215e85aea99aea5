"""Meta-test: the billing tools are registered, described for the model and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.registry import REGISTRY, load_all

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {
    "explain_bill": "bill.md",
    "compare_periods": "bill.md",
    "detect_anomalies": "anomalies.md",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_tool_is_registered_described_and_documented(name: str) -> None:
    spec = load_all()[name]
    assert len(spec.description) > 300
    assert [f for f, info in spec.args_model.model_fields.items() if not info.description] == []
    page = (DOCS / PAGES[name]).read_text(encoding="utf-8")
    section = (
        page.split(f"\n### {name}\n", 1)[1]
        if f"\n### {name}\n" in page
        else page.split(f"\n## Tool: {name}\n", 1)[1]
    )
    for field in spec.args_model.model_fields:
        assert f"`{field}`" in section.split("\n## ", 1)[0]
    assert REGISTRY[name].fn.__module__ == f"tools.{name}"
