"""A DuckDB-connection look-alike over Spark SQL, so Penny's SQL runs unchanged on Spark.

Allocation (``allocate_in``) and the cost queries (``query_costs``) take a connection and
call ``execute(sql, params).fetchone()/fetchall()`` with DuckDB SQL. :class:`SparkConnection`
answers those calls on Spark: each statement is transpiled (:mod:`assistant.spark.translate`),
lake tables and the warehouse views are temporary views, and the statements that write
are given their DuckDB meaning:

* ``CREATE [OR REPLACE] TEMP TABLE t AS q`` → ``q`` checkpointed as temporary view ``t``;
* ``INSERT INTO t [(cols)] q|VALUES`` → rows conformed to ``t``'s columns, types and
  defaults, appended to ``t``'s new contents;
* ``DELETE FROM t [USING u] WHERE c`` → ``t``'s new contents without those rows;
* ``SET …`` (DuckDB memory settings) → nothing.

Changed tables are written to the lake only by :meth:`commit` (``writer``'s COMMIT);
closing without it leaves the lake as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from assistant.errors import QueryRejected
from assistant.spark.lake import Lake
from assistant.spark.schema import Table, spark_type, tables, views
from assistant.spark.translate import bind, parse, to_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkConnection", "SparkResult"]


class SparkResult:
    """Rows of one statement, read like a DuckDB result."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest


class SparkConnection:
    """One engine session over the lake; ``writable`` connections see ``allocations`` as
    the stored table (as DuckDB's writer does), readers as the view with container rows."""

    def __init__(self, spark: SparkSession, lake: Lake, *, writable: bool) -> None:
        self.spark = spark
        self.lake = lake
        self.writable = writable
        self._tables = tables()
        self._state: dict[str, DataFrame] = {}
        self._changed: set[str] = set()
        for table in self._tables.values():
            self._set(table.name, lake.read(table))
        names = ", ".join(f"'{n}'" for n in sorted(self._tables))
        spark.sql(f"SELECT explode(array({names})) AS table_name").createOrReplaceTempView(
            "duckdb_tables"
        )
        pairs = ", ".join(
            f"named_struct('table_name', '{t.name}', 'column_name', '{c.name}')"
            for t in self._tables.values()
            for c in t.columns
        )
        spark.sql(f"SELECT inline(array({pairs}))").createOrReplaceTempView("duckdb_columns")
        for name, sql in _dependency_order(views()):
            if writable and name == "allocations":
                continue  # the writer's `allocations` is the table
            spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {to_spark(parse(sql))}")

    def _view_name(self, table: str) -> str:
        return "allocations_stored" if table == "allocations" and not self.writable else table

    def _set(self, table: str, df: DataFrame) -> None:
        self._state[table] = df
        df.createOrReplaceTempView(self._view_name(table))
        if table == "allocations":  # the container view reads the stored rows by this name
            df.createOrReplaceTempView("allocations_stored")

    # -- DuckDB's connection API -----------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> SparkResult:
        tree = bind(parse(sql), list(params or []))
        if isinstance(tree, exp.Set | exp.Command | exp.Transaction | exp.Commit):
            return SparkResult([])
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Insert):
            return self._insert(tree)
        if isinstance(tree, exp.Delete):
            return self._delete(tree)
        if isinstance(tree, exp.Query):
            rows = self.spark.sql(to_spark(tree)).collect()
            return SparkResult([tuple(r) for r in rows])
        raise QueryRejected(
            f"The Spark engine does not run {type(tree).__name__} statements.", sql=sql
        )

    def commit(self) -> None:
        """Write every changed table to the lake (each replaced whole)."""
        for name in sorted(self._changed):
            self.lake.replace(self._tables[name], self._state[name])
        self._changed.clear()

    def close(self) -> None:
        self._state.clear()

    # -- statements that write -----------------------------------------------------------

    def _writable_table(self, node: exp.Expr) -> Table:
        name = node.name if isinstance(node, exp.Table) else node.this.name
        if not self.writable:
            raise QueryRejected(f"Read-only Spark connection: cannot write {name}.")
        if name not in self._tables:
            raise QueryRejected(f"No lake table {name!r}.")
        return self._tables[name]

    def _create(self, tree: exp.Create) -> SparkResult:
        kind = str(tree.args.get("kind") or "").upper()
        props = tree.args.get("properties")
        temporary = props is not None and any(
            isinstance(p, exp.TemporaryProperty) for p in props.expressions
        )
        query = tree.expression
        if kind != "TABLE" or not temporary or not isinstance(query, exp.Query):
            raise QueryRejected("The Spark engine creates only temporary tables AS a query.")
        name = tree.this.name
        df = self.spark.sql(to_spark(query)).localCheckpoint()
        df.createOrReplaceTempView(name)
        return SparkResult([])

    def _insert(self, tree: exp.Insert) -> SparkResult:
        target = tree.this
        table = self._writable_table(target)
        named = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else None
        source = tree.expression
        if isinstance(source, exp.Values):
            source = exp.select("*").from_(source.as_("v"))
        rows = self.spark.sql(to_spark(source))
        rows = rows.toDF(*[f"_c{i}" for i in range(len(rows.columns))])  # unique names
        cols = named or table.names[: len(rows.columns)]
        if len(cols) != len(rows.columns):
            raise QueryRejected(
                f"INSERT into {table.name}: {len(rows.columns)} values for {len(cols)} columns."
            )
        given = dict(zip(cols, rows.columns, strict=True))
        select = []
        for c in table.columns:
            if c.name in given:
                value = f"`{given[c.name]}`"
            else:  # the column's DEFAULT, itself DuckDB SQL
                value = to_spark(parse(c.default)) if c.default else "NULL"
            select.append(f"CAST({value} AS {spark_type(c.duck_type)}) AS `{c.name}`")
        new = rows.selectExpr(*select)
        self._set(table.name, self._state[table.name].unionByName(new).localCheckpoint())
        self._changed.add(table.name)
        return SparkResult([])

    def _delete(self, tree: exp.Delete) -> SparkResult:
        target = tree.this
        table = self._writable_table(target)
        where = tree.args.get("where")
        alias = target.alias_or_name
        cond = where.this if where is not None else exp.true()
        using = tree.args.get("using") or []
        if using:
            sub = exp.select("1").from_(using[0])
            for extra in using[1:]:
                sub = sub.join(extra)
            keep = exp.not_(exp.Exists(this=sub.where(cond)))
        else:
            keep = exp.not_(exp.func("coalesce", exp.paren(cond), exp.false()))
        every = exp.Column(this=exp.Star(), table=exp.to_identifier(alias))
        query = exp.select(every).from_(exp.to_table(table.name).as_(alias)).where(keep)
        df = self.spark.sql(to_spark(query)).localCheckpoint()
        self._set(table.name, df)
        self._changed.add(table.name)
        return SparkResult([])


def _dependency_order(defs: dict[str, str]) -> list[tuple[str, str]]:
    """Views after the views they read (Spark resolves a view's names when creating it)."""
    reads = {
        name: {t.name for t in parse(sql).find_all(exp.Table)} & (set(defs) - {name})
        for name, sql in defs.items()
    }
    done: list[str] = []
    while len(done) < len(defs):
        ready = sorted(n for n in defs if n not in done and reads[n] <= set(done))
        if not ready:
            raise ValueError(f"circular views: {sorted(set(defs) - set(done))}")
        done.extend(ready)
    return [(n, defs[n]) for n in done]
