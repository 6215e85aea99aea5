"""Read-only SQL for administrators: ``run_sql(request, ctx)``.

One SELECT/WITH, validated, time-limited and row-capped by the warehouse's query runner;
refused for scoped askers, because free SQL could read other teams' rows.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sqlglot
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from assistant.capabilities.common import warehouse
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.errors import DataGap, Forbidden
from assistant.warehouse.migrations import steps
from assistant.warehouse.query import run_query

__all__ = ["SqlReport", "SqlRequest", "run_sql", "schema_summary"]

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


class SqlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class SqlReport(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    provenance: Provenance


def run_sql(args: SqlRequest, ctx: Ctx) -> SqlReport:
    """Columns and rows of one read-only query; Forbidden unless the asker is an admin."""
    if not ctx.scope.admin:
        raise Forbidden(
            "run_sql is for administrators: free SQL could read other teams' rows.",
            hint="Use query_costs, cluster_state or ai_spend, which apply your scope.",
        )
    limit = min(args.max_rows or ctx.settings.max_rows, ctx.settings.max_rows)
    with warehouse(ctx) as con:
        result = run_query(
            con, args.sql, max_rows=limit, time_limit_ms=ctx.settings.query_time_limit_ms
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
    if result.truncated:
        prov.notes.append(
            f"More than {limit} rows matched; only the first {limit} are shown. "
            "Aggregate or add LIMIT/WHERE."
        )
    if not result.rows:
        raise DataGap("The query returned no rows.", provenance=prov)
    return SqlReport(
        columns=list(result.columns),
        rows=[list(r) for r in result.rows],
        row_count=len(result.rows),
        truncated=result.truncated,
        provenance=prov,
    )
