"""Read-only SQL for tools, the agent and users: one SELECT/WITH, time-limited, row-capped.

The statement is parsed with sqlglot (DuckDB dialect) and refused unless it is exactly one
query expression with no DDL/DML, PRAGMA, ATTACH, COPY, or file-reading table functions.
Penny's own queries run on a read-only connection with a timer that calls ``interrupt()``
(``run_query``). SQL written by a user or a model runs in a child process that is killed
at the time limit and cannot grow past a memory limit, with a byte cap on the result as
well as the row cap (``run_isolated``; see ``sql_worker`` for why). Results carry
``truncated`` so no answer is silently built from a partial result.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from assistant.errors import QueryRejected, QueryTimeout
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_worker import READY

__all__ = ["QueryResult", "run_isolated", "run_query", "validate_select"]

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
    #: why rows were cut: "rows" (the row cap) or "bytes" (the size cap); None if whole
    cut: str | None = None

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


def run_isolated(
    path: Path | str,
    sql: str,
    params: list[Any] | None = None,
    *,
    max_rows: int,
    max_bytes: int,
    time_limit_ms: int,
    memory_limit_mb: int,
    start_timeout_s: float = 30.0,
) -> QueryResult:
    """Run one validated SELECT in a child process (``sql_worker``) under hard limits.

    The child is killed at ``time_limit_ms`` (counted from when it has the warehouse open)
    however the query spends the time, and its address space is capped, so neither a
    runaway scalar nor a giant value can stall or swell the server. Rows stop at
    ``max_rows`` or ``max_bytes``, whichever comes first; ``truncated`` says so.
    """
    text = validate_select(sql)
    request = json.dumps(
        {
            "path": str(path),
            "sql": text,
            "params": list(params or []),
            "max_rows": max_rows,
            "max_bytes": max_bytes,
            "memory_mb": memory_limit_mb,
        },
        default=str,
    ).encode("utf-8")
    worker = Path(__file__).with_name("sql_worker.py")
    proc = subprocess.Popen(
        [sys.executable, "-I", str(worker)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(request)
        proc.stdin.close()
        proc.stdin = None  # sent in full; communicate() must not touch it again
        head = _read_ready(proc, start_timeout_s)
        started = time.perf_counter()
        if head == READY:
            head = b""
            try:
                payload, err = proc.communicate(timeout=time_limit_ms / 1000.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise QueryTimeout(
                    f"Query stopped after the {time_limit_ms} ms limit.",
                    hint="Narrow the window or aggregate more.",
                    sql=text,
                    time_limit_ms=time_limit_ms,
                ) from None
        else:  # it ended before opening the warehouse: the payload says why
            payload, err = proc.communicate(timeout=start_timeout_s)
        payload = head + payload
        elapsed = (time.perf_counter() - started) * 1000.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return _result(payload, err, proc.returncode, text, params, elapsed, memory_limit_mb, max_bytes)


def _read_ready(proc: subprocess.Popen[bytes], timeout_s: float) -> bytes:
    """The child's first bytes: READY, or the start of its report of why it could not."""
    assert proc.stdout is not None
    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    try:
        return proc.stdout.read(len(READY))
    finally:
        timer.cancel()


def _result(
    payload: bytes,
    err: bytes,
    returncode: int | None,
    text: str,
    params: list[Any] | None,
    elapsed: float,
    memory_limit_mb: int,
    max_bytes: int,
) -> QueryResult:
    try:
        out: dict[str, Any] = pickle.loads(payload) if payload else {}
    except Exception:  # a child killed mid-write (the memory rlimit) leaves a torn pickle
        out = {}
    if not out:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [
            f"exit code {returncode}"
        ]
        if "MemoryError" in detail[0] or returncode in (-9, 137):
            out = {"ok": False, "kind": "memory", "message": detail[0]}
        else:
            raise QueryRejected(f"The query process failed: {detail[0]}", sql=text)
    if out.get("ok"):
        return QueryResult(
            out["columns"],
            out["rows"],
            bool(out["truncated"]),
            elapsed,
            text,
            list(params or []),
            cut=out.get("cut"),
        )
    kind, message = out.get("kind"), str(out.get("message", ""))
    if kind == "memory":
        raise QueryRejected(
            f"The query needs more than the {memory_limit_mb} MB memory limit ({message}).",
            hint="Aggregate in SQL, select fewer or smaller columns, or add LIMIT.",
            sql=text,
            memory_limit_mb=memory_limit_mb,
        )
    if kind == "bytes":
        raise QueryRejected(
            f"The result is too large: {message}, over the {max_bytes:,}-byte result cap.",
            hint="Select fewer or shorter columns (e.g. left(col, 200)) or aggregate.",
            sql=text,
            max_bytes=max_bytes,
        )
    if kind == "open":
        raise QueryRejected(f"Cannot open the warehouse for the query: {message}", sql=text)
    raise QueryRejected(f"DuckDB error: {message}", sql=text)
