"""The values of a cost dimension that an asker may see: one definition for every door.

A filter that names nothing visible must fail the same way whether it came from the CLI,
HTTP, a tool call or the offline engine, and the suggestions must never reveal names
outside the asker's scope. Reading the distinct values is a scan of every allocation row,
so the result is kept until the warehouse changes (:mod:`assistant.warehouse.memo`).
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.costs.dimensions import dimension_expr, needs_pod_join
from assistant.warehouse.db import Connection
from assistant.warehouse.memo import memo

__all__ = ["POD_JOIN", "visible_values"]

#: the joins a label dimension needs (pod labels, then namespace labels)
POD_JOIN = (
    "LEFT JOIN k8s_pods p ON p.cluster = a.cluster AND p.namespace = a.namespace "
    "AND p.pod = a.pod LEFT JOIN k8s_namespaces ns ON ns.cluster = a.cluster "
    "AND ns.namespace = a.namespace"
)


def visible_values(
    con: Connection, settings: Settings, dimension: str, scope: Scope
) -> tuple[str, ...]:
    """Distinct values of ``dimension`` over the allocation rows ``scope`` may see.

    Workload rows are filtered by the scope's teams/namespaces; idle and unallocated rows
    (no team, no namespace of a workload) are visible to admins only.
    """
    key = ("visible-values", dimension, scope.admin, tuple(scope.teams), tuple(scope.namespaces))
    return memo(settings, key, lambda: tuple(_read(con, dimension, scope)))


def _read(con: Connection, dimension: str, scope: Scope) -> list[str]:
    scope_sql, params = scope.sql_filter("a.team", "a.namespace")
    join = POD_JOIN if needs_pod_join([dimension]) else ""
    rows = con.execute(
        f"SELECT DISTINCT {dimension_expr(dimension)} FROM allocations a {join} "
        f"WHERE (a.kind = 'workload' AND {scope_sql})"
        + (" OR a.kind <> 'workload'" if scope.admin else ""),
        params,
    ).fetchall()
    return sorted(str(r[0]) for r in rows if r[0] is not None)
