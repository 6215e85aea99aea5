"""Penny's docs and the warehouse's names, searched by meaning: ``search_knowledge``.

Exact and fuzzy name matches come first (from the names the asker may see), then Chroma's
semantic hits over the knowledge docs and names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.errors import DataGap
from assistant.knowledge.resolve import resolve_entity

__all__ = ["KnowledgeReport", "KnowledgeRequest", "search_knowledge"]

_MAX_TEXT = 700


class KnowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=500,
        description="What to look up, in plain words: a concept ('how is idle cost shared', "
        "'what is amortized cost', 'label policy for teams') or something a person called a "
        "workload/team/namespace ('the recommender', 'payments db').",
    )
    k: int = Field(5, ge=1, le=20, description="How many results to return.")
    kind: Literal["docs", "names", "all"] = Field(
        "all",
        description="'docs' = Penny's knowledge docs (allocation method, FinOps "
        "glossary, label policy, user-added notes); 'names' = namespaces, workloads, teams "
        "and apps in the warehouse; 'all' = both.",
    )


class KnowledgeReport(BaseModel):
    query: str
    results: list[dict[str, Any]]
    provenance: Provenance


def search_knowledge(args: KnowledgeRequest, ctx: Ctx) -> KnowledgeReport:
    """Matches best first; DataGap when nothing matches."""
    from assistant.knowledge.index import search  # Chroma loads only when searching

    names = []
    if args.kind in {"names", "all"} and ctx.settings.db_path.exists():
        names = resolve_entity(
            args.query, ctx.settings, scope=ctx.scope, limit=args.k, semantic=False
        )
    hits = search(ctx.settings, args.query, k=args.k, kind=args.kind, scope=ctx.scope)
    results = [
        {
            "kind": m.kind,
            "title": m.name,
            "score": m.score,
            "match": m.how,
            **({"namespace": m.namespace} if m.namespace else {}),
        }
        for m in names
    ]
    seen = {(r["kind"], r["title"], r.get("namespace")) for r in results}
    truncated = False
    for hit in hits:
        if (hit.kind, hit.title, hit.namespace) in seen:
            continue
        item = hit.to_dict()
        item["match"] = "semantic"
        if len(item["text"]) > _MAX_TEXT:
            item["text"] = item["text"][:_MAX_TEXT].rsplit(" ", 1)[0] + " …"
            truncated = True
        results.append(item)
    results = results[: args.k]
    prov = Provenance(
        source="chroma",
        tables=["chroma:docs", "chroma:names"] if args.kind == "all" else [f"chroma:{args.kind}"],
        filters={"kind": args.kind},
        row_count=len(results),
        truncated=truncated,
    )
    if truncated:
        prov.notes.append(f"Long doc sections are cut at {_MAX_TEXT} characters.")
    if not results:
        raise DataGap(
            f"Nothing in the knowledge index matches {args.query!r}"
            + (
                " (no warehouse yet, so no names are indexed)."
                if not ctx.settings.db_path.exists()
                else "."
            ),
            provenance=prov,
        )
    return KnowledgeReport(query=args.query, results=results, provenance=prov)
