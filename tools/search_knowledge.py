"""search_knowledge: Penny's docs and the warehouse's names, searched by meaning (Chroma)."""

from __future__ import annotations

from assistant.capabilities.knowledge import KnowledgeRequest
from assistant.capabilities.knowledge import search_knowledge as run_search
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "search_knowledge"]

Args = KnowledgeRequest


@tool("search_knowledge", Args, capability=run_search)
def search_knowledge(args: Args, ctx: ToolContext) -> ToolResult:
    """Search Penny's knowledge base and the names in the cost warehouse by meaning. Use it
    to explain a FinOps term or how Penny computes something (idle, shared, unallocated,
    amortized vs invoice cost, label policy), and to find the real name of a workload, team,
    namespace or app someone described loosely ('the recommender' -> recsys-api) before
    calling query_costs with that exact name. Each result has kind (doc | namespace |
    workload | team | app), title, score (cosine similarity, higher is closer) and text.
    Names are limited to what you may see."""
    return ToolResult.of(run_search(args, ctx))
