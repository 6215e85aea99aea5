"""The warehouse schema as the lake sees it: DuckDB's migrations are the one definition.

The lake holds the same tables as the DuckDB warehouse, one Parquet folder per table.
Rather than restating columns for Spark, the schema is read from a throw-away in-memory
DuckDB with every migration applied: column names, order, types and defaults, and the
views (``allocation_container_costs`` and the readers' ``allocations``) as their SQL.
So a migration that adds a column or changes a view reaches the Spark engine unchanged.

Partitioning: tables with ``cluster`` and ``hour`` by cluster and UTC day; tables with
``cluster`` only by cluster; hour-keyed tables without a cluster (``allocation_hours``)
and ``billing_lines`` (by charge day) by day; the rest unpartitioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import duckdb
import sqlglot
from sqlglot import exp

__all__ = ["Column", "Table", "spark_type", "tables", "views"]

#: the column whose date is a table's ``day`` partition, when it is not ``hour``
_DAY_FROM = {
    "billing_lines": "charge_period_start",
    # daily rollups: partitioned by the day they sum
    "allocation_daily": "day_start",
    "allocation_rollup_days": "day_start",
    "allocation_class_daily": "day_start",
    "allocation_class_rollup_days": "day_start",
}
#: DuckDB-only or process-local tables that never go to the lake
_SKIP = {"_migrations"}


@dataclass(frozen=True)
class Column:
    name: str
    duck_type: str
    default: str | None  # SQL text, e.g. "0"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def day_column(self) -> str | None:
        if self.name in _DAY_FROM:
            return _DAY_FROM[self.name]
        return "hour" if "hour" in self.names else None

    @property
    def partitions(self) -> list[str]:
        """Partition columns in folder order (``day`` is derived, not a table column)."""
        out = ["cluster"] if "cluster" in self.names else []
        return [*out, "day"] if self.day_column else out


def _schema_db() -> duckdb.DuckDBPyConnection:
    from assistant.warehouse.migrations import migrate

    con = duckdb.connect()
    migrate(con)
    return con


@cache
def tables() -> dict[str, Table]:
    """Every base table of the migrated warehouse, columns in order."""
    con = _schema_db()
    try:
        rows = con.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type, c.column_default
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_name = c.table_name AND t.table_schema = c.table_schema
            WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main'
            ORDER BY c.table_name, c.ordinal_position
            """
        ).fetchall()
    finally:
        con.close()
    cols: dict[str, list[Column]] = {}
    for table, name, dtype, default in rows:
        if table not in _SKIP:
            cols.setdefault(table, []).append(Column(name, dtype, default))
    return {t: Table(t, tuple(c)) for t, c in cols.items()}


@cache
def views() -> dict[str, str]:
    """The warehouse's views as DuckDB SELECT text, by the name readers use.

    ``allocation_view.allocations`` (what read-only connections see as ``allocations``)
    is returned as ``allocations``; its ``main.allocations`` (the stored rows) becomes
    ``allocations_stored``, the name the lake gives the table when the view is in use.
    """
    con = _schema_db()
    try:
        rows = con.execute(
            "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, str] = {}
    for schema, name, sql in rows:
        create = sqlglot.parse_one(sql, read="duckdb")
        select = create.expression
        assert isinstance(select, exp.Query), sql
        if schema == "allocation_view":
            for table in select.find_all(exp.Table):
                if table.name == "allocations":
                    table.set("this", exp.to_identifier("allocations_stored"))
        out[name] = select.sql(dialect="duckdb")
    return out


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def spark_type(duck_type: str) -> str:
    """The Spark SQL type holding a DuckDB column type exactly (DDL spelling)."""
    t = duck_type.upper()
    m = _DECIMAL.fullmatch(t)
    if m:
        return f"DECIMAL({m[1]},{m[2]})"
    simple = {
        "VARCHAR": "STRING",
        "JSON": "STRING",
        "DOUBLE": "DOUBLE",
        "FLOAT": "FLOAT",
        "BIGINT": "BIGINT",
        "INTEGER": "INT",
        "SMALLINT": "SMALLINT",
        "BOOLEAN": "BOOLEAN",
        "TIMESTAMP": "TIMESTAMP_NTZ",
        "DATE": "DATE",
        "UBIGINT": "DECIMAL(20,0)",
        "UINTEGER": "BIGINT",
        "HUGEINT": "DECIMAL(38,0)",
    }
    if t in simple:
        return simple[t]
    if t.endswith("[]") or t.startswith(("STRUCT", "MAP")):
        return "STRING"  # nested values travel as JSON text
    raise ValueError(f"no Spark type for DuckDB type {duck_type!r}")
