"""Daily rollups: the hourly allocation summed per UTC day, written when allocating.

A 30-day cost question used to cost every container-hour of the month as it was read
(3.6M rows at 5k pods). ``allocate_in`` now also sums each day it touched into
``allocation_daily`` (m007) — one row per day and reader dimension (cluster, kind, node,
namespace, pod, container, controller, team/app/env/cost-center, service, resource, price
source) with every quantity and cost column of both bases and the cost of CPU and RAM
used — in the same transaction as the hourly facts, so the two never disagree on a
committed warehouse. The rows are those readers see as ``allocations`` (workload, idle
and stored rows: ``ROWS_SQL``), and sums of DECIMAL(38,12) are exact, so a day read from
the rollup gives the same money as its hours, to the last stored place.

Which days are rebuilt: every day the allocation window touches, whole (its other hours
were allocated before and are summed again), and every day holding container-hours of a
pod whose controller or team/app/env/cost-center changed in this run — container rows take
those from ``allocation_pods`` when read, so a relabelled pod changes its earlier days too.
``allocation_rollup_days`` lists the days built; readers read only those from the rollup
(``costs.rollup_source``). Rollups of stale hours are never read: readers call
``freshness.require_fresh`` for the whole window first, as for the hours.
"""

from __future__ import annotations

from datetime import datetime

from assistant.warehouse.db import Connection

__all__ = [
    "GROUP_COLUMNS",
    "MONEY_COLUMNS",
    "QUANTITY_COLUMNS",
    "ROWS_SQL",
    "USED_SQL",
    "clear_days",
    "note_changed_pods",
    "rebuild",
    "row_columns",
]

#: what a reader groups or filters by (the columns of ``allocations`` of the same names)
GROUP_COLUMNS = (
    "cluster",
    "kind",
    "node",
    "namespace",
    "pod",
    "container",
    "controller_kind",
    "controller_name",
    "team",
    "app",
    "env",
    "cost_center",
    "service_name",
    "resource",
    "price_source",
)
QUANTITY_COLUMNS = ("cpu_core_hours", "ram_gib_hours", "gpu_hours", "pv_gib_hours")
_PARTS = ("cpu", "ram", "gpu", "pv", "lb", "network", "other", "total")
MONEY_COLUMNS = tuple(f"{p}_cost" for p in _PARTS) + tuple(f"billed_{p}_cost" for p in _PARTS)

#: the cost of CPU and RAM used in one allocation row (efficiency's numerator): each
#: resource's cost × min(1, usage / max(request, usage)); ``{p}`` is "" or "billed_".
USED_SQL = (
    "{a}.{p}cpu_cost * least(1.0, coalesce({a}.cpu_usage_cores, 0) / "
    "nullif(greatest(coalesce({a}.cpu_request_cores, 0), coalesce({a}.cpu_usage_cores, 0)), 0))"
    " + {a}.{p}ram_cost * least(1.0, coalesce({a}.ram_usage_bytes, 0) / "
    "nullif(greatest(coalesce({a}.ram_request_bytes, 0), coalesce({a}.ram_usage_bytes, 0)), 0))"
)

#: every row readers see as ``allocations``, readable by the writer too (whose
#: ``allocations`` is the table of stored rows): the m007 parts of the readers' view
ROWS_SQL = (
    "(SELECT * FROM allocation_workload_rows UNION ALL SELECT * FROM allocation_idle_rows "
    "UNION ALL SELECT * FROM allocations)"
)


def row_columns(alias: str, day: str) -> str:
    """The select list of one hourly row of ``alias`` shaped as a rollup row, whose
    ``day_start`` is ``day`` (an SQL expression); :func:`rebuild` sums this per day."""
    used = USED_SQL.format(a=alias, p="")
    billed_used = USED_SQL.format(a=alias, p="billed_")
    return ", ".join(
        [
            f"{alias}.cluster",
            f"{day} AS day_start",
            *(f"{alias}.{c}" for c in GROUP_COLUMNS[1:]),
            "CAST(1 AS BIGINT) AS hours",
            f"{alias}.hour AS first_hour",
            f"{alias}.hour AS last_hour",
            *(f"{alias}.{c}" for c in QUANTITY_COLUMNS),
            *(f"{alias}.{c}" for c in MONEY_COLUMNS),
            f"{used} AS used_cost",
            f"{billed_used} AS billed_used_cost",
        ]
    )


def note_changed_pods(con: Connection) -> None:
    """``_changed_pods``: pods of this run (``_pods``) whose stored dimensions differ from
    what ``allocation_pods`` holds now. Call before the run replaces those rows."""
    differs = " OR ".join(
        f"a.{c} IS DISTINCT FROM k.{c}"
        for c in ("controller_kind", "controller_name", "team", "app", "env", "cost_center")
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _changed_pods AS
        SELECT k.cluster, k.namespace, k.pod
        FROM _pods k JOIN allocation_pods a
          ON a.cluster = k.cluster AND a.namespace = k.namespace AND a.pod = k.pod
        WHERE {differs}
        """
    )


def clear_days(con: Connection, tables: tuple[str, ...]) -> tuple[datetime, datetime, int] | None:
    """The first and last day of ``_rollup_days`` and their number, after deleting those
    days from the rollup ``tables`` (a rollup and its days table); None when no day."""
    span = con.execute(
        "SELECT min(day_start), max(day_start), count(*) FROM _rollup_days"
    ).fetchone()
    if span is None or not span[2]:
        return None
    for table in tables:
        con.execute(f"DELETE FROM {table} d USING _rollup_days r WHERE d.day_start = r.day_start")
    return span[0], span[1], int(span[2])


def rebuild(con: Connection, run_id: str, ws: datetime, we: datetime) -> int:
    """Rebuild the rollups of the days of ``[ws, we)`` and of relabelled pods' days; after
    the run's hourly rows are written. Returns the number of days rebuilt."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _rollup_days AS
        SELECT DISTINCT CAST(date_trunc('day', hour) AS TIMESTAMP) AS day_start
        FROM allocation_hours WHERE hour >= $1 AND hour < $2
        UNION
        SELECT DISTINCT CAST(date_trunc('day', c.hour) AS TIMESTAMP) AS day_start
        FROM container_hours c
        JOIN _changed_pods k ON k.cluster = c.cluster AND k.namespace = c.namespace
                            AND k.pod = c.pod
        JOIN allocation_hours h ON h.hour = c.hour
        """,
        [ws, we],
    )
    span = clear_days(con, ("allocation_daily", "allocation_rollup_days"))
    if span is None:
        return 0
    first, last, days = span
    day = "CAST(date_trunc('day', a.hour) AS TIMESTAMP)"
    groups = ", ".join(["cluster", "day_start", *GROUP_COLUMNS[1:]])
    sums = ", ".join(
        [
            "sum(hours)",
            "min(first_hour)",
            "max(last_hour)",
            *(
                f"sum({c})"
                for c in (*QUANTITY_COLUMNS, *MONEY_COLUMNS, "used_cost", "billed_used_cost")
            ),
        ]
    )
    con.execute(
        f"""
        INSERT INTO allocation_daily
        SELECT {groups}, {sums}
        FROM (SELECT {row_columns("a", day)} FROM {ROWS_SQL} a
              WHERE a.hour >= $1 AND a.hour < $2 + INTERVAL 1 DAY) x
        JOIN _rollup_days r USING (day_start)
        GROUP BY {groups}
        """,
        [first, last],
    )
    con.execute(
        "INSERT INTO allocation_rollup_days SELECT day_start, $1 FROM _rollup_days", [run_id]
    )
    return int(days)
