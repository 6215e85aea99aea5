"""Pod-level costs: persistent volumes and load balancers, split among the pods using them.

A volume-hour costs its own bill line's prorated hour (``ResourceId`` = volume id) or,
without one, PVC GiB × the storage price × hours (an estimate, not on the bill). A load
balancer-hour costs its matched bill lines. Each hour is split among the pods using the
volume or service with :func:`costmath.hourly_mount_shares`; time nobody used goes to
pod ``__unmounted__`` (a volume with no claim at all: namespace ``__unmounted__`` too).
Rounding dust goes to the pod with the largest share, so parts sum to the hour's cost.
"""

from __future__ import annotations

from datetime import datetime

from assistant.allocation.node_costs import DEC, GIB_SQL, fallback_source
from assistant.config import Settings
from assistant.core.placeholders import UNMOUNTED
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit

__all__ = ["build_lb_shares", "build_pv_shares"]


def build_pv_shares(con: Connection, settings: Settings, start: datetime, end: datetime) -> None:
    """``_pv_rows``: (cluster, hour, namespace, pod, amounts) for every volume-hour."""
    storage = float(settings.allocation.prices.storage_gb_hour)
    estimate = f"CAST(coalesce(c.requested_bytes, 0) / {GIB_SQL} * {storage!r} * c.rh AS {DEC})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cost_items AS
        WITH pvb AS (
            SELECT t.cluster, t.pv, b.hour, sum(b.eff) AS eff, sum(b.bil) AS bil,
                   max(t.service_name) AS service_name
            FROM _bill_hours b JOIN _targets t USING (line_id) WHERE t.kind = 'pv' GROUP BY ALL
        ), c AS (
            SELECT cluster, namespace, pvc, pv, hour, running_hours AS rh, requested_bytes
            FROM pvc_hours WHERE hour >= $1 AND hour < $2
        )
        SELECT coalesce(c.cluster, pvb.cluster) AS cluster, coalesce(c.hour, pvb.hour) AS hour,
               coalesce(c.namespace, {lit(UNMOUNTED)}) AS namespace,
               coalesce(c.pvc, '__pv__/' || pvb.pv) AS item,
               CASE WHEN pvb.eff IS NOT NULL THEN 'bill' ELSE $3 END AS price_source,
               coalesce(pvb.eff, {estimate}) AS cost,
               coalesce(pvb.bil, {estimate}) AS billed,
               coalesce(c.requested_bytes, kp.capacity_bytes, 0) / {GIB_SQL} * coalesce(c.rh, 1.0)
                   AS qty,
               coalesce(pvb.service_name, 'estimate') AS service_name
        FROM c FULL OUTER JOIN pvb
          ON c.cluster = pvb.cluster AND c.pv = pvb.pv AND c.hour = pvb.hour
        LEFT JOIN k8s_pvs kp ON kp.cluster = coalesce(c.cluster, pvb.cluster)
                            AND kp.pv = coalesce(c.pv, pvb.pv)
        """,
        [start, end, fallback_source(settings)],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _members AS
        SELECT cluster, namespace, pvc AS item, pod, hour, running_hours AS r
        FROM pod_pvc_hours WHERE hour >= $1 AND hour < $2 AND running_hours > 0
        """,
        [start, end],
    )
    _split(con, "_pv_rows", share="m.r / greatest(m.sr, 1.0)", full="m.sr >= 1.0")


def build_lb_shares(con: Connection, start: datetime, end: datetime) -> None:
    """``_lb_rows``: load-balancer hours split among the service's pods by overlap hours."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _cost_items AS
        SELECT t.cluster, b.hour, t.namespace, t.service AS item, 'bill' AS price_source,
               sum(b.eff) AS cost, sum(b.bil) AS billed, 1.0 AS qty,
               max(t.service_name) AS service_name
        FROM _bill_hours b JOIN _targets t USING (line_id) WHERE t.kind = 'lb' GROUP BY ALL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _members AS
        SELECT cluster, namespace, service AS item, pod, hour, running_hours AS r
        FROM service_pod_hours WHERE hour >= $1 AND hour < $2 AND running_hours > 0
        """,
        [start, end],
    )
    _split(con, "_lb_rows", share="m.r / m.sr", full="m.sr > 0")


def _split(con: Connection, target: str, *, share: str, full: str) -> None:
    """Split ``_cost_items`` among ``_members`` into ``target`` rows (pods + __unmounted__)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {target} AS
        WITH m AS (
            SELECT c.*, mm.pod, mm.r,
                   sum(mm.r) OVER w AS sr,
                   row_number() OVER (PARTITION BY c.cluster, c.namespace, c.item, c.hour
                                      ORDER BY mm.r DESC, mm.pod) AS rn
            FROM _cost_items c
            LEFT JOIN _members mm ON mm.cluster = c.cluster AND mm.namespace = c.namespace
                                  AND mm.item = c.item AND mm.hour = c.hour
            WINDOW w AS (PARTITION BY c.cluster, c.namespace, c.item, c.hour)
        ), parts AS (
            SELECT m.*,
                   CASE WHEN m.pod IS NULL THEN 0 ELSE {share} END AS sh,
                   CASE WHEN m.pod IS NULL THEN CAST(0 AS {DEC})
                        ELSE CAST(m.cost::DOUBLE * ({share}) AS {DEC}) END AS part,
                   CASE WHEN m.pod IS NULL THEN CAST(0 AS {DEC})
                        ELSE CAST(m.billed::DOUBLE * ({share}) AS {DEC}) END AS bpart,
                   coalesce({full}, false) AS is_full
            FROM m
        ), totals AS (
            SELECT *, sum(part) OVER w AS sp, sum(bpart) OVER w AS sbp FROM parts
            WINDOW w AS (PARTITION BY cluster, namespace, item, hour)
        )
        SELECT cluster, hour, namespace, pod, item, price_source, service_name, qty * sh AS qty,
               part + CASE WHEN rn = 1 AND is_full THEN cost - sp ELSE 0 END AS amount,
               bpart + CASE WHEN rn = 1 AND is_full THEN billed - sbp ELSE 0 END AS billed_amount
        FROM totals WHERE pod IS NOT NULL
        UNION ALL
        SELECT cluster, hour, namespace, {lit(UNMOUNTED)}, item, price_source, service_name,
               qty * (1 - coalesce(least(sr, 1.0), 0)), cost - sp, billed - sbp
        FROM totals WHERE rn = 1 AND NOT is_full
        """
    )
