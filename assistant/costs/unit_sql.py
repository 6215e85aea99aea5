"""The SQL of a sharing *unit*: one group of allocation rows as the sharing rules see it.

``query_costs`` (one unit per group) and ``cost_trend`` (one per group and bucket) read
the same unit columns — the group's name with idle and unallocated rows named apart,
whether the rows pass the filters, are visible to the asker, belong to a shared
namespace, and their cost per resource — so both apply sharing, scope and filters the
same way, and a trend's buckets add up to the total ``query_costs`` gives.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assistant.allocation.rollups import USED_SQL
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.core.scope import Scope
from assistant.costs.dimensions import dimension_expr, needs_pod_join
from assistant.costs.sharing import RESOURCES, Unit
from assistant.warehouse.sql_text import lit

__all__ = ["ESTIMATE_SQL", "UNIT_COLUMNS", "unit_from_row", "unit_select", "used_cost_sql"]

#: how many leading columns of a row ``unit_select`` produces
UNIT_COLUMNS = 8 + len(RESOURCES)
#: a row is an estimate unless the bill priced it (NULL: hand-made rows, as the bill)
ESTIMATE_SQL = "coalesce(a.price_source, 'bill') <> 'bill'"
_ZERO = Decimal(0)
_POD_JOIN = (
    "LEFT JOIN k8s_pods p ON p.cluster = a.cluster AND p.namespace = a.namespace "
    "AND p.pod = a.pod LEFT JOIN k8s_namespaces ns ON ns.cluster = a.cluster "
    "AND ns.namespace = a.namespace"
)


def unit_select(
    group_by: str, filters: dict[str, str], scope: Scope, shared_ns: list[str], basis: str
) -> tuple[str, str, list[Any]]:
    """(select list, join clause, parameters) over ``allocations a``.

    The select list is ``name, cluster, pool, kind, passes, visible, shared, estimate``
    and one cost sum per resource; group the query by it (``GROUP BY ALL``). The
    parameters are those of the select list, in order. ``pool`` is the node when grouping
    by node (idle is then shared within its node), else empty; ``estimate`` marks rows
    priced from the price list, which no bill total includes.
    """
    expr = dimension_expr(group_by)
    unalloc_name = expr if group_by in ("service", "cluster") else lit(UNALLOCATED)
    name = (
        f"CASE WHEN a.kind = 'idle' THEN {lit(IDLE)} WHEN a.kind = 'unallocated' "
        f"THEN {unalloc_name} ELSE {expr} END"
    )
    params: list[Any] = []
    passes = " AND ".join(f"{dimension_expr(k)} = ?" for k in filters) or "TRUE"
    params.extend(filters.values())
    scope_sql, scope_params = scope.sql_filter("a.team", "a.namespace")
    visible = f"(a.kind = 'workload' AND {scope_sql})" if not scope.admin else "TRUE"
    params.extend(scope_params)
    shared = (
        ("a.kind = 'workload' AND a.namespace IN (" + ", ".join("?" for _ in shared_ns) + ")")
        if shared_ns
        else "FALSE"
    )
    params.extend(shared_ns)
    prefix = "billed_" if basis == "invoice" else ""
    costs = ", ".join(f"sum(a.{prefix}{r}_cost)" for r in RESOURCES)
    pool = "coalesce(a.node, '')" if group_by == "node" else "''"
    select = (
        f"{name} AS name, a.cluster, {pool} AS pool, a.kind, {passes} AS passes, "
        f"{visible} AS visible, {shared} AS shared, {ESTIMATE_SQL} AS estimate, {costs}"
    )
    join = _POD_JOIN if needs_pod_join([group_by, *filters]) else ""
    return select, join, params


def unit_from_row(row: tuple[Any, ...], used: float = 0.0) -> Unit:
    """The :class:`Unit` of the first :data:`UNIT_COLUMNS` columns of a row."""
    name, cluster, pool, kind, passes, visible, shared, estimate = row[:8]
    costs = {
        r: Decimal(v) if v is not None else _ZERO
        for r, v in zip(RESOURCES, row[8:UNIT_COLUMNS], strict=True)
    }
    return Unit(
        name=name,
        cluster=cluster,
        kind=kind,
        pool=pool or "",
        estimate=bool(estimate),
        passes=bool(passes),
        visible=bool(visible),
        shared=bool(shared),
        costs=costs,
        used=used,
    )


def used_cost_sql(prefix: str) -> str:
    """Σ the CPU and RAM cost actually used (cost × usage ÷ max(request, usage)): the
    efficiency numerator of a cost row and of an asset row. ``prefix`` is '' (amortized)
    or 'billed_' (invoice)."""
    return f"sum({USED_SQL.format(a='a', p=prefix)})"
