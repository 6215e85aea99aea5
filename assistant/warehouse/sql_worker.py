"""The child process that runs one piece of user SQL (``run_sql``) under hard limits.

Why a process: DuckDB checks for ``interrupt()`` between chunks of work, and one scalar
call such as ``range(100000000)`` or ``repeat('x', 500000000)`` builds its whole value
in a single step that neither an interrupt nor ``memory_limit`` reaches (it ran 20 s past
a 5 s limit and grew the server to 7 GB). In a child, the address-space rlimit makes
such a value fail at once with an out-of-memory error, and the parent kills the child at
the time limit however the query spends it. Only the standard library and duckdb are
imported here, so the child starts in a fraction of a second.

Protocol: the parent writes a JSON request on stdin; the child opens the warehouse
read-only, writes ``READY\\n`` (the parent's clock starts then), runs the query and
writes one pickled dict on stdout: ``{"ok": True, columns, rows, truncated, cut}`` or
``{"ok": False, "kind": "memory" | "sql", "message": …}``.
"""

from __future__ import annotations

import datetime as _dt
import json
import pickle
import sys
from decimal import Decimal
from typing import Any

READY = b"READY\n"
#: address space for the interpreter, duckdb's code and thread stacks, beyond the
#: query's own memory limit
HEADROOM_MB = 768
_CHUNK = 256


def value_bytes(value: Any) -> int:
    """About how many bytes ``value`` takes once shown (the result cap counts these)."""
    if value is None or isinstance(value, bool):
        return 4
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, Decimal):
        return len(str(value))
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        return 26
    if isinstance(value, dict):
        return sum(value_bytes(k) + value_bytes(v) for k, v in value.items()) + 2
    if isinstance(value, (list, tuple)):
        return sum(value_bytes(v) for v in value) + 2
    return len(str(value))


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # not Unix: the duckdb memory_limit is all there is
        return
    limit = (megabytes + HEADROOM_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run(request: dict[str, Any], out: Any) -> dict[str, Any]:
    _limit_memory(int(request["memory_mb"]))
    import duckdb

    try:
        con = duckdb.connect(
            request["path"],
            read_only=True,
            config={
                "enable_external_access": False,
                "memory_limit": f"{int(request['memory_mb'])}MB",
                "threads": int(request.get("threads", 2)),
            },
        )
        con.execute("SET TimeZone = 'UTC'")
        views = con.execute(
            "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'allocation_view'"
        ).fetchone()
        if views and views[0]:
            con.execute("SET search_path = 'allocation_view,main'")
    except duckdb.Error as exc:
        return {"ok": False, "kind": "open", "message": str(exc)}
    out.write(READY)
    out.flush()
    max_rows, max_bytes = int(request["max_rows"]), int(request["max_bytes"])
    try:
        cursor = con.execute(request["sql"], request.get("params") or [])
        columns = [d[0] for d in cursor.description or []]
        rows: list[tuple[Any, ...]] = []
        size = 0
        cut: str | None = None
        first_row: int | None = None
        while cut is None:
            chunk = cursor.fetchmany(_CHUNK)
            if not chunk:
                break
            for row in chunk:
                if len(rows) == max_rows:
                    cut = "rows"
                    break
                row_size = sum(value_bytes(v) for v in row)
                if size + row_size > max_bytes:
                    cut = "bytes"
                    first_row = row_size if not rows else None
                    break
                rows.append(row)
                size += row_size
        if cut == "bytes" and not rows:
            return {
                "ok": False,
                "kind": "bytes",
                "message": f"the first row alone is {first_row:,} bytes",
                "row_bytes": first_row,
            }
        return {
            "ok": True,
            "columns": columns,
            "rows": rows,
            "truncated": cut is not None,
            "cut": cut,
            "bytes": size,
        }
    except (duckdb.OutOfMemoryException, MemoryError) as exc:
        return {"ok": False, "kind": "memory", "message": str(exc).split("\n")[0]}
    except duckdb.Error as exc:
        return {"ok": False, "kind": "sql", "message": str(exc)}


def main() -> None:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    out = sys.stdout.buffer
    try:
        result = run(request, out)
    except MemoryError:
        result = {"ok": False, "kind": "memory", "message": "out of memory"}
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps({"ok": False, "kind": "memory", "message": "out of memory"})
    out.write(payload)
    out.flush()


if __name__ == "__main__":
    main()
