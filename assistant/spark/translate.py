"""DuckDB SQL → Spark SQL: the one definition of each query, transpiled, never copied.

Allocation and the cost queries are written once, in DuckDB's dialect. sqlglot
transpiles them; this module binds the parameters as typed literals and rewrites the
few constructs whose meaning sqlglot cannot carry over by syntax alone:

* ``a / b`` is always a DOUBLE in DuckDB; in Spark a DECIMAL division stays DECIMAL, so
  the dividend is cast to DOUBLE (same IEEE operation, same result as DuckDB's).
* ``epoch(t1 - t0)`` (seconds of an interval) becomes ``timestampdiff`` in microseconds;
  ``to_hours(n)`` an interval of ``n`` hours; ``GLOB`` an anchored ``RLIKE``.
* ``hash(...)`` becomes ``xxhash64(...)`` and ``UBIGINT`` ``DECIMAL(20,0)``: the metrics
  fingerprint only has to agree with itself within one engine.
* ``row_number() OVER ()`` gets an order (Spark requires one); ``ORDER BY ALL``
  becomes ordinals; ``main.``/``allocation_view.`` qualifiers go (the
  Spark session has one namespace of temporary views); ``duckdb_tables()`` and
  ``duckdb_columns()`` read views of the lake's tables and their columns.

Exact money needs ``spark.sql.decimalOperations.allowPrecisionLoss=false`` (set by
:mod:`assistant.spark.session`): DECIMAL(38,12) arithmetic keeps its 12 decimals as in
DuckDB instead of being rounded to 6.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["bind", "parse", "to_spark"]


def parse(sql: str) -> exp.Expr:
    """One DuckDB statement as a sqlglot tree."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    if tree is None:
        raise ValueError(f"not a SQL statement: {sql[:80]!r}")
    return tree


def _literal(value: Any) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, Decimal):
        _, digits, exponent = value.as_tuple()
        scale = max(0, -int(exponent))
        precision = min(38, max(len(digits), scale + 1))
        return exp.cast(
            exp.Literal.string(str(value)), exp.DataType.build(f"DECIMAL({precision},{scale})")
        )
    if isinstance(value, datetime):
        return exp.cast(
            exp.Literal.string(value.isoformat(sep=" ")),
            exp.DataType.build("TIMESTAMPNTZ", dialect="spark"),
        )
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"cannot bind a {type(value).__name__} parameter for Spark")


def bind(tree: exp.Expr, params: list[Any] | tuple[Any, ...]) -> exp.Expr:
    """Replace ``?`` (in order) and ``$N`` placeholders by typed literals."""
    counter = iter(range(len(params)))

    def sub(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder | exp.Parameter):
            name = node.name
            index = int(name) - 1 if name.isdigit() else next(counter)
            return _literal(params[index])
        return node

    return tree.transform(sub)


def _glob_regex(pattern: str) -> str:
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "^" + "".join(out) + "$"


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Table) and node.args.get("db"):
        if node.db in ("main", "allocation_view"):
            node.set("db", None)
        return node
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
        if node.this.name.lower() in ("duckdb_tables", "duckdb_columns"):
            return exp.to_table(node.this.name.lower(), alias=node.alias or None)
        return node
    if isinstance(node, exp.Div) and not (
        isinstance(node.this, exp.Cast) and node.this.to.this == exp.DataType.Type.DOUBLE
    ):
        return exp.Div(
            this=exp.cast(node.this, exp.DataType.build("DOUBLE")), expression=node.expression
        )
    if isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub):
        micros = exp.Anonymous(
            this="timestampdiff",
            expressions=[exp.var("MICROSECOND"), node.this.expression, node.this.this],
        )
        return exp.Div(
            this=exp.cast(micros, exp.DataType.build("DOUBLE")),
            expression=exp.Literal.number("1000000.0"),
        )
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "to_hours":
            zero = exp.Literal.number(0)
            return exp.Anonymous(
                this="make_dt_interval", expressions=[zero, node.expressions[0], zero, zero]
            )
        if name == "hash":
            return exp.Anonymous(this="xxhash64", expressions=node.expressions)
        return node
    if (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.RowNumber)
        and not node.args.get("partition_by")
        and not node.args.get("order")
    ):  # Spark needs an order; any order numbers the rows 1..n as DuckDB's scan order does
        node.set(
            "order",
            exp.Order(expressions=[exp.Ordered(this=exp.func("monotonically_increasing_id"))]),
        )
        return node
    if (
        isinstance(node, exp.Window)
        and node.args.get("alias")
        and isinstance(node.parent, exp.Binary)
    ):  # Spark reads "OVER w - eq" as one (invalid) window name "w-eq"
        return exp.Paren(this=node.copy())
    if isinstance(node, exp.Glob) and isinstance(node.expression, exp.Literal):
        return exp.RegexpLike(
            this=node.this, expression=exp.Literal.string(_glob_regex(node.expression.name))
        )
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.UBIGINT:
        return exp.DataType.build("DECIMAL(20,0)")
    if isinstance(node, exp.Select):
        order = node.args.get("order")
        if order is not None and any(
            isinstance(o.this, exp.Var) and o.this.name.upper() == "ALL" for o in order.expressions
        ):
            n = len(node.expressions)
            order.set(
                "expressions",
                [
                    exp.Ordered(this=exp.Literal.number(i), nulls_first=False)
                    for i in range(1, n + 1)
                ],
            )
    return node


def _rename_aliases(tree: exp.Expr) -> None:
    """Give table aliases names no column has (``n`` → ``t_n``).

    DuckDB resolves ``n.iid`` to alias ``n`` even when a joined table has a column ``n``;
    Spark tries the column first (a struct field access) and fails. Names of CTEs and
    tables stay, so an alias that is also one of those is left alone.
    """
    taken = {t.name for t in tree.find_all(exp.Table)} | {c.alias for c in tree.find_all(exp.CTE)}
    renamed: dict[str, str] = {}
    for alias in tree.find_all(exp.TableAlias):
        if isinstance(alias.parent, exp.CTE) or not alias.name or alias.name in taken:
            continue
        renamed[alias.name] = "t_" + alias.name
        alias.set("this", exp.to_identifier(renamed[alias.name]))
    for column in tree.find_all(exp.Column):
        if column.table in renamed:
            column.set("table", exp.to_identifier(renamed[column.table]))


def to_spark(tree: exp.Expr) -> str:
    """Spark SQL text of a (bound) DuckDB tree (rewritten children first)."""
    tree = tree.copy()
    _rename_aliases(tree)
    for node in reversed(list(tree.walk())):
        new = _rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree.sql(dialect="spark")
