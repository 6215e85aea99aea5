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

from assistant.billing.variance import ZERO, ClassStat, ItemKey, PeriodData, Slice, q12
from assistant.core.placeholders import IDLE
from assistant.core.scope import Scope
from assistant.costs.dimensions import dimension_expr
from assistant.ingest.provider_id import sql_bill_keys, sql_scale_set
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
    """DuckDB DECIMAL arrives as Decimal; DOUBLE quantities go through str to stay exact."""
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
    row = con.execute(
        f"SELECT sum(a.total_cost) FROM allocations a WHERE a.hour >= ? AND a.hour < ? "
        f"AND coalesce(a.price_source, 'bill') <> 'bill' AND {where}",
        [window.start, window.end, *params],
    ).fetchone()
    return dec(row[0] if row else None)


def _x(expr: str) -> str:
    """An exact sum of a DOUBLE quantity: each row cast to DECIMAL first.

    Summing DOUBLEs in parallel adds them in an order that changes from run to run, so
    the last bits moved, and a driver's evidence (which items a sub-cent price effect
    touched) changed between two runs of the same comparison.
    """
    return f"sum(CAST({expr} AS DECIMAL(38, 12)))"


_CLASS = "coalesce(n.capacity_type, 'unknown') || ' ' || coalesce(n.instance_type, 'unknown')"

# Commitment saving per node-hour: ListCost - EffectiveCost of the node's usage lines a
# savings plan / reservation covered, prorated to the hour. Lines find their node the way
# allocation matches them (assistant.allocation.node_costs.match_lines): the ResourceId
# lowercased, or its last '/'/':' segment (an ARN), equals the node's instance id; an Azure
# scale-set line's saving is split among the set's nodes in the hour by running hours, as
# its cost was. Matching on the raw text would miss ARNs and case differences, and so
# report no saving for nodes whose cost the commitment did lower.
_SAVING_CTE = f"""
sl AS (
  SELECT ingest_id, source_file, source_row, charge_period_start, charge_period_end,
         CAST((list_cost - effective_cost) * 3600.0
              / greatest(date_diff('second', charge_period_start, charge_period_end), 1)
              AS DECIMAL(38, 12)) AS saving_h,
         {sql_bill_keys("resource_id")}
  FROM billing_lines
  WHERE commitment_discount_status = 'Used' AND list_cost IS NOT NULL
        AND coalesce(charge_category, 'Usage') = 'Usage' AND resource_id IS NOT NULL
        AND charge_period_start < ? AND charge_period_end > ?
), kn AS (
  SELECT cluster, node, lower(instance_id) AS iid,
         {sql_scale_set("instance_id")} AS scale_set
  FROM k8s_nodes WHERE instance_id IS NOT NULL
), lm AS (
  SELECT l.*, k.cluster, k.node, false AS via_set FROM sl l JOIN kn k ON k.iid = l.rid
  UNION ALL
  SELECT l.*, k.cluster, k.node, false FROM sl l JOIN kn k ON k.iid = l.rid_last
  WHERE l.rid <> l.rid_last
  UNION ALL
  SELECT l.*, k.cluster, k.node, true FROM sl l JOIN kn k ON k.scale_set = l.rid
  WHERE NOT EXISTS (SELECT 1 FROM kn x WHERE x.iid IN (l.rid, l.rid_last))
), parts AS (
  SELECT n.cluster, n.node, n.hour, m.saving_h, m.via_set,
         coalesce(nh.running_hours, 1) AS w,
         sum(coalesce(nh.running_hours, 1))
           OVER (PARTITION BY m.ingest_id, m.source_file, m.source_row, n.hour) AS set_w
  FROM node_cost_hours n
  JOIN lm m ON m.cluster = n.cluster AND m.node = n.node
       AND m.charge_period_start <= n.hour AND m.charge_period_end > n.hour
  LEFT JOIN node_hours nh ON nh.cluster = n.cluster AND nh.node = n.node AND nh.hour = n.hour
  WHERE n.hour >= ? AND n.hour < ?
), sv AS (
  SELECT cluster, node, hour,
         sum(CASE WHEN via_set
                  THEN CAST(saving_h * w / nullif(set_w, 0) AS DECIMAL(38, 12))
                  ELSE saving_h END) AS saving
  FROM parts GROUP BY ALL
)"""


def _saving_params(window: Window) -> list[Any]:
    """The parameters of ``_SAVING_CTE``: lines overlapping the window, then its hours."""
    return [window.end, window.start, window.start, window.end]


_ITEMS_SQL = f"""
WITH {_SAVING_CTE}
SELECT a.kind, a.cluster, coalesce(a.namespace, ''),
       CASE WHEN a.kind = 'workload' THEN {dimension_expr("controller")} ELSE '' END AS workload,
       {dimension_expr("team")}, coalesce(a.service_name, ''),
       coalesce(a.resource, ''),
       CASE WHEN a.node IS NULL THEN '' ELSE {_CLASS} END AS cls,
       {_x("a.cpu_core_hours")}, sum(a.cpu_cost), {_x("a.ram_gib_hours")}, sum(a.ram_cost),
       {_x("a.gpu_hours")}, sum(a.gpu_cost), {_x("a.pv_gib_hours")}, sum(a.pv_cost),
       sum(a.lb_cost), sum(a.network_cost), sum(a.other_cost), sum(a.total_cost),
       count(DISTINCT (a.node, a.hour)), count(DISTINCT a.pod),
       {_x("a.cpu_cost * r.ratio")}, {_x("a.ram_cost * r.ratio")},
       {_x("a.gpu_cost * r.ratio")}, {_x("a.total_cost * r.ratio")}
FROM allocations a
LEFT JOIN node_cost_hours n ON n.cluster = a.cluster AND n.node = a.node AND n.hour = a.hour
LEFT JOIN (SELECT sv.cluster, sv.node, sv.hour,
                  sv.saving / nullif(n2.node_cost, 0) AS ratio
           FROM sv JOIN node_cost_hours n2 USING (cluster, node, hour)) r
       ON r.cluster = a.cluster AND r.node = a.node AND r.hour = a.hour
WHERE a.hour >= ? AND a.hour < ? AND {{scope}}
GROUP BY ALL
"""

_CLASS_SQL = f"""
SELECT n.cluster, {_CLASS} AS cls, sum(n.node_cost), count(*),
       {_x("n.cpu_cores")}, {_x("n.cpu_price * n.cpu_cores")},
       {_x("n.ram_gib")}, {_x("n.ram_price * n.ram_gib")},
       {_x("n.gpu_count")}, {_x("n.gpu_price * n.gpu_count")}
FROM node_cost_hours n
WHERE n.hour >= ? AND n.hour < ? AND n.price_source = 'bill'
GROUP BY ALL
"""

# Allocated quantity per node class, so idle quantity = capacity - allocated.
_ALLOC_Q_SQL = f"""
SELECT a.cluster, {_CLASS} AS cls, {_x("a.cpu_core_hours")}, {_x("a.ram_gib_hours")},
       {_x("a.gpu_hours")}
FROM allocations a
JOIN node_cost_hours n ON n.cluster = a.cluster AND n.node = a.node AND n.hour = a.hour
WHERE a.kind = 'workload' AND a.hour >= ? AND a.hour < ? AND n.price_source = 'bill'
GROUP BY ALL
"""

_SAVING_SQL = f"""
WITH {_SAVING_CTE}
SELECT n.cluster, {_CLASS} AS cls, sum(sv.saving)
FROM sv JOIN node_cost_hours n USING (cluster, node, hour)
GROUP BY ALL
"""


def allocation_span(con: Connection, window: Window, scope: Scope) -> tuple[Any, Any, int]:
    """First hour, last hour and row count of visible allocations in the window."""
    where, params = scope_where(scope)
    row = con.execute(
        f"SELECT min(a.hour), max(a.hour), count(*) FROM allocations a "
        f"WHERE a.hour >= ? AND a.hour < ? AND {where}",
        [window.start, window.end, *params],
    ).fetchone()
    assert row is not None
    return row[0], row[1], int(row[2])


def visible_totals(con: Connection, window: Window, scope: Scope) -> tuple[Decimal, Decimal]:
    """Σ amortized and Σ invoice cost of the allocation rows ``scope`` may see in ``window``."""
    where, params = scope_where(scope)
    row = con.execute(
        f"SELECT sum(a.total_cost), sum(a.billed_total_cost) FROM allocations a "
        f"WHERE a.hour >= ? AND a.hour < ? AND {where}",
        [window.start, window.end, *params],
    ).fetchone()
    assert row is not None
    return dec(row[0]), dec(row[1])


def load_period(con: Connection, window: Window, scope: Scope, *, days: Decimal) -> PeriodData:
    where, params = scope_where(scope)
    rows = con.execute(
        _ITEMS_SQL.format(scope=where), [*_saving_params(window), window.start, window.end, *params]
    ).fetchall()
    items: dict[ItemKey, dict[str, Slice]] = defaultdict(dict)
    idle_keys: list[tuple[ItemKey, str]] = []
    for row in rows:
        _add_row(items, idle_keys, row)
    classes = _load_classes(con, window)
    _fill_idle_quantities(con, window, items, idle_keys, classes)
    return PeriodData(label=window.to_dict(), days=days, items=dict(items), classes=classes)


def _add_row(
    items: dict[ItemKey, dict[str, Slice]],
    idle_keys: list[tuple[ItemKey, str]],
    row: tuple[Any, ...],
) -> None:
    """Split one grouped allocation row into per-resource items."""
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
        node_hours,
        pods,
        cpu_d,
        ram_d,
        gpu_d,
        total_d,
    ) = row

    def key(resource: str, svc: str, charge: str = "") -> ItemKey:
        return ItemKey(kind, cluster, ns, workload, team, svc, charge, resource)

    def put(k: ItemKey, cls_: str, q: Any, cost: Any, hours: int = 0, discount: Any = None) -> None:
        # Several grouped rows (e.g. differing service_name) can land on one item: add up.
        s = items[k].get(cls_)
        qty = None if q is None else dec(q)
        off = dec(discount).quantize(Decimal("1e-10")) if cls_ else None
        if s is None:
            items[k][cls_] = Slice(
                q=qty, cost=dec(cost), node_hours=hours, pods=int(pods or 0), discount=off
            )
            return
        s.q = None if (s.q is None or qty is None) else s.q + qty
        s.cost += dec(cost)
        s.node_hours += hours
        s.pods += int(pods or 0)
        if off is not None:
            s.discount = (s.discount or ZERO) + off

    if kind == "workload":
        for resource, q, cost, off in (
            ("cpu", cpu_q, cpu_c, cpu_d),
            ("ram", ram_q, ram_c, ram_d),
            ("gpu", gpu_q, gpu_c, gpu_d),
        ):
            if dec(cost) or dec(q):
                put(key(resource, "cluster nodes"), cls, dec(q), cost, int(node_hours), off)
        for resource, q, cost in (
            ("pv", pv_q, pv_c),
            ("lb", None, lb_c),
            ("network", None, net_c),
            ("other", None, other_c),
        ):
            if dec(cost):
                put(
                    key(resource, resource if resource != "other" else "cluster"),
                    "",
                    q if resource == "pv" else None,
                    cost,
                )
        rest = dec(total) - sum(dec(x) for x in (cpu_c, ram_c, gpu_c, pv_c, lb_c, net_c, other_c))
        if rest:
            put(key("unsplit", "cluster"), "", None, rest)
    elif kind == "idle":
        # Idle is kept per instance type, with its capacity types as classes, so a spot to
        # on-demand fallback of mostly idle nodes shows as mix, not as two idle changes.
        itype = cls.split(" ", 1)[1] if " " in cls else cls
        k = key(rescol or "other", f"nodes: {itype}" if cls else "cluster nodes")
        put(k, cls, None, total, int(node_hours), total_d)
        idle_keys.append((k, cls))
    else:
        put(key("other", service or "unknown service", rescol or "Usage"), "", None, total)


def _load_classes(con: Connection, window: Window) -> dict[tuple[str, str], ClassStat]:
    classes: dict[tuple[str, str], ClassStat] = {}
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
    for cluster, cls, saving in con.execute(_SAVING_SQL, _saving_params(window)).fetchall():
        if (cluster, cls) in classes:
            classes[(cluster, cls)].commitment_saving = dec(saving)
    return classes


def _fill_idle_quantities(
    con: Connection,
    window: Window,
    items: dict[ItemKey, dict[str, Slice]],
    idle_keys: list[tuple[ItemKey, str]],
    classes: dict[tuple[str, str], ClassStat],
) -> None:
    """Idle quantity = node capacity - allocated quantity, per node class and resource.

    Idle items without a priced class keep ``q=None`` and are explained as a whole.
    """
    if not idle_keys:
        return
    capacity = {key: row for key, row in _capacity(con, window).items()}
    allocated = {
        (c, k): (dec(x), dec(y), dec(z))
        for c, k, x, y, z in con.execute(_ALLOC_Q_SQL, [window.start, window.end]).fetchall()
    }
    for key, cls in idle_keys:
        cap = capacity.get((key.cluster, cls))
        idx = {"cpu": 0, "ram": 1, "gpu": 2}.get(key.resource)
        if cap is None or idx is None or (key.cluster, cls) not in classes:
            continue
        used = allocated.get((key.cluster, cls), (ZERO, ZERO, ZERO))[idx]
        items[key][cls].q = q12(cap[idx] - used)


def _capacity(con: Connection, window: Window) -> dict[tuple[str, str], tuple[Decimal, ...]]:
    return {
        (c, k): (dec(x), dec(y), dec(z))
        for c, k, x, y, z in con.execute(
            f"SELECT n.cluster, {_CLASS}, {_x('n.cpu_cores')}, {_x('n.ram_gib')}, "
            f"{_x('n.gpu_count')} "
            "FROM node_cost_hours n WHERE n.hour >= ? AND n.hour < ? "
            "AND n.price_source = 'bill' GROUP BY ALL",
            [window.start, window.end],
        ).fetchall()
    }


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
) -> list[tuple[Any, ...]]:
    """Daily amortized cost per group (and per workload when asked), oldest first.

    ``spend_only`` leaves out idle capacity (it mirrors the workloads on the same nodes)
    and billing events (tax, credits, refunds, commitment purchases).
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
    return con.execute(
        f"SELECT date_trunc('day', a.hour) AS day, {group} AS grp, {wl} AS wl, "
        f"sum(a.total_cost) FROM allocations a WHERE a.hour >= ? AND a.hour < ? AND {where} "
        "GROUP BY ALL ORDER BY 1, 2, 3",
        [window.start, window.end, *params],
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
