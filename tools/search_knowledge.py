"""search_knowledge: Penny's docs and the warehouse's names, searched by meaning (Chroma)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.knowledge.index import search
from assistant.knowledge.resolve import resolve_entity
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "search_knowledge"]

_MAX_TEXT = 700


class Args(BaseModel):
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


@tool("search_knowledge", Args)
def search_knowledge(args: Args, ctx: ToolContext) -> ToolResult:
    """Search Penny's knowledge base and the names in the cost warehouse by meaning. Use it
    to explain a FinOps term or how Penny computes something (idle, shared, unallocated,
    amortized vs invoice cost, label policy), and to find the real name of a workload, team,
    namespace or app someone described loosely ('the recommender' -> recsys-api) before
    calling query_costs with that exact name. Each result has kind (doc | namespace |
    workload | team | app), title, score (cosine similarity, higher is closer) and text.
    Names are limited to what you may see."""
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
        return ToolResult.no_data(
            f"Nothing in the knowledge index matches {args.query!r}"
            + (
                " (no warehouse yet, so no names are indexed)."
                if not ctx.settings.db_path.exists()
                else "."
            ),
            prov,
        )
    return ToolResult.success({"query": args.query, "results": results}, prov)
