"""run_sql: one read-only SELECT/WITH over the warehouse, row-capped and time-limited."""

from __future__ import annotations

from assistant.capabilities.sql import SqlRequest, schema_summary
from assistant.capabilities.sql import run_sql as run_query
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "run_sql", "schema_summary"]

Args = SqlRequest


def _run_sql(args: Args, ctx: ToolContext) -> ToolResult:
    return ToolResult.of(run_query(args, ctx))


_run_sql.__doc__ = f"""Run one read-only SQL query (DuckDB dialect) on Penny's cost warehouse and
get columns and rows back. Only a single SELECT or WITH is accepted; anything else is
refused with the reason. Results are capped (provenance.truncated says when rows were cut)
and the query is stopped at the time limit. Administrators only: a team-scoped asker gets
an error and must use query_costs, cluster_state or ai_spend instead. Prefer the other
tools for standard questions; use this for ad-hoc analysis.

Money columns are DECIMAL (exact). allocations.kind is workload | idle | unallocated;
namespace is '__idle__' / '__unallocated__' on those rows; team '__unlabeled__' means no
team label. total_cost is amortized (EffectiveCost), billed_total_cost the invoice view.
The bill: Σ allocations.total_cost over a period = Σ billing_lines.effective_cost.

Tables:
{schema_summary()}
"""

run_sql = tool("run_sql", Args)(_run_sql)
