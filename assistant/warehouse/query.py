"""Read-only SQL for tools, the agent and users: one SELECT/WITH, time-limited, row-capped.

The statement is parsed with sqlglot (DuckDB dialect) and refused unless it is exactly one
query expression with no DDL/DML, PRAGMA, ATTACH, COPY, or file-reading table functions.
It then runs on a read-only connection; a timer calls ``interrupt()`` at the time limit.
Results carry ``truncated`` so no answer is silently built from a partial result.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from assistant.errors import QueryRejected, QueryTimeout
from assistant.warehouse.db import Connection

__all__ = ["QueryResult", "run_query", "validate_select"]

_FORBIDDEN_FUNCTIONS = {
    "read_csv",
    "read_csv_auto",
    "read_parquet",
    "read_json",
    "read_json_auto",
    "read_text",
    "read_blob",
    "parquet_scan",
    "glob",
    "sniff_csv",
    "query",
    "query_table",
    "read_json_objects",
    "read_ndjson",
    "read_ndjson_auto",
    "read_xlsx",
    "getenv",
}


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    elapsed_ms: float
    sql: str
    params: list[Any] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def validate_select(sql: str) -> str:
    """Return the SQL if it is a single read-only query; raise QueryRejected with why not."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryRejected("Empty SQL.", hint="Send one SELECT or WITH query.", sql=sql)
    try:
        statements = [s for s in sqlglot.parse(text, dialect="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        detail = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # sqlglot underlines with ANSI codes
        raise QueryRejected(f"SQL does not parse: {detail}", sql=sql) from exc
    if len(statements) != 1:
        raise QueryRejected(
            f"Only one statement is allowed; got {len(statements)}.",
            hint="Send a single SELECT or WITH query.",
            sql=sql,
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRejected(
            f"Only SELECT/WITH queries are allowed; this is {tree.key.upper()}.",
            hint="Penny's SQL is read-only.",
            sql=sql,
        )
    for node in tree.walk():
        if isinstance(
            node,
            (
                exp.Insert,
                exp.Update,
                exp.Delete,
                exp.Create,
                exp.Drop,
                exp.Alter,
                exp.Command,
                exp.Merge,
                exp.Copy,
                exp.Attach,
                exp.Detach,
                exp.Pragma,
                exp.Set,
                exp.Use,
            ),
        ):
            raise QueryRejected(
                f"{node.key.upper()} is not allowed inside a read-only query.", sql=sql
            )
        if isinstance(node, exp.Func):
            name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).lower()
            if name in _FORBIDDEN_FUNCTIONS:
                raise QueryRejected(
                    f"Function {name}() reads outside the warehouse and is not allowed.", sql=sql
                )
        if isinstance(node, exp.Table) and (
            isinstance(node.this, exp.Literal)
            or (
                isinstance(node.this, exp.Identifier)
                and node.this.quoted
                and any(ch in node.this.name for ch in "/\\.:")
            )
        ):
            raise QueryRejected("Reading files by path is not allowed.", sql=sql)
    return text


def run_query(
    con: Connection,
    sql: str,
    params: list[Any] | None = None,
    *,
    max_rows: int,
    time_limit_ms: int,
    validate: bool = True,
) -> QueryResult:
    """Run one query with a row cap and a time limit (``con`` should be read-only)."""
    text = validate_select(sql) if validate else sql
    timer = threading.Timer(time_limit_ms / 1000.0, con.interrupt)
    started = time.perf_counter()
    timer.start()
    try:
        cursor = con.execute(text, params or [])
        rows = cursor.fetchmany(max_rows + 1)
        columns = [d[0] for d in cursor.description or []]
    except duckdb.InterruptException as exc:
        raise QueryTimeout(
            f"Query stopped after the {time_limit_ms} ms limit.",
            hint="Narrow the window or aggregate more.",
            sql=text,
            time_limit_ms=time_limit_ms,
        ) from exc
    except duckdb.Error as exc:
        raise QueryRejected(f"DuckDB error: {exc}", sql=text) from exc
    finally:
        timer.cancel()
    elapsed = (time.perf_counter() - started) * 1000.0
    truncated = len(rows) > max_rows
    return QueryResult(columns, rows[:max_rows], truncated, elapsed, text, list(params or []))
