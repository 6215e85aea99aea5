"""Commitment saving per node-hour, and each node-hour's ratio of it to the node's cost.

A savings plan or reservation lowers a node's amortized cost; the bill variance names that
lowering as its own effect (``billing.variance``: the ``commitment`` step). Its input is,
per node-hour, ListCost - EffectiveCost of the node's usage lines a commitment covered,
prorated to the hour. Allocation writes the per-hour ratio into the class rollups
(``allocation.class_rollups``) and the bill reads it for hours not rolled up, both with
this one definition.

Lines find their node the way allocation matches them (``node_costs.match_lines``): the
ResourceId lowercased, or its last '/'/':' segment (an ARN), equals the node's instance id;
an Azure scale-set line's saving is split among the set's nodes in the hour by running
hours, as its cost was. Matching on the raw text would miss ARNs and case differences, and
so report no saving for nodes whose cost the commitment did lower.

A node-hour's saving does not depend on the window asked about: a line's hourly saving is
its own, the scale-set split is per line and hour, and the window only bounds which lines
and hours are read. So a ratio computed when allocating equals the one computed when
reading, for every hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.ingest.provider_id import sql_bill_keys, sql_scale_set
from assistant.warehouse.db import Connection

__all__ = ["RATIO_SQL", "any_covered_lines", "saving_cte", "saving_params"]


#: the bill lines a commitment covered that overlap a span (parameters: its end, its start)
_COVERED_LINES = """commitment_discount_status = 'Used' AND list_cost IS NOT NULL
        AND coalesce(charge_category, 'Usage') = 'Usage' AND resource_id IS NOT NULL
        AND charge_period_start < ? AND charge_period_end > ?"""


def any_covered_lines(con: Connection, start: datetime, end: datetime) -> bool:
    """Whether any line a commitment covered overlaps ``[start, end)``: without one every
    node-hour's saving is zero, and the saving query (a dozen joins, tens of milliseconds
    to plan and run even over no lines) need not run."""
    row = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM billing_lines WHERE {_COVERED_LINES})", [end, start]
    ).fetchone()
    return bool(row and row[0])


def saving_cte(hours: str) -> str:
    """CTE text ``sl, kn, lm, parts, sv`` (to follow ``WITH``): ``sv`` holds the saving per
    (cluster, node, hour) of the node-hours whose ``n.hour`` satisfies ``hours`` (an SQL
    predicate with ``?`` parameters). Parameters: :func:`saving_params`."""
    return f"""
sl AS (
  SELECT ingest_id, source_file, source_row, charge_period_start, charge_period_end,
         CAST((list_cost - effective_cost) * 3600.0
              / greatest(date_diff('second', charge_period_start, charge_period_end), 1)
              AS DECIMAL(38, 12)) AS saving_h,
         {sql_bill_keys("resource_id")}
  FROM billing_lines
  WHERE {_COVERED_LINES}
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
  WHERE {hours}
), sv AS (
  SELECT cluster, node, hour,
         sum(CASE WHEN via_set
                  THEN CAST(saving_h * w / nullif(set_w, 0) AS DECIMAL(38, 12))
                  ELSE saving_h END) AS saving
  FROM parts GROUP BY ALL
)"""


def saving_params(start: datetime, end: datetime, hour_params: list[Any]) -> list[Any]:
    """The parameters of :func:`saving_cte`: lines overlapping ``[start, end)`` (the span of
    the hours read), then the ``hours`` predicate's own."""
    return [end, start, *hour_params]


#: the saving over the node's amortized cost per node-hour (needs ``sv`` in scope):
#: joined to an allocation row on (cluster, node, hour), cost × ratio is the part of that
#: cost the commitment took off
RATIO_SQL = """(SELECT sv.cluster, sv.node, sv.hour, sv.saving / nullif(n2.node_cost, 0) AS ratio
 FROM sv JOIN node_cost_hours n2 USING (cluster, node, hour))"""
