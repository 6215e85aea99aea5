"""Meta-test: each rightsizing/GPU tool is described for the model and every argument is
documented on its page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.registry import REGISTRY, load_all

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {
    "rightsizing": "rightsizing.md",
    "draft_rightsizing_change": "rightsizing.md",
    "gpu_utilization": "gpu.md",
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_tool_documented(name: str) -> None:
    spec = load_all()[name]
    assert len(spec.description) > 200
    assert REGISTRY[name].fn.__module__ == f"tools.{name}"
    doc = (DOCS / PAGES[name]).read_text(encoding="utf-8")
    section = doc.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
    missing = [f for f in spec.args_model.model_fields if f"`{f}`" not in section]
    assert missing == []


def test_public_api_is_exported() -> None:
    import assistant.rightsizing as rs

    assert sorted(rs.__all__) == sorted(
        [
            "STRATEGIES",
            "Draft",
            "DryRunResult",
            "IdleGpu",
            "Recommendation",
            "commitment_coverage",
            "draft_change",
            "find_recommendation",
            "fleet_effect",
            "get_strategy",
            "gpu_utilization",
            "idle_gpus",
            "orphans",
            "recommend",
            "spot_candidates",
            "validate_draft",
        ]
    )
    assert all(callable(getattr(rs, name)) or name == "STRATEGIES" for name in rs.__all__)
    assert sorted(rs.STRATEGIES) == ["simple", "vpa"]
