"""The three tools through the registry: arguments as an LLM sends them, scope in SQL,
bounded output, and ok:false errors that say how to fix the call."""

from __future__ import annotations

import pytest

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.warehouse.db import writer
from tests.rightsizing.rs_fixtures import MIB, NOW, Warehouse, plant_gpus
from tools.registry import ToolContext, call, load_all


@pytest.fixture
def settings() -> Settings:
    cfg = load_settings(now=NOW)
    with writer(cfg) as con:
        wh = Warehouse(con)
        wh.node("n1", hours=24, cpu_price=0.04, ram_price=0.005)
        for pod in ("api-1", "api-2"):
            wh.pod("shop", pod, "Deployment", "api")
            wh.team("shop", pod, "payments")
            wh.container_series(
                "shop", pod, "api", cpu_max=[0.2] * 24, ram_max=[300 * MIB] * 23 + [400 * MIB]
            )
        for i in range(3):
            wh.pod("lab", f"w{i}", "Deployment", f"w{i}")
            wh.team("lab", f"w{i}", "research")
            wh.container_series(
                "lab", f"w{i}", "main", cpu_max=[0.05 * (i + 1)] * 24, ram_max=[200 * MIB] * 24
            )
        plant_gpus(wh)
    return cfg


def ctx(settings: Settings, scope: Scope | None = None) -> ToolContext:
    return ToolContext.create(settings, scope)


def test_tools_are_registered_with_described_args() -> None:
    specs = load_all()
    for name in ("rightsizing", "draft_rightsizing_change", "gpu_utilization"):
        assert name in specs and specs[name].description
        fields = specs[name].args_model.model_fields
        assert all(f.description for f in fields.values()), name


def test_rightsizing_tool_ranks_and_bounds(settings: Settings) -> None:
    result, _ = call("rightsizing", {"top_n": 2, "include": ["orphans"]}, ctx(settings))
    assert result.ok and result.status == "success"
    recs = result.data["recommendations"]
    assert [r["workload"] for r in recs] == ["shop/Deployment/api", "lab/Deployment/w0"]
    # as in test_rs_recommend: $65.70 now → $14.96 → $50.74 saved
    assert recs[0]["monthly_savings"] == "50.74"
    # shop/api, lab/w0..w2 and the three GPU workloads plant_gpus runs (no CPU/RAM requests)
    assert result.provenance.truncated is True and result.provenance.row_count == 7
    assert result.data["orphans"] == []
    assert result.provenance.window == {
        "start": "2026-11-01T00:00:00Z",
        "end": "2026-11-15T00:00:00Z",
        "label": "2026-11-01..2026-11-15",
    }


def test_rightsizing_tool_scope_and_bad_args(settings: Settings) -> None:
    research = ctx(settings, Scope(teams=["research"], user="r"))
    result, _ = call("rightsizing", {}, research)
    assert {r["workload"].split("/")[0] for r in result.data["recommendations"]} == {"lab"}
    assert result.data["fleet_effect"] is None  # cluster-wide: admins only
    bad, _ = call("rightsizing", {"strategy": "krr"}, ctx(settings))
    assert not bad.ok and "strategy" in (bad.error or "") and "'simple'" in (bad.error or "")
    missing, _ = call("rightsizing", {"namespace": "payments"}, ctx(settings))
    assert not missing.ok
    assert missing.error == (
        "No usage history for namespace 'payments' that you may see. "
        "Known namespaces: lab, ml, serve, shop."
    )


def test_draft_tool(settings: Settings) -> None:
    result, _ = call(
        "draft_rightsizing_change", {"workload": "Deployment/api", "format": "pr"}, ctx(settings)
    )
    assert result.ok
    assert result.data["text"].startswith("## Rightsize shop/Deployment/api: saves $50.74/month")
    assert result.data["kubectl_command"].startswith("kubectl patch deployment api -n shop")
    nope, _ = call("draft_rightsizing_change", {"workload": "apii"}, ctx(settings))
    assert not nope.ok and "Did you mean: shop/Deployment/api" in (nope.error or "")
    hidden, _ = call(
        "draft_rightsizing_change",
        {"workload": "shop/Deployment/api"},
        ctx(settings, Scope(teams=["research"])),
    )
    assert not hidden.ok and "No workload 'shop/Deployment/api'" in (hidden.error or "")


def test_gpu_tool(settings: Settings) -> None:
    idle, _ = call("gpu_utilization", {"window": "24h", "idle_only": True}, ctx(settings))
    assert idle.ok
    assert [r["pod"] for r in idle.data["rows"]] == ["notebook-0", "infer-0"]
    # $20.00 notebook + $3.00 MIG slice
    assert idle.data["idle_cost_total"] == "23.00"
    by_model, _ = call("gpu_utilization", {"window": "24h", "by": "model"}, ctx(settings))
    assert by_model.data["rows"][0]["model"] == "A100"
    # the allocation's A100 GPU cost: 20 + 20 (g1) + 6 (two 1/7 slices × 6 h) + 29 (g2's
    # unrequested capacity: 4 × 3.50 + 6 × 2.50); exact decimals, rounded only to display
    assert by_model.data["rows"][0]["cost"] == "75.000000"
    assert by_model.data["cost_total"] == "75.000000"
    bad, _ = call("gpu_utilization", {"window": "fortnight"}, ctx(settings))
    assert not bad.ok and "Cannot read window 'fortnight'" in (bad.error or "")
    scoped, _ = call(
        "gpu_utilization",
        {"window": "24h", "idle_only": True},
        ctx(settings, Scope(teams=["training"])),
    )
    assert scoped.status == "no_data"


def test_unknown_namespace_lists_only_what_the_asker_may_see(settings: Settings) -> None:
    research = ctx(settings, Scope(teams=["research"], user="r"))
    result, _ = call("rightsizing", {"namespace": "shop"}, research)
    assert not result.ok
    assert result.error == (
        "No usage history for namespace 'shop' that you may see. Known namespaces: lab, ml."
    )  # ml: the research notebook
