"""run_sql: one read-only SELECT/WITH over the warehouse, row-capped and time-limited."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from pydantic import BaseModel, Field
from sqlglot import exp

from assistant.core.provenance import Provenance
from assistant.warehouse.migrations import steps
from assistant.warehouse.query import run_isolated
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "run_sql", "schema_summary"]

_CREATE = re.compile(r"CREATE TABLE\s+(\w+)\s*\((.*?)\n\);", re.S | re.I)
_SKIP = ("PRIMARY KEY", "UNIQUE", "CONSTRAINT", "FOREIGN KEY", "CHECK")
#: wide tables are listed with their useful columns only, to keep the description short
_KEY_COLUMNS = {
    "billing_lines": {
        "billed_cost",
        "effective_cost",
        "list_cost",
        "charge_category",
        "charge_description",
        "charge_period_start",
        "charge_period_end",
        "billing_period_start",
        "service_name",
        "service_category",
        "resource_id",
        "resource_name",
        "resource_type",
        "region_id",
        "sku_id",
        "pricing_unit",
        "consumed_quantity",
        "commitment_discount_type",
        "sub_account_id",
        "provider_name",
        "billing_currency",
        "tags",
    },
}


@lru_cache(maxsize=1)
def schema_summary() -> str:
    """``table(col TYPE, …)`` lines for every warehouse table, read from the migrations.

    Built from the migration files, so the model always sees the schema that exists.
    """
    lines = []
    for _, sql in steps("migrations_sql"):
        clean = re.sub(r"--[^\n]*", "", sql)
        for table, body in _CREATE.findall(clean):
            cols = []
            for part in body.split("\n"):
                part = part.strip().rstrip(",")
                if not part or part.upper().startswith(_SKIP):
                    continue
                name, _, rest = part.partition(" ")
                ctype = rest.split()[0] if rest else ""
                cols.append(f"{name} {ctype}".strip())
            keep = _KEY_COLUMNS.get(table)
            if keep:
                shown = [c for c in cols if c.split()[0] in keep]
                cols = [*shown, f"… {len(cols) - len(shown)} more FOCUS columns"]
            lines.append(f"- {table}({', '.join(cols)})")
    return "\n".join(lines)


class Args(BaseModel):
    sql: str = Field(
        description="Exactly one DuckDB SELECT or WITH query over the warehouse tables listed "
        "in the tool description. No INSERT/UPDATE/DDL, no file functions. Aggregate in SQL "
        "(SUM, GROUP BY) rather than fetching raw rows; timestamps are naive UTC.",
        min_length=1,
        max_length=20_000,
    )
    max_rows: int | None = Field(
        None, ge=1, description="Rows to return at most (capped by the server's max_rows)."
    )


def _run_sql(args: Args, ctx: ToolContext) -> ToolResult:
    if not ctx.scope.admin:
        return ToolResult.failure(
            "run_sql is for administrators: free SQL could read other teams' rows. "
            "Use query_costs, cluster_state or ai_spend, which apply your scope."
        )
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data("No warehouse yet; run `penny demo` or `penny ingest` first.")
    limit = min(args.max_rows or ctx.settings.max_rows, ctx.settings.max_rows)
    # SQL from a model or a person runs in its own process: killed at the time limit,
    # unable to grow past the memory limit, and cut at the row and byte caps
    result = run_isolated(
        ctx.settings.db_path,
        args.sql,
        max_rows=limit,
        max_bytes=ctx.settings.max_result_bytes,
        time_limit_ms=ctx.settings.query_time_limit_ms,
        memory_limit_mb=ctx.settings.query_memory_limit_mb,
    )
    tables = sorted(
        {
            t.name
            for t in sqlglot.parse_one(result.sql, dialect="duckdb").find_all(exp.Table)
            if t.name
        }
    )
    prov = Provenance(
        sql=result.sql,
        tables=tables,
        row_count=len(result.rows),
        truncated=result.truncated,
        source="warehouse",
        notes=[f"{result.elapsed_ms:.0f} ms; row cap {limit}"],
    )
    if result.cut == "bytes":
        prov.notes.append(
            f"The result passed the {ctx.settings.max_result_bytes:,}-byte cap after "
            f"{len(result.rows)} rows; only those are shown. Select fewer or shorter "
            "columns, or aggregate."
        )
    elif result.truncated:
        prov.notes.append(
            f"More than {limit} rows matched; only the first {limit} are shown. "
            "Aggregate or add LIMIT/WHERE."
        )
    data = {
        "columns": result.columns,
        "rows": [list(r) for r in result.rows],
        "row_count": len(result.rows),
        "truncated": result.truncated,
    }
    if not result.rows:
        return ToolResult.no_data("The query returned no rows.", prov)
    return ToolResult.success(data, prov)


_run_sql.__doc__ = f"""Run one read-only SQL query (DuckDB dialect) on Penny's cost warehouse and
get columns and rows back. Only a single SELECT or WITH is accepted; anything else is
refused with the reason. Results are capped by rows and bytes (provenance.truncated says
when rows were cut); the query is stopped at the time limit and refused past the memory
limit. Administrators only: a team-scoped asker gets an error and must use query_costs,
cluster_state or ai_spend instead. Prefer the other
tools for standard questions; use this for ad-hoc analysis.

Money columns are DECIMAL (exact). allocations.kind is workload | idle | unallocated;
namespace is '__idle__' / '__unallocated__' on those rows; team '__unlabeled__' means no
team label. total_cost is amortized (EffectiveCost), billed_total_cost the invoice view.
The bill: Σ allocations.total_cost over a period = Σ billing_lines.effective_cost.

Tables:
{schema_summary()}
"""

run_sql = tool("run_sql", Args)(_run_sql)
