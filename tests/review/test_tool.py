"""The agent's review_change tool: same numbers as the CLI, scope, errors as results."""

from __future__ import annotations

from pathlib import Path

from assistant.config import load_settings
from assistant.core.scope import Scope
from tests.review import cluster_rows
from tests.review.manifests import base_set, container, deployment, head_set
from tools.registry import REGISTRY, ToolContext, call, load_all

DOC = (Path(__file__).resolve().parents[2] / "docs" / "review.md").read_text(encoding="utf-8")
WEB_3 = deployment(
    "web", "shop", replicas=3, containers=container("app", cpu="500m", memory="256Mi")
)
WEB_6 = deployment("web", "shop", replicas=6, containers=container("app", cpu="1", memory="256Mi"))


def test_tool_prices_manifest_text() -> None:
    settings = load_settings()
    cluster_rows.build(settings)
    result, _ = call(
        "review_change", {"base": base_set(), "head": head_set()}, ToolContext.create(settings)
    )
    assert result.ok and result.status == "success"
    # the same totals as test_estimate.py / the CLI: 1898.50 low, 1934.10 high
    assert (result.data["monthly_delta_low"], result.data["monthly_delta_high"]) == (
        "1898.50",
        "1934.10",
    )
    assert result.provenance.filters == {"cluster": "prod"}
    assert result.provenance.window == {
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-10-31T00:00:00Z",
        "label": "2026-10-01..2026-10-31",
    }


def test_scope_hides_other_teams_allocated_cost() -> None:
    settings = load_settings()
    cluster_rows.build(settings)
    args = {"base": WEB_3, "head": WEB_6}
    admin, _ = call("review_change", args, ToolContext.create(settings))
    other, _ = call(
        "review_change", args, ToolContext.create(settings, Scope(namespaces=["data"], user="u"))
    )
    mine, _ = call(
        "review_change", args, ToolContext.create(settings, Scope(namespaces=["shop"], user="u"))
    )
    # $43.20 allocated to shop/web (3 pods × 720 h × $0.02); hidden from a 'data' user
    assert admin.data["changed"][0]["allocated"] == "43.20"
    assert mine.data["changed"][0]["allocated"] == "43.20"
    assert other.data["changed"][0]["allocated"] is None
    # the estimate itself does not depend on scope: 136.33 − 35.31 = 101.02
    assert {r.data["monthly_delta_low"] for r in (admin, other, mine)} == {"101.02"}
    assert "asker's scope" in other.provenance.notes[-1]


def test_errors_are_results() -> None:
    settings = load_settings()
    ctx = ToolContext.create(settings)
    missing, _ = call("review_change", {"head": WEB_6}, ctx)
    assert missing.status == "no_data" and "penny demo" in (missing.error or "")
    cluster_rows.build(settings)
    bad, _ = call("review_change", {"head": WEB_6.replace("cpu: 1", "cpu: 1x")}, ctx)
    assert not bad.ok and "head, document 1: Deployment shop/web, container 'app'" in (
        bad.error or ""
    )
    no_head, _ = call("review_change", {"base": WEB_3}, ctx)
    assert not no_head.ok and "head" in (no_head.error or "")


def test_tool_described_and_documented() -> None:
    spec = load_all()["review_change"]
    assert len(spec.description) > 200
    assert REGISTRY["review_change"].fn.__module__ == "tools.review_change"
    section = DOC.split("\n## review_change\n", 1)[1].split("\n## ", 1)[0]
    assert [f for f in spec.args_model.model_fields if f"`{f}`" not in section] == []
