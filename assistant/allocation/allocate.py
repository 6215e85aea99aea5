"""``allocate()``: recompute allocations for a window, in one writer transaction.

Orchestration only; the rules live in ``costmath`` (spec) and run here as set-based
DuckDB SQL: bill lines → hours → node/volume/LB/unallocated (``node_costs``), node-hour
unit prices, pod-level PV and LB shares (``pod_costs``), idle = node cost − Σ allocated
per node-hour and resource (the exact DECIMAL residual, unclamped), and
``__unallocated__`` rows by bill service. Container rows are not written: the m004 view
``allocation_container_costs`` prices each container-hour (max(request, usage) × the
node-hour's unit price) when read, and Σ allocated for idle is one aggregate of that same
view, so what readers see adds up exactly. Reconciliation is then checked per month:
bill = allocated + idle + unallocated.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from assistant.allocation import class_rollups, rollups
from assistant.allocation import labels as label_rules
from assistant.allocation.freshness import BILL_FINGERPRINT_SQL, FINGERPRINT_SQL
from assistant.allocation.node_costs import (
    DEC,
    build_bill_hours,
    build_node_costs,
    fallback_source,
    match_lines,
)
from assistant.allocation.pod_costs import build_lb_shares, build_pv_shares
from assistant.allocation.report import AllocationReport, MonthReconciliation, reconcile_run
from assistant.config import Settings
from assistant.core.placeholders import UNALLOCATED
from assistant.errors import ConfigError, DataGap
from assistant.ingest.log import start_run
from assistant.spark.engine import engine_writer
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = ["AllocationReport", "MonthReconciliation", "allocate", "allocate_in"]

_HOUR = timedelta(hours=1)


def allocate(
    settings: Settings, window: Window | None = None, *, engine: str | None = None
) -> AllocationReport:
    """Recompute allocations for ``window`` (default: all ingested hours), replacing the
    prior rows for those hours, in one transaction (all or nothing). ``engine`` (default
    ``warehouse.engine``) runs the same SQL on DuckDB or on Spark over the lake."""
    with engine_writer(settings, engine) as con:
        return allocate_in(con, settings, window)


def _data_window(con: Connection) -> Window:
    row = con.execute(
        """
        SELECT min(s), max(e) FROM (
            SELECT min(date_trunc('hour', charge_period_start)) AS s,
                   max(greatest(charge_period_end, charge_period_start + INTERVAL 1 HOUR)) AS e
            FROM billing_lines
            UNION ALL SELECT min(hour), max(hour) + INTERVAL 1 HOUR FROM node_hours
            UNION ALL SELECT min(hour), max(hour) + INTERVAL 1 HOUR FROM container_hours)
        """
    ).fetchone()
    if row is None or row[0] is None:
        raise DataGap(
            "Nothing to allocate: the warehouse has no bill lines and no cluster metrics.",
            hint="Run `penny ingest focus PATH` and `penny ingest prometheus …` first.",
        )
    start = _floor_hour(row[0])
    end = _floor_hour(row[1])
    if end < row[1]:
        end += _HOUR
    return Window(start, max(end, start + _HOUR))


def _require_schema(con: Connection) -> None:
    """m004 was edited in place before release; a warehouse built before that has
    ``allocations`` as the only output table and cannot be migrated forward."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'allocation_hours'"
    ).fetchone()
    if not row or not row[0]:
        raise ConfigError(
            "This warehouse was created by an older allocation schema (no allocation_hours).",
            hint="Rebuild it: delete the warehouse file (or set PENNY_DB to a new path) and "
            "run `penny demo`, or `penny ingest …` then `penny allocate`.",
        )


def _floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def allocate_in(
    con: Connection, settings: Settings, window: Window | None = None
) -> AllocationReport:
    """Run allocation on an open writer connection (inside its transaction)."""
    started = time.perf_counter()
    _require_schema(con)
    window = window or _data_window(con)
    ws, we = window.start, window.end
    run = start_run(con, "allocate", f"allocate {window.label()}")
    # Bound DuckDB's memory (it spills to disk past this) so allocating a large cluster
    # stays inside a 2 GB budget; insertion order of rows does not matter here.
    con.execute(f"SET memory_limit = '{int(settings.allocation.memory_limit_mb)}MB'")
    con.execute("SET preserve_insertion_order = false")
    phases: dict[str, float] = {}
    mark = _phase_clock(phases)
    build_bill_hours(con, ws, we)
    match_lines(con)
    mark("bill_lines")
    build_node_costs(con, settings, ws, we)
    mark("node_costs")
    build_pv_shares(con, settings, ws, we)
    build_lb_shares(con, ws, we)
    _build_pods(con, settings, ws, we)
    mark("pv_lb_pods")

    for table in (
        "allocations",
        "node_cost_hours",
        "allocation_node_prices",
        "allocation_hours",
        "allocation_idle",
    ):
        con.execute(f"DELETE FROM {table} WHERE hour >= $1 AND hour < $2", [ws, we])
    con.execute(
        """
        INSERT INTO node_cost_hours
        SELECT $1, cluster, node, hour, price_source, node_cost, node_billed_cost, cpu * rh,
               ram_gib * rh, gpu * rh, cpu_price, ram_price, gpu_price, capacity_type,
               instance_type
        FROM _nodes
        """,
        [run.ingest_id],
    )
    con.execute(
        """
        INSERT INTO allocation_node_prices
        SELECT cluster, node, hour, price_source, service_name, cpu_price, ram_price,
               gpu_price, b_cpu_price, b_ram_price, b_gpu_price
        FROM _nodes
        """
    )
    mark("write_node_prices")
    _record_hours(con, settings, run.ingest_id, ws, we)
    mark("fingerprints")
    rollups.note_changed_pods(con)
    _store_pods(con)
    # Container rows are not written: the allocations view computes them from
    # allocation_container_costs. One scan-aggregate of that same view per node-hour gives
    # Σ allocated, so idle is the exact residual of what the view will show.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _used AS
        SELECT cluster, node, hour, node_price_source, price_source, count(*) AS n,
               sum(cpu_cost) AS c, sum(ram_cost) AS r, sum(gpu_cost) AS g,
               sum(billed_cpu_cost) AS bc, sum(billed_ram_cost) AS br, sum(billed_gpu_cost) AS bg
        FROM allocation_container_costs WHERE hour >= $1 AND hour < $2 GROUP BY ALL
        """,
        [ws, we],
    )
    mark("container_costs_by_node_hour")
    _insert_pod_rows(con, run.ingest_id, ws, we)
    _insert_idle(con, run.ingest_id)
    _insert_unallocated(con, run.ingest_id)
    mark("idle_pv_lb_unallocated")
    # the days this run touched, summed for readers in the same transaction (m007)
    rollups.rebuild(con, run.ingest_id, ws, we)
    mark("daily_rollups")
    class_rollups.rebuild(
        con,
        run.ingest_id,
        rollups.ROWS_SQL,
        memory_limit_mb=int(settings.allocation.memory_limit_mb),
    )
    mark("class_rollups")

    stored = _scalar(
        con,
        "SELECT (SELECT count(*) FROM allocations WHERE run_id = $1)"
        " + (SELECT coalesce(sum(2 + gpu_row::INT), 0) FROM allocation_idle WHERE run_id = $1)",
        [run.ingest_id],
    )
    container_hours = _scalar(con, "SELECT coalesce(sum(n), 0) FROM _used")
    rows = int(stored) + int(container_hours)
    node_hours = _scalar(con, "SELECT count(*) FROM _nodes")
    sources = dict(
        con.execute("SELECT price_source, count(*) FROM _nodes GROUP BY 1 ORDER BY 1").fetchall()
    )
    unbilled = _scalar(con, "SELECT count(*) FROM _nodes WHERE no_line")
    report = AllocationReport(
        run_id=run.ingest_id,
        window=window,
        rows=int(rows),
        node_hours=int(node_hours),
        container_hours=int(container_hours),
        seconds=0.0,
        price_sources=sources,
        reconciliation=reconcile_run(con, run.ingest_id),
        unbilled_node_hours=int(unbilled or 0),
    )
    mark("reconcile")
    report.phases = phases
    report.seconds = round(time.perf_counter() - started, 3)
    run.finish(
        report.rows,
        window_start=ws,
        window_end=we,
        details={
            "node_hours": report.node_hours,
            "price_sources": sources,
            "unbilled_node_hours": report.unbilled_node_hours,
            "reconciled": report.reconciled,
            "seconds": report.seconds,
            "phases": phases,
        },
    )
    return report


def _phase_clock(phases: dict[str, float]) -> Any:
    """``mark(name)``: record the seconds since the previous mark under ``name`` (where an
    allocation's time goes: ``penny allocate --json`` and the bench show it)."""
    last = [time.perf_counter()]

    def mark(name: str) -> None:
        now = time.perf_counter()
        phases[name] = round(now - last[0], 3)
        last[0] = now

    return mark


def _scalar(con: Connection, sql: str, params: list[Any] | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def _build_pods(con: Connection, settings: Settings, ws: datetime, we: datetime) -> None:
    """``_pods``: controller and team/app/env/cost-center per pod (label fallbacks)."""
    mapping = settings.allocation.labels
    dims = ",\n".join(
        label_rules.sql_expr(
            mapping, d, pod_labels="p.labels", ns_labels="ns.labels", namespace="k.namespace"
        )
        + f" AS {d}"
        for d in label_rules.DIMENSIONS
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _pods AS
        SELECT k.cluster, k.namespace, k.pod,
               coalesce(p.controller_kind, o.owner_kind, p.owner_kind) AS controller_kind,
               coalesce(p.controller_name, o.owner_name, p.owner_name) AS controller_name,
               {dims}
        FROM (SELECT DISTINCT cluster, namespace, pod FROM container_hours
              WHERE hour >= $1 AND hour < $2
              UNION SELECT cluster, namespace, pod FROM _pv_rows
              UNION SELECT cluster, namespace, pod FROM _lb_rows) k
        LEFT JOIN k8s_pods p ON p.cluster = k.cluster AND p.namespace = k.namespace
                            AND p.pod = k.pod
        LEFT JOIN k8s_owners o ON o.cluster = p.cluster AND o.namespace = p.namespace
                              AND o.kind = p.owner_kind AND o.name = p.owner_name
        LEFT JOIN k8s_namespaces ns ON ns.cluster = k.cluster AND ns.namespace = k.namespace
        """,
        [ws, we],
    )


_POD_COLS = "controller_kind, controller_name, team, app, env, cost_center"


def _record_hours(
    con: Connection, settings: Settings, run_id: str, ws: datetime, we: datetime
) -> None:
    """``allocation_hours``: every hour of the window, its run, fallback prices and the
    fingerprints of the metrics and bill lines allocation saw (see ``freshness``)."""
    p = settings.allocation.prices
    con.execute(
        f"""
        INSERT INTO allocation_hours (hour, run_id, fallback_source, fallback_cpu_price,
            fallback_ram_price, fallback_gpu_price, metrics_rows, metrics_hash, bill_rows,
            bill_hash)
        SELECT g.hour, $3, $4, $5, $6, $7, coalesce(f.metrics_rows, 0),
               coalesce(f.metrics_hash, 0), coalesce(b.bill_rows, 0), coalesce(b.bill_hash, 0)
        FROM (SELECT unnest(generate_series($1, $2 - INTERVAL 1 HOUR, INTERVAL 1 HOUR))
              AS hour) g
        LEFT JOIN ({FINGERPRINT_SQL}) f USING (hour)
        LEFT JOIN ({BILL_FINGERPRINT_SQL}) b USING (hour)
        """,
        [
            ws,
            we,
            run_id,
            fallback_source(settings),
            float(p.cpu_core_hour),
            float(p.ram_gib_hour),
            float(p.gpu_hour),
        ],
    )


def _store_pods(con: Connection) -> None:
    """``allocation_pods``: this run's pods replace their earlier dimension rows."""
    con.execute(
        """
        DELETE FROM allocation_pods a USING _pods k
        WHERE a.cluster = k.cluster AND a.namespace = k.namespace AND a.pod = k.pod
        """
    )
    con.execute(
        f"INSERT INTO allocation_pods SELECT cluster, namespace, pod, {_POD_COLS} FROM _pods"
    )


def _insert_pod_rows(con: Connection, run_id: str, ws: datetime, we: datetime) -> None:
    """A pod's PV and load-balancer shares, on the node the pod ran on in that hour.

    OpenCost counts a pod's PV cost in that pod's allocation, so grouping by node puts it
    on the pod's node; time nobody mounted (pod ``__unmounted__``) has no node.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _pod_nodes AS
        SELECT c.cluster, c.namespace, c.pod, c.hour, arg_max(c.node, c.running_hours) AS node
        FROM container_hours c
        JOIN (SELECT DISTINCT cluster, namespace, pod FROM _pv_rows
              UNION SELECT DISTINCT cluster, namespace, pod FROM _lb_rows) p
          USING (cluster, namespace, pod)
        WHERE c.hour >= $1 AND c.hour < $2 AND c.node IS NOT NULL
        GROUP BY ALL
        """,
        [ws, we],
    )
    for table, resource, qty_col in (("_pv_rows", "pv", "pv_gib_hours"), ("_lb_rows", "lb", None)):
        qty = f", {qty_col}" if qty_col else ""
        qty_val = ", x.qty" if qty_col else ""
        con.execute(
            f"""
            INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod, container,
                {_POD_COLS}, service_name, resource{qty}, {resource}_cost, total_cost,
                billed_{resource}_cost, billed_total_cost, price_source)
            SELECT $1, x.cluster, x.hour, 'workload', n.node, x.namespace, x.pod, NULL,
                   {", ".join("k." + c.strip() for c in _POD_COLS.split(","))},
                   x.service_name, '{resource}'{qty_val}, x.amount, x.amount,
                   x.billed_amount, x.billed_amount, x.price_source
            FROM {table} x
            LEFT JOIN _pods k ON k.cluster = x.cluster AND k.namespace = x.namespace
                             AND k.pod = x.pod
            LEFT JOIN _pod_nodes n ON n.cluster = x.cluster AND n.namespace = x.namespace
                                  AND n.pod = x.pod AND n.hour = x.hour
            """,
            [run_id],
        )


def _insert_idle(con: Connection, run_id: str) -> None:
    """Idle = node cost − Σ allocated, per node-hour and resource; negative stays negative.

    Stored as one narrow row per node-hour (``allocation_idle``); the allocations view
    shows it as one row per resource (GPU only where the node has GPU cost or GPU idle).
    """
    con.execute(
        """
        INSERT INTO allocation_idle
        WITH used AS (
            SELECT cluster, node, hour, sum(c) AS c, sum(r) AS r, sum(g) AS g, sum(bc) AS bc,
                   sum(br) AS br, sum(bg) AS bg
            FROM _used WHERE node_price_source IS NOT NULL GROUP BY ALL
        ), idle AS (
            SELECT n.cluster, n.node, n.hour, n.price_source, n.service_name, n.n_gpu, n.nb_gpu,
                   n.n_cpu - coalesce(u.c, 0) AS ic, n.n_ram - coalesce(u.r, 0) AS ir,
                   n.n_gpu - coalesce(u.g, 0) AS ig, n.nb_cpu - coalesce(u.bc, 0) AS ibc,
                   n.nb_ram - coalesce(u.br, 0) AS ibr, n.nb_gpu - coalesce(u.bg, 0) AS ibg
            FROM _nodes n LEFT JOIN used u USING (cluster, node, hour)
        )
        SELECT $1, cluster, node, hour, price_source, service_name,
               (n_gpu <> 0 OR nb_gpu <> 0 OR ig <> 0 OR ibg <> 0), ic, ir, ig, ibc, ibr, ibg
        FROM idle
        """,
        [run_id],
    )


def _insert_unallocated(con: Connection, run_id: str) -> None:
    """Bill hours no cluster resource explains (incl. node lines for hours the node was not
    observed, and scale-set lines for hours none of the set's nodes was) become
    ``__unallocated__`` rows by bill service and charge category. A node line's row keeps
    its node: no workload ran there, but the asset view counts it in what the node cost."""
    u = lit(UNALLOCATED)
    con.execute(
        f"""
        INSERT INTO allocations (run_id, cluster, hour, kind, node, namespace, pod, team,
            service_name, resource, other_cost, total_cost, billed_other_cost,
            billed_total_cost, price_source)
        SELECT $1, coalesce(t.cluster, t.tag_cluster, {u}), b.hour, 'unallocated',
               CASE WHEN t.kind = 'node' THEN t.node END, {u}, {u}, {u}, t.service_name,
               t.charge_category, CAST(sum(b.eff) AS {DEC}), CAST(sum(b.eff) AS {DEC}),
               CAST(sum(b.bil) AS {DEC}), CAST(sum(b.bil) AS {DEC}), 'bill'
        FROM _bill_hours b JOIN _targets t USING (line_id)
        LEFT JOIN _nodes n ON t.kind = 'node' AND n.cluster = t.cluster AND n.node = t.node
                          AND n.hour = b.hour
        LEFT JOIN (SELECT DISTINCT line_id, hour FROM _set_parts) s
               ON t.kind = 'scale_set' AND s.line_id = b.line_id AND s.hour = b.hour
        WHERE t.kind = 'unallocated' OR (t.kind = 'node' AND n.node IS NULL)
           OR (t.kind = 'scale_set' AND s.line_id IS NULL)
        GROUP BY ALL
        """,
        [run_id],
    )
