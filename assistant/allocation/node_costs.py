"""The bill side of allocation: bill lines spread over hours and joined to what they pay for.

Every FOCUS line in the window is prorated over the hours of its charge period
(:func:`costmath.prorate`: equal 12-decimal parts, the last hour taking the exact
remainder), then matched to at most one cluster resource, in this order:

* a **node**: ``ResourceId`` (or its last ``/``/``:`` segment) = the node's instance id;
* a **scale set**: ``ResourceId`` = the Azure VM Scale Set whose instances are nodes (its
  id is the parent of their instance ids, :data:`AZURE_VMSS_INSTANCE_PATTERN`);
* a **volume**: likewise against the PV's volume id;
* a **load balancer**: the service's ``kubernetes.io/service-name`` tag (``ns/name``), or a
  ``ResourceId``/``ResourceName`` containing the LB name taken from its ingress hostname;
* otherwise the line is **unallocated** and keeps its ``ServiceName``.

Then each scale-set line-hour is split among the set's nodes observed in that hour
(``_set_parts``), each node-hour gets its cost (its matched lines and scale-set parts, else
the fallback price list) and OpenCost's ratio-split unit prices. All of it is set-based
SQL in temp tables.
"""

from __future__ import annotations

from datetime import datetime

from assistant.config import PriceList, Settings
from assistant.core.placeholders import UNKNOWN
from assistant.ingest.provider_id import sql_bill_keys, sql_scale_set
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import lit

__all__ = [
    "DEC",
    "build_bill_hours",
    "build_billed_nodes",
    "build_node_costs",
    "build_scale_set_parts",
    "fallback_source",
    "match_lines",
]

DEC = "DECIMAL(38,12)"
GIB_SQL = "1073741824.0"
# the provider_id pattern as a SQL string literal (RE2 accepts the same text)


def fallback_source(settings: Settings) -> str:
    """'price_list' when a price list is configured, else 'default' (OpenCost's prices)."""
    return "default" if settings.allocation.prices == PriceList() else "price_list"


def build_bill_hours(con: Connection, start: datetime, end: datetime) -> None:
    """``_lines`` (one per bill line in the window) and ``_bill_hours`` (line × hour)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _lines AS
        SELECT row_number() OVER () AS line_id, *,
               CAST(effective_cost::DOUBLE / n AS {DEC}) AS eff_q,
               CAST(billed_cost::DOUBLE / n AS {DEC}) AS bil_q
        FROM (
            SELECT resource_id, resource_name,
                   coalesce(service_name, {lit(UNKNOWN)}) AS service_name,
                   coalesce(charge_category, 'Usage') AS charge_category, tags,
                   effective_cost, billed_cost, h0,
                   greatest(1, CAST(ceil(epoch(charge_period_end - h0) / 3600.0) AS BIGINT)) AS n,
                   {sql_bill_keys("resource_id")},
                   coalesce(json_extract_string(tags, '$."eks:cluster-name"'),
                            json_extract_string(tags, '$."aws:eks:cluster-name"'),
                            json_extract_string(tags, '$."kubernetes.io/cluster"'),
                            json_extract_string(tags, '$."k8s-cluster"')) AS tag_cluster,
                   json_extract_string(tags, '$."kubernetes.io/service-name"') AS tag_service
            FROM (SELECT *, date_trunc('hour', charge_period_start) AS h0 FROM billing_lines)
        )
        WHERE h0 < $2 AND h0 + to_hours(n) > $1
        """,
        [start, end],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _bill_hours AS
        SELECT line_id, hour,
               CASE WHEN i < n - 1 THEN eff_q ELSE effective_cost - eff_q * (n - 1) END AS eff,
               CASE WHEN i < n - 1 THEN bil_q ELSE billed_cost - bil_q * (n - 1) END AS bil
        FROM (SELECT line_id, n, eff_q, bil_q, effective_cost, billed_cost, i,
                     h0 + to_hours(i) AS hour
              FROM (SELECT *, unnest(range(n)) AS i FROM _lines))
        WHERE hour >= $1 AND hour < $2
        """,
        [start, end],
    )


def match_lines(con: Connection) -> None:
    """``_targets``: each line's one match (node, scale_set, pv, lb), or 'unallocated'.

    Also ``_set_nodes``: the nodes that are Azure scale-set instances, with the set's id.
    An exact instance-id match comes first, so instance-level exports keep their node.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _set_nodes AS
        SELECT * FROM (SELECT cluster, node, {sql_scale_set("instance_id")} AS scale_set
                       FROM k8s_nodes)
        WHERE scale_set IS NOT NULL
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _lb AS
        SELECT DISTINCT cluster, namespace, service, lower(lb_ingress) AS host,
               namespace || '/' || service AS ns_service,
               CASE WHEN regexp_matches(lb_ingress, '^[0-9.:]+$') THEN lb_ingress
                    ELSE lower(coalesce(
                        nullif(regexp_extract(split_part(lb_ingress, '.', 1), '^(.+)-[^-]+$', 1),
                               ''),
                        split_part(lb_ingress, '.', 1)))
               END AS lb_name
        FROM service_hours WHERE lb_ingress IS NOT NULL AND lb_ingress <> ''
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _targets AS
        WITH nodes AS (
            SELECT cluster, node, lower(instance_id) AS iid FROM k8s_nodes
            WHERE instance_id IS NOT NULL
        ), node_m AS (
            -- two equi-joins (full id, last segment) rather than one IN-join: hash joins
            SELECT line_id, arg_min(cluster, cluster) AS cluster, arg_min(node, cluster) AS node
            FROM (SELECT l.line_id, n.cluster, n.node FROM _lines l JOIN nodes n ON n.iid = l.rid
                  UNION ALL
                  SELECT l.line_id, n.cluster, n.node FROM _lines l
                  JOIN nodes n ON n.iid = l.rid_last)
            GROUP BY line_id
        ), set_m AS (
            SELECT l.line_id, arg_min(s.cluster, s.cluster) AS cluster,
                   arg_min(s.scale_set, s.cluster) AS scale_set
            FROM _lines l JOIN (SELECT DISTINCT cluster, scale_set FROM _set_nodes) s
              ON s.scale_set = l.rid
            GROUP BY l.line_id
        ), vols AS (
            SELECT cluster, pv, lower(volume_id) AS vid FROM k8s_pvs WHERE volume_id IS NOT NULL
        ), pv_m AS (
            SELECT line_id, arg_min(cluster, pv) AS cluster, arg_min(pv, pv) AS pv
            FROM (SELECT l.line_id, p.cluster, p.pv FROM _lines l JOIN vols p ON p.vid = l.rid
                  UNION ALL
                  SELECT l.line_id, p.cluster, p.pv FROM _lines l JOIN vols p ON p.vid = l.rid_last)
            WHERE line_id NOT IN (SELECT line_id FROM node_m)
            GROUP BY line_id
        ), lb_m AS (
            SELECT l.line_id, arg_min(b.cluster, b.ns_service) AS cluster,
                   arg_min(b.namespace, b.ns_service) AS namespace,
                   arg_min(b.service, b.ns_service) AS service
            FROM _lines l JOIN _lb b
              ON l.tag_service = b.ns_service
              OR (length(b.lb_name) >= 5 AND (contains(l.rid, b.lb_name)
                  OR contains(lower(coalesce(l.resource_name, '')), b.lb_name)))
            WHERE l.line_id NOT IN (SELECT line_id FROM node_m)
              AND l.line_id NOT IN (SELECT line_id FROM pv_m)
            GROUP BY l.line_id
        )
        -- one kind per line, first match in this order (set_m needs no exclusions: the
        -- CASE ranks it after an exact instance match and before volumes and LBs)
        SELECT l.line_id, l.service_name, l.charge_category, l.tag_cluster,
               CASE WHEN n.line_id IS NOT NULL THEN 'node'
                    WHEN s.line_id IS NOT NULL THEN 'scale_set'
                    WHEN p.line_id IS NOT NULL THEN 'pv'
                    WHEN b.line_id IS NOT NULL THEN 'lb' ELSE 'unallocated' END AS kind,
               coalesce(n.cluster, s.cluster, p.cluster, b.cluster) AS cluster,
               n.node, s.scale_set, p.pv, b.namespace, b.service
        FROM _lines l
        LEFT JOIN node_m n USING (line_id)
        LEFT JOIN set_m s USING (line_id)
        LEFT JOIN pv_m p USING (line_id)
        LEFT JOIN lb_m b USING (line_id)
        """
    )


def build_scale_set_parts(con: Connection, start: datetime, end: datetime) -> None:
    """``_set_parts``: each scale-set line-hour split among the set's nodes in that hour.

    Azure bills VM Scale Set usage on the scale set, not per instance. The instances of
    one scale set share a VM size, so each costs the same per hour it runs: the weight
    of a node is its ``running_hours`` in that hour (all zero: an even split). Parts are
    the amount × weight / Σ weights rounded to 12 decimals, and the node with the largest
    weight (ties: first node name) takes the exact remainder, so the parts of a line-hour
    add up to it exactly (``costmath.split_exact``'s rule). A line-hour with no node of
    its set observed gets no part; ``allocate`` books it ``__unallocated__``.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _set_parts AS
        WITH members AS (
            SELECT b.line_id, b.hour, b.eff, b.bil, nh.cluster, nh.node,
                   nh.running_hours AS rh
            FROM _bill_hours b
            JOIN _targets t USING (line_id)
            JOIN _set_nodes s ON s.cluster = t.cluster AND s.scale_set = t.scale_set
            JOIN node_hours nh ON nh.cluster = s.cluster AND nh.node = s.node
                              AND nh.hour = b.hour
            WHERE t.kind = 'scale_set' AND nh.hour >= $1 AND nh.hour < $2
        ), weighted AS (
            SELECT *,
                   CASE WHEN sum(rh) OVER w > 0 THEN rh / sum(rh) OVER w
                        ELSE 1.0 / count(*) OVER w END AS share,
                   row_number() OVER (PARTITION BY line_id, hour ORDER BY rh DESC, node) AS k
            FROM members
            WINDOW w AS (PARTITION BY line_id, hour)
        ), parts AS (
            SELECT *, CAST(eff::DOUBLE * share AS {DEC}) AS eq,
                   CAST(bil::DOUBLE * share AS {DEC}) AS bq
            FROM weighted
        )
        SELECT line_id, cluster, node, hour,
               CASE WHEN k = 1 THEN eff - (sum(eq) OVER w - eq) ELSE eq END AS eff,
               CASE WHEN k = 1 THEN bil - (sum(bq) OVER w - bq) ELSE bq END AS bil
        FROM parts
        WINDOW w AS (PARTITION BY line_id, hour)
        """,
        [start, end],
    )


def build_billed_nodes(con: Connection) -> None:
    """``_billed_nodes``: every node the bill mentions anywhere, and until when the bill
    covers its cluster.

    A node is *billed* when any stored bill line (any period, not only the window's)
    matches it, by its instance id or its Azure scale set. The bill covers a cluster up to
    the latest ``ChargePeriodEnd`` of the lines that match any of its nodes: past that the
    bill has simply not arrived yet. Boundary rule (``build_node_costs``): an hour of a
    billed node inside that coverage with no line of its own costs what the bill says —
    nothing — instead of OpenCost's default prices (a node that left mid-hour, a spot
    interruption: its last metrics sample falls in an hour the provider did not bill).
    Only nodes the bill never mentions, or hours past its coverage, are estimated.
    Distinct resource ids are keyed once, so this reads the bill's ids, not every line.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _billed_nodes AS
        WITH ids AS (
            SELECT {sql_bill_keys("resource_id")}, last_end, service_name FROM (
                SELECT resource_id, max(charge_period_end) AS last_end,
                       max(coalesce(service_name, {lit(UNKNOWN)})) AS service_name
                FROM billing_lines WHERE resource_id IS NOT NULL GROUP BY resource_id)
        ), nodes AS (
            SELECT cluster, node, lower(instance_id) AS iid,
                   {sql_scale_set("instance_id")} AS scale_set
            FROM k8s_nodes WHERE instance_id IS NOT NULL
        ), hits AS (
            SELECT n.cluster, n.node, i.last_end, i.service_name FROM nodes n
            JOIN ids i ON i.rid = n.iid
            UNION ALL
            SELECT n.cluster, n.node, i.last_end, i.service_name FROM nodes n
            JOIN ids i ON i.rid_last = n.iid
            UNION ALL
            SELECT n.cluster, n.node, i.last_end, i.service_name FROM nodes n
            JOIN ids i ON i.rid = n.scale_set
        ), billed AS (
            SELECT cluster, node, max(service_name) AS service_name FROM hits GROUP BY ALL
        )
        SELECT b.cluster, b.node, b.service_name, c.covered_until
        FROM billed b
        JOIN (SELECT cluster, max(last_end) AS covered_until FROM hits GROUP BY cluster) c
          USING (cluster)
        """
    )


def build_node_costs(con: Connection, settings: Settings, start: datetime, end: datetime) -> None:
    """``_nodes``: node-hours with amortized and invoice cost, per-resource cost and prices.

    A node-hour's bill is its own lines plus its parts of scale-set lines (built here
    first, ``_set_parts``). A billed node's hour with no line, inside the bill's coverage,
    costs 0 from the bill (``no_line``; see :func:`build_billed_nodes`); other hours
    without a line are priced from the price list (estimates). Per-resource node cost:
    CPU and GPU at their ratio price, RAM the exact residual, so cpu + ram + gpu = the
    node-hour's cost to the last decimal (see costmath).
    """
    build_scale_set_parts(con, start, end)
    build_billed_nodes(con)
    d = settings.allocation.default_prices
    p = settings.allocation.prices
    r_c = float(d.cpu_core_hour / d.ram_gib_hour)
    r_g = float(d.gpu_hour / d.ram_gib_hour)
    fallback = f"""CAST((coalesce(nh.cpu_cores, 0) * {float(p.cpu_core_hour)!r}
                  + coalesce(nh.ram_bytes, 0) / {GIB_SQL} * {float(p.ram_gib_hour)!r}
                  + coalesce(nh.gpu_count, 0) * {float(p.gpu_hour)!r})
                  * nh.running_hours AS {DEC})"""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _nodes AS
        WITH bill AS (
            SELECT cluster, node, hour, sum(eff) AS eff, sum(bil) AS bil,
                   max(service_name) AS service_name
            FROM (SELECT t.cluster, t.node, b.hour, b.eff, b.bil, t.service_name
                  FROM _bill_hours b JOIN _targets t USING (line_id) WHERE t.kind = 'node'
                  UNION ALL
                  SELECT p.cluster, p.node, p.hour, p.eff, p.bil, t.service_name
                  FROM _set_parts p JOIN _targets t USING (line_id))
            GROUP BY ALL
        ), base AS (
            SELECT nh.cluster, nh.node, nh.hour, nh.running_hours AS rh,
                   coalesce(nh.cpu_cores, 0) AS cpu,
                   coalesce(nh.ram_bytes, 0) / {GIB_SQL} AS ram_gib,
                   coalesce(nh.gpu_count, 0) AS gpu,
                   CASE WHEN bill.eff IS NOT NULL OR covered THEN 'bill' ELSE $3 END
                       AS price_source,
                   coalesce(bill.eff, CASE WHEN covered THEN CAST(0 AS {DEC}) END, {fallback})
                       AS node_cost,
                   coalesce(bill.bil, CASE WHEN covered THEN CAST(0 AS {DEC}) END, {fallback})
                       AS node_billed_cost,
                   coalesce(bill.service_name, CASE WHEN covered THEN b.service_name END,
                            'estimate') AS service_name,
                   bill.eff IS NULL AND covered AS no_line,
                   k.capacity_type, k.instance_type
            FROM (SELECT nh.*, b.node IS NOT NULL AND nh.hour < b.covered_until AS covered
                  FROM node_hours nh
                  LEFT JOIN _billed_nodes b USING (cluster, node)) nh
            LEFT JOIN bill USING (cluster, node, hour)
            LEFT JOIN _billed_nodes b USING (cluster, node)
            LEFT JOIN k8s_nodes k USING (cluster, node)
            WHERE nh.hour >= $1 AND nh.hour < $2
        ), priced AS (
            SELECT *, (gpu * {r_g!r} + cpu * {r_c!r} + ram_gib) * rh AS m FROM base
        ), unit AS (
            SELECT *,
                   CASE WHEN m > 0 THEN node_cost::DOUBLE / m ELSE 0 END AS ram_price,
                   CASE WHEN m > 0 THEN node_billed_cost::DOUBLE / m ELSE 0 END AS b_ram_price
            FROM priced
        ), parts AS (
            SELECT *, ram_price * {r_c!r} AS cpu_price, ram_price * {r_g!r} AS gpu_price,
                   b_ram_price * {r_c!r} AS b_cpu_price, b_ram_price * {r_g!r} AS b_gpu_price,
                   CAST(ram_price * {r_c!r} * cpu * rh AS {DEC}) AS n_cpu,
                   CAST(ram_price * {r_g!r} * gpu * rh AS {DEC}) AS n_gpu,
                   CAST(b_ram_price * {r_c!r} * cpu * rh AS {DEC}) AS nb_cpu,
                   CAST(b_ram_price * {r_g!r} * gpu * rh AS {DEC}) AS nb_gpu
            FROM unit
        )
        SELECT *, node_cost - n_cpu - n_gpu AS n_ram, node_billed_cost - nb_cpu - nb_gpu AS nb_ram
        FROM parts
        """,
        [start, end, fallback_source(settings)],
    )
