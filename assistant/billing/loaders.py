"""Reading the warehouse into the structured inputs of the pure billing functions.

All SQL of the billing package lives here and in ``totals.py``/``reconcile.py``; scope is
applied in the WHERE clause (``Scope.sql_filter``), never afterwards in Python. Windows are
UTC half-open; allocations are hourly so an hour belongs to a window iff its start does.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from assistant.allocation.class_rollups import CLASS_SQL
from assistant.allocation.commitment_savings import any_covered_lines, saving_cte, saving_params
from assistant.billing.class_source import class_rows
from assistant.billing.variance import ZERO, ClassStat, ItemKey, PeriodData, Slice, q12
from assistant.core.placeholders import IDLE
from assistant.core.scope import Scope
from assistant.costs.dimensions import dimension_expr
from assistant.costs.rollup_source import cost_rows
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = [
    "allocation_span",
    "daily_by",
    "dec",
    "estimated_cost",
    "load_period",
    "scope_where",
]


def dec(value: Any) -> Decimal:
    """DuckDB DECIMAL arrives as Decimal (as exact text from the items query: ``_nz``);
    DOUBLE quantities go through str to stay exact."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def scope_where(scope: Scope, alias: str = "a") -> tuple[str, list[Any]]:
    """The asker's scope, and only rows the bill priced: estimates (price-list costs of
    nodes the bill never mentions) are never part of a bill, a comparison or an anomaly."""
    where, params = scope.sql_filter(team_col=f"{alias}.team", ns_col=f"{alias}.namespace")
    return f"({where}) AND coalesce({alias}.price_source, 'bill') = 'bill'", params


def estimated_cost(con: Connection, window: Window, scope: Scope) -> Decimal:
    """Σ of the rows priced from the price list in ``window`` (visible to ``scope``)."""
    where, params = scope.sql_filter(team_col="a.team", ns_col="a.namespace")
    rows, rows_params = cost_rows(con, window)
    row = con.execute(
        f"SELECT sum(a.total_cost) FROM {rows} a "
        f"WHERE coalesce(a.price_source, 'bill') <> 'bill' AND {where}",
        [*rows_params, *params],
    ).fetchone()
    return dec(row[0] if row else None)


def _x(expr: str) -> str:
    """An exact sum of a DOUBLE quantity: each row cast to DECIMAL first (as the class
    rollups sum theirs: ``allocation.class_rollups``)."""
    return f"sum(CAST({expr} AS DECIMAL(38, 12)))"


# The variance's items: one row per item key and node class, summed over the class rows
# of the window (rollup days and grouped hours, ``class_source``). The relation's rows are
# finer (raw team, controller kind and name, the bill flags); their sums add up exactly.
def _nz(column: str) -> str:
    """A sum sent as NULL when it is zero, and as text otherwise (``dec`` reads both).

    Most items have no GPU, volume, load-balancer or discount part, and turning DuckDB
    DECIMALs into Python Decimals, not the query, was most of reading a month's items:
    NULL costs nothing, and ``Decimal(text)`` in Python is twice as fast as DuckDB's own
    DECIMAL conversion (the text is exact: every digit of the DECIMAL(38, 12))."""
    return f"CAST(nullif(sum({column}), 0) AS VARCHAR)"


def _txt(column: str) -> str:
    """A sum sent as text (see ``_nz``), zero included."""
    return f"CAST(sum({column}) AS VARCHAR)"


#: a row's cost that no resource column holds (total - Σ parts; zero for almost every row)
_UNSPLIT = "a.total_cost - " + " - ".join(
    f"coalesce(a.{c}, 0)"
    for c in (
        "cpu_cost",
        "ram_cost",
        "gpu_cost",
        "pv_cost",
        "lb_cost",
        "network_cost",
        "other_cost",
    )
)

_ITEMS_SQL = f"""
SELECT a.kind, a.cluster, coalesce(a.namespace, ''),
       CASE WHEN a.kind = 'workload' THEN {dimension_expr("controller")} ELSE '' END AS workload,
       {dimension_expr("team")}, coalesce(a.service_name, ''),
       coalesce(a.resource, ''), a.node_class,
       {_nz("a.cpu_q")}, {_nz("a.cpu_cost")}, {_nz("a.ram_q")}, {_nz("a.ram_cost")},
       {_nz("a.gpu_q")}, {_nz("a.gpu_cost")}, {_txt("a.pv_q")}, {_nz("a.pv_cost")},
       {_nz("a.lb_cost")}, {_nz("a.network_cost")}, {_nz("a.other_cost")}, {_txt("a.total_cost")},
       {_nz(_UNSPLIT)}, sum(a.node_hours),
       {_nz("a.cpu_discount")}, {_nz("a.ram_discount")}, {_nz("a.gpu_discount")},
       {_nz("a.total_discount")}
FROM {{rows}} a
WHERE a.bill_priced AND {{scope}}
GROUP BY ALL
"""

# Node classes of the window's billed node-hours: cost, hours, capacity and unit prices.
_CLASS_SQL = f"""
SELECT n.cluster, {CLASS_SQL} AS cls, sum(n.node_cost), count(*),
       {_x("n.cpu_cores")}, {_x("n.cpu_price * n.cpu_cores")},
       {_x("n.ram_gib")}, {_x("n.ram_price * n.ram_gib")},
       {_x("n.gpu_count")}, {_x("n.gpu_price * n.gpu_count")}
FROM node_cost_hours n
WHERE n.hour >= ? AND n.hour < ? AND n.price_source = 'bill'
GROUP BY ALL
"""

# Allocated quantity per node class of workloads on billed node-hours, so idle quantity =
# capacity - allocated.
_ALLOC_Q_SQL = """
SELECT a.cluster, a.node_class, sum(a.cpu_q), sum(a.ram_q), sum(a.gpu_q)
FROM {rows} a
WHERE a.kind = 'workload' AND a.node_bill_priced
GROUP BY ALL
"""

_SAVING_SQL = f"""
WITH {saving_cte("n.hour >= ? AND n.hour < ?")}
SELECT n.cluster, {CLASS_SQL} AS cls, sum(sv.saving)
FROM sv JOIN node_cost_hours n USING (cluster, node, hour)
GROUP BY ALL
"""


def allocation_span(con: Connection, window: Window, scope: Scope) -> tuple[Any, Any, int]:
    """First hour, last hour and row count of visible allocations in the window (read from
    the daily rollups for whole built days: the caller has checked the window is fresh)."""
    where, params = scope_where(scope)
    rows, rows_params = cost_rows(con, window)
    row = con.execute(
        f"SELECT min(a.first_hour), max(a.last_hour), sum(a.hours) FROM {rows} a WHERE {where}",
        [*rows_params, *params],
    ).fetchone()
    assert row is not None
    return row[0], row[1], int(row[2] or 0)


def visible_totals(con: Connection, window: Window, scope: Scope) -> tuple[Decimal, Decimal]:
    """Σ amortized and Σ invoice cost of the allocation rows ``scope`` may see in ``window``."""
    where, params = scope_where(scope)
    rows, rows_params = cost_rows(con, window)
    row = con.execute(
        f"SELECT sum(a.total_cost), sum(a.billed_total_cost) FROM {rows} a WHERE {where}",
        [*rows_params, *params],
    ).fetchone()
    assert row is not None
    return dec(row[0]), dec(row[1])


def load_period(con: Connection, window: Window, scope: Scope, *, days: Decimal) -> PeriodData:
    """A period's variance inputs: items, node classes and idle quantities.

    Reads the class rows of ``window`` (``class_source``: whole built days from the class
    rollups, other hours from the allocation view), so a month is a few thousand rows
    however many container-hours it holds.
    """
    rows_sql, rows_params = class_rows(con, window)
    where, params = scope.sql_filter(team_col="a.team", ns_col="a.namespace")
    rows = con.execute(
        _ITEMS_SQL.format(rows=rows_sql, scope=where), [*rows_params, *params]
    ).fetchall()
    items: dict[ItemKey, dict[str, Slice]] = defaultdict(dict)
    idle_keys: list[tuple[ItemKey, str]] = []
    for row in rows:
        _add_row(items, idle_keys, row)
    classes, capacity = _load_classes(con, window)
    if idle_keys:
        allocated = {
            (c, k): (dec(x), dec(y), dec(z))
            for c, k, x, y, z in con.execute(
                _ALLOC_Q_SQL.format(rows=rows_sql), rows_params
            ).fetchall()
        }
        _fill_idle_quantities(items, idle_keys, classes, capacity, allocated)
    return PeriodData(label=window.to_dict(), days=days, items=dict(items), classes=classes)


def _add_row(
    items: dict[ItemKey, dict[str, Slice]],
    idle_keys: list[tuple[ItemKey, str]],
    row: tuple[Any, ...],
) -> None:
    """Split one grouped allocation row into per-resource items.

    Sums arrive as exact text, or None for zero (``_nz``); a month at 5k pods is 10,000 rows
    here, so the common workload row (CPU and RAM on one node class) is written out
    without per-row closures or loops.
    """
    (
        kind,
        cluster,
        ns,
        workload,
        team,
        service,
        rescol,
        cls,
        cpu_q,
        cpu_c,
        ram_q,
        ram_c,
        gpu_q,
        gpu_c,
        pv_q,
        pv_c,
        lb_c,
        net_c,
        other_c,
        total,
        unsplit,
        node_hours,
        cpu_d,
        ram_d,
        gpu_d,
        total_d,
    ) = row
    if kind == "workload":
        hours = int(node_hours or 0)
        if cpu_c or cpu_q:
            k = ItemKey(kind, cluster, ns, workload, team, "cluster nodes", "", "cpu")
            _put(items, k, cls, cpu_q or ZERO, cpu_c, hours, cpu_d)
        if ram_c or ram_q:
            k = ItemKey(kind, cluster, ns, workload, team, "cluster nodes", "", "ram")
            _put(items, k, cls, ram_q or ZERO, ram_c, hours, ram_d)
        if gpu_c or gpu_q:
            k = ItemKey(kind, cluster, ns, workload, team, "cluster nodes", "", "gpu")
            _put(items, k, cls, gpu_q or ZERO, gpu_c, hours, gpu_d)
        if pv_c:
            _put(items, ItemKey(kind, cluster, ns, workload, team, "pv", "", "pv"), "", pv_q, pv_c)
        for resource, cost in (("lb", lb_c), ("network", net_c), ("other", other_c)):
            if cost:
                svc = resource if resource != "other" else "cluster"
                k = ItemKey(kind, cluster, ns, workload, team, svc, "", resource)
                _put(items, k, "", None, cost)
        if unsplit:
            k = ItemKey(kind, cluster, ns, workload, team, "cluster", "", "unsplit")
            _put(items, k, "", None, unsplit)
    elif kind == "idle":
        # Idle is kept per instance type, with its capacity types as classes, so a spot to
        # on-demand fallback of mostly idle nodes shows as mix, not as two idle changes.
        itype = cls.split(" ", 1)[1] if " " in cls else cls
        svc = f"nodes: {itype}" if cls else "cluster nodes"
        k = ItemKey(kind, cluster, ns, workload, team, svc, "", rescol or "other")
        _put(items, k, cls, None, total, int(node_hours), total_d)
        idle_keys.append((k, cls))
    else:
        k = ItemKey(
            kind,
            cluster,
            ns,
            workload,
            team,
            service or "unknown service",
            rescol or "Usage",
            "other",
        )
        _put(items, k, "", None, total)


Capacity = dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]


_Q10 = Decimal("1e-10")
_NO_DISCOUNT = ZERO.quantize(_Q10)


def _put(
    items: dict[ItemKey, dict[str, Slice]],
    k: ItemKey,
    cls_: str,
    q: Any,
    cost: Any,
    hours: int = 0,
    discount: Any = None,
) -> None:
    """Add one grouped row's part to an item's slice: several grouped rows (e.g. differing
    service_name) can land on one item."""
    slices = items[k]
    s = slices.get(cls_)
    qty = None if q is None else dec(q)
    off = None  # a discount is per node class: a slice with none has no discount
    if cls_:
        off = _NO_DISCOUNT if discount is None else dec(discount).quantize(_Q10)
    if s is None:
        slices[cls_] = Slice(qty, dec(cost), hours, off)
        return
    s.q = None if (s.q is None or qty is None) else s.q + qty
    s.cost += dec(cost)
    s.node_hours += hours
    if off is not None:
        s.discount = (s.discount or ZERO) + off


def _load_classes(
    con: Connection, window: Window
) -> tuple[dict[tuple[str, str], ClassStat], Capacity]:
    """Each billed node class of the window, and its capacity (core-, GiB-, GPU-hours)."""
    classes: dict[tuple[str, str], ClassStat] = {}
    capacity: Capacity = {}
    for cluster, cls, node_cost, hours, cpu, cpu_v, ram, ram_v, gpu, gpu_v in con.execute(
        _CLASS_SQL, [window.start, window.end]
    ).fetchall():
        prices = {}
        for res, qty, value in (("cpu", cpu, cpu_v), ("ram", ram, ram_v), ("gpu", gpu, gpu_v)):
            if qty:  # DOUBLE sums carry float dust; a unit price needs no more than 1e-10
                prices[res] = (dec(value) / dec(qty)).quantize(Decimal("1e-10"))
        classes[(cluster, cls)] = ClassStat(
            node_cost=dec(node_cost), node_hours=int(hours), prices=prices
        )
        capacity[(cluster, cls)] = (dec(cpu), dec(ram), dec(gpu))
    if not any_covered_lines(con, window.start, window.end):
        return classes, capacity
    saving_args = saving_params(window.start, window.end, [window.start, window.end])
    for cluster, cls, saving in con.execute(_SAVING_SQL, saving_args).fetchall():
        if (cluster, cls) in classes:
            classes[(cluster, cls)].commitment_saving = dec(saving)
    return classes, capacity


def _fill_idle_quantities(
    items: dict[ItemKey, dict[str, Slice]],
    idle_keys: list[tuple[ItemKey, str]],
    classes: dict[tuple[str, str], ClassStat],
    capacity: Capacity,
    allocated: Capacity,
) -> None:
    """Idle quantity = node capacity - allocated quantity, per node class and resource.

    Idle items without a priced class keep ``q=None`` and are explained as a whole.
    """
    for key, cls in idle_keys:
        cap = capacity.get((key.cluster, cls))
        idx = {"cpu": 0, "ram": 1, "gpu": 2}.get(key.resource)
        if cap is None or idx is None or (key.cluster, cls) not in classes:
            continue
        used = allocated.get((key.cluster, cls), (ZERO, ZERO, ZERO))[idx]
        items[key][cls].q = q12(cap[idx] - used)


#: Monthly or one-off bookings, not daily spend: explained by the bill, not anomalies.
BILLING_EVENTS = ("Tax", "Credit", "Adjustment", "Purchase")


def daily_by(
    con: Connection,
    window: Window,
    scope: Scope,
    by: str,
    *,
    with_workloads: bool = False,
    spend_only: bool = False,
    fresh: bool = False,
) -> list[tuple[Any, ...]]:
    """Daily amortized cost per group (and per workload when asked), oldest first.

    ``spend_only`` leaves out idle capacity (it mirrors the workloads on the same nodes)
    and billing events (tax, credits, refunds, commitment purchases). ``fresh``: the caller
    has checked the whole window is fresh (``require_fresh``), so its built days are read
    from the daily rollups; otherwise every hour is read from the view.
    """
    group = group_expr(by)
    wl = (
        (
            f"CASE WHEN a.kind = 'workload' THEN a.namespace || '/' || "
            f"{dimension_expr('controller')} "
            "WHEN a.kind = 'unallocated' THEN 'bill: ' || coalesce(a.service_name, 'unknown') "
            "ELSE coalesce(a.namespace, a.kind) END"
        )
        if with_workloads
        else "''"
    )
    where, params = scope_where(scope)
    if spend_only:
        events = ", ".join(f"'{e}'" for e in BILLING_EVENTS)
        where += (
            f" AND a.kind <> 'idle' AND NOT (a.kind = 'unallocated' AND "
            f"coalesce(a.resource, 'Usage') IN ({events}))"
        )
    if fresh:
        rows, rows_params = cost_rows(con, window)
        day = "date_trunc('day', a.day_start)"
    else:
        rows = "(SELECT * FROM allocations WHERE hour >= ? AND hour < ?)"
        rows_params, day = [window.start, window.end], "date_trunc('day', a.hour)"
    return con.execute(
        f"SELECT {day} AS day, {group} AS grp, {wl} AS wl, sum(a.total_cost) "
        f"FROM {rows} a WHERE {where} GROUP BY ALL ORDER BY 1, 2, 3",
        [*rows_params, *params],
    ).fetchall()


#: ``service`` for spend over time: what an unallocated bill line was for, with idle and
#: all cluster workloads one group each (the cost dimension ``service`` splits workloads)
_SPEND_SERVICE = (
    "CASE a.kind WHEN 'unallocated' THEN coalesce(a.service_name, 'unknown') "
    f"WHEN 'idle' THEN {lit(IDLE)} ELSE 'cluster workloads' END"
)


def group_expr(by: str) -> str:
    """SQL for a grouping dimension: the cost dimensions', but for ``service``."""
    return _SPEND_SERVICE if by == "service" else dimension_expr(by)


def hours_between(start: Any, end: Any) -> Decimal:
    return Decimal(int((end - start) / timedelta(hours=1)))
