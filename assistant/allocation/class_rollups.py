"""Class rollups: per UTC day, what the bill variance groups allocation rows by.

``compare_periods`` (and the bill's month-over-month) splits each workload's, idle's and
bill service's cost by node class (capacity type + instance type) with its quantities, the
part of it a commitment took off (cost × that node-hour's saving ratio,
``commitment_savings``) and its node-hours. Read from the hours, that is every
container-hour of both periods joined to its node-hour twice: 3.5 s at 5k pods × 30 days.
``allocate`` now sums each day it rebuilds (the days of ``rollups.rebuild``, whose
``_rollup_days`` it reuses) into ``allocation_class_daily`` (m008), in the same
transaction, keyed by:

* what the variance's items are keyed by, raw, so a reader's scope (``Scope.sql_filter``
  on team and namespace) and the cost dimensions' expressions still apply: cluster, kind,
  namespace, controller kind and name, team, bill service, resource, node class ('' for
  rows without a node) — and the pod only where it names the workload (a bare pod is its
  own workload in ``dimension_expr('controller')``; a controller's pods share one row);
* ``bill_priced`` (the row's price came from the bill: estimates are never in a bill
  comparison) and ``node_bill_priced`` (its node-hour's did: idle quantity is capacity
  less what workloads used on billed nodes).

Sums are the variance's own: each DOUBLE quantity and each cost × ratio cast per row to
DECIMAL(38,12) before summing, so sums of days equal the sum of the hours exactly; and
``node_hours``, the distinct (node, hour) of the key in the day — additive over days
because an hour belongs to one day. Built days are listed in
``allocation_class_rollup_days``: a warehouse allocated before m008 has none, and is read
from its hours until the next allocation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.allocation.commitment_savings import RATIO_SQL, saving_cte, saving_params
from assistant.allocation.rollups import clear_days
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import ranges_sql

__all__ = [
    "CLASS_SQL",
    "KEY_COLUMNS",
    "ROWS_PER_MB",
    "SUM_COLUMNS",
    "day_runs",
    "grouped_rows",
    "rebuild",
]

#: a node-hour's class, from its ``node_cost_hours`` row ``n``
CLASS_SQL = "coalesce(n.capacity_type, 'unknown') || ' ' || coalesce(n.instance_type, 'unknown')"

_KEYS = (
    ("cluster", "a.cluster"),
    ("kind", "a.kind"),
    ("namespace", "a.namespace"),
    ("controller_kind", "a.controller_kind"),
    ("controller_name", "a.controller_name"),
    # read by dimension_expr('controller') only when the controller is unknown
    (
        "pod",
        "CASE WHEN a.controller_kind IS NULL OR a.controller_name IS NULL THEN a.pod END",
    ),
    ("team", "a.team"),
    ("service_name", "a.service_name"),
    ("resource", "a.resource"),
    ("node_class", f"CASE WHEN a.node IS NULL THEN '' ELSE {CLASS_SQL} END"),
    ("bill_priced", "coalesce(a.price_source, 'bill') = 'bill'"),
    ("node_bill_priced", "coalesce(n.price_source = 'bill', false)"),
)


def _x(expr: str) -> str:
    """An exact sum of a DOUBLE quantity: each row cast to DECIMAL first.

    Summing DOUBLEs in parallel adds them in an order that changes from run to run, so
    the last bits moved, and a driver's evidence (which items a sub-cent price effect
    touched) changed between two runs of the same comparison.
    """
    return f"sum(CAST({expr} AS DECIMAL(38, 12)))"


_SUMS = (
    ("cpu_q", _x("a.cpu_core_hours")),
    ("cpu_cost", "sum(a.cpu_cost)"),
    ("ram_q", _x("a.ram_gib_hours")),
    ("ram_cost", "sum(a.ram_cost)"),
    ("gpu_q", _x("a.gpu_hours")),
    ("gpu_cost", "sum(a.gpu_cost)"),
    ("pv_q", _x("a.pv_gib_hours")),
    ("pv_cost", "sum(a.pv_cost)"),
    ("lb_cost", "sum(a.lb_cost)"),
    ("network_cost", "sum(a.network_cost)"),
    ("other_cost", "sum(a.other_cost)"),
    ("total_cost", "sum(a.total_cost)"),
    ("cpu_discount", _x("a.cpu_cost * r.ratio")),
    ("ram_discount", _x("a.ram_cost * r.ratio")),
    ("gpu_discount", _x("a.gpu_cost * r.ratio")),
    ("total_discount", _x("a.total_cost * r.ratio")),
)
KEY_COLUMNS = tuple(name for name, _ in _KEYS)
#: summed again by readers (every one is additive over disjoint sets of hours)
SUM_COLUMNS = (*(name for name, _ in _SUMS), "node_hours")
_DAY = "CAST(date_trunc('day', a.hour) AS TIMESTAMP)"


def grouped_rows(
    source: str, ranges: list[tuple[datetime, datetime]], *, by_day: bool = False
) -> tuple[str, list[Any]]:
    """(SQL, parameters): the rows of ``source`` (aliased ``a``; the readers'
    ``allocations`` or the writer's ``rollups.ROWS_SQL``) in the hour ``ranges``, grouped
    by the class-rollup key (and by UTC day as ``day_start`` when ``by_day``), summed.

    Node-hours are counted in two steps: per day, key and node, a bit per hour of the day
    it ran (``bit_or``); then the bits summed over nodes (and days). That is the number
    of distinct (node, hour), without a DISTINCT aggregate per key (twice the cost).
    """
    assert ranges, "grouped_rows needs at least one range of hours"
    node_hours, node_params = ranges_sql("n.hour", ranges)
    rows, row_params = ranges_sql("a.hour", ranges)
    start, end = min(s for s, _ in ranges), max(e for _, e in ranges)
    inner = ", ".join(
        [f"{_DAY} AS day_start", "a.node AS node_"]
        + [f"{sql} AS {name}" for name, sql in _KEYS]
        + [f"{sql} AS {name}" for name, sql in _SUMS]
        + ["bit_or(CAST(1 AS BIGINT) << hour(a.hour)) AS hour_bits"]
    )
    keys = ", ".join((["day_start"] if by_day else []) + list(KEY_COLUMNS))
    sums = ", ".join(
        [f"sum({name}) AS {name}" for name, _ in _SUMS]
        + ["CAST(sum(bit_count(hour_bits)) AS BIGINT) AS node_hours"]
    )
    sql = f"""
    WITH {saving_cte(node_hours)}
    SELECT {keys}, {sums}
    FROM (SELECT {inner}
          FROM {source} a
          LEFT JOIN node_cost_hours n
                 ON n.cluster = a.cluster AND n.node = a.node AND n.hour = a.hour
          LEFT JOIN {RATIO_SQL} r ON r.cluster = a.cluster AND r.node = a.node AND r.hour = a.hour
          WHERE {rows}
          GROUP BY ALL)
    GROUP BY {keys}"""
    return sql, [*saving_params(start, end, node_params), *row_params]


#: container-hours summed per statement per MB of DuckDB's memory limit: at 20k pods a
#: month (14.4M container-hours) fit in 1 GB, at 100k pods (72M) one statement did not fit
#: in 4 GB (its inner aggregate is per day, key and node: millions of groups of 16 sums)
ROWS_PER_MB = 10_000


def rebuild(con: Connection, run_id: str, rows_sql: str, *, memory_limit_mb: int = 1024) -> int:
    """Rebuild the class rollups of the days in ``_rollup_days`` (``rollups.rebuild``'s),
    from ``rows_sql``: every row readers see as ``allocations``. Returns the days built.

    The days are summed a run of whole days at a time, each run at most
    ``memory_limit_mb × ROWS_PER_MB`` container-hours, so allocation's memory limit bounds
    this step however large the window: a day's sums never depend on another day's rows,
    so the runs' rows are the rows of one statement over the whole span (tested).
    """
    span = clear_days(con, ("allocation_class_daily", "allocation_class_rollup_days"))
    if span is None:
        return 0
    first, last, days = span
    columns = ", ".join(["day_start", *KEY_COLUMNS, *SUM_COLUMNS])
    for start, end in day_runs(con, first, last + timedelta(days=1), memory_limit_mb * ROWS_PER_MB):
        grouped, params = grouped_rows(rows_sql, [(start, end)], by_day=True)
        con.execute(
            f"INSERT INTO allocation_class_daily ({columns}) "
            f"SELECT {columns} FROM ({grouped}) x JOIN _rollup_days USING (day_start)",
            params,
        )
    con.execute(
        "INSERT INTO allocation_class_rollup_days SELECT day_start, ? FROM _rollup_days",
        [run_id],
    )
    return days


def day_runs(
    con: Connection, start: datetime, end: datetime, max_rows: int
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` (whole UTC days) cut into runs of consecutive days of at most
    ``max_rows`` container-hours each (a day with more is a run of its own)."""
    per_day = dict(
        con.execute(
            "SELECT CAST(date_trunc('day', hour) AS TIMESTAMP), count(*) FROM container_hours "
            "WHERE hour >= ? AND hour < ? GROUP BY 1",
            [start, end],
        ).fetchall()
    )
    runs: list[tuple[datetime, datetime]] = []
    run_start, rows, day = start, 0, start
    while day < end:
        n = int(per_day.get(day, 0))
        if rows and rows + n > max_rows:
            runs.append((run_start, day))
            run_start, rows = day, 0
        rows += n
        day += timedelta(days=1)
    runs.append((run_start, end))
    return runs
