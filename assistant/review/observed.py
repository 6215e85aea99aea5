"""What the warehouse saw of the cluster a change lands on: nodes, and per workload its
allocated cost and running pod-hours over the review window.

A DaemonSet runs one pod per matching node, so its replica count is the number of nodes
running in the window's latest hour (narrowed by its nodeSelector when the warehouse has
node labels). A Job or CronJob has no replica count: what it costs a month is how many
pod-hours it runs, taken from ``container_hours`` for an existing workload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from assistant.core.scope import Scope
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["ClusterFacts", "Observed", "cluster_facts"]

Key = tuple[str, str, str]  # (kind, namespace, name); bare pods are kind 'Pod'


@dataclass(frozen=True)
class Observed:
    allocated: Decimal  # Σ allocations.total_cost in the window (amortized)
    pod_hours: float  # Σ running hours of its pods in the window


@dataclass
class ClusterFacts:
    cluster: str
    hours: int  # hours with node prices in the window
    node_labels: dict[str, dict[str, str] | None] = field(default_factory=dict)
    observed: dict[Key, Observed] = field(default_factory=dict)

    def daemon_nodes(self, selector: tuple[tuple[str, str], ...]) -> tuple[int, str]:
        """Pods a DaemonSet runs: nodes matching its nodeSelector, with how that was counted."""
        total = len(self.node_labels)
        if not selector:
            return total, f"{total} nodes running in the window's latest hour"
        if any(labels is None for labels in self.node_labels.values()):
            return total, (
                f"all {total} nodes running in the window's latest hour (node "
                "labels unknown, nodeSelector not applied)"
            )
        wanted = dict(selector)
        count = sum(
            1
            for labels in self.node_labels.values()
            if labels is not None and all(labels.get(k) == v for k, v in wanted.items())
        )
        shown = ", ".join(f"{k}={v}" for k, v in selector)
        return count, (
            f"{count} of {total} nodes running in the window's latest hour match "
            f"nodeSelector {shown}"
        )


_NODES = """
SELECT h.node, n.labels FROM node_hours h
LEFT JOIN k8s_nodes n ON n.cluster = h.cluster AND n.node = h.node
WHERE h.cluster = ? AND h.running_hours > 0
  AND h.hour = (SELECT max(hour) FROM node_hours WHERE cluster = ? AND hour >= ? AND hour < ?)
"""

_ALLOCATED = """
SELECT namespace, coalesce(controller_kind, 'Pod'), coalesce(controller_name, pod),
       sum(total_cost)
FROM allocations
WHERE kind = 'workload' AND cluster = ? AND hour >= ? AND hour < ?
GROUP BY ALL
"""

_POD_HOURS = """
WITH ph AS (
    SELECT namespace, pod, hour, max(running_hours) AS running
    FROM container_hours WHERE cluster = ? AND hour >= ? AND hour < ?
    GROUP BY ALL)
SELECT ph.namespace, coalesce(p.controller_kind, 'Pod'), coalesce(p.controller_name, ph.pod),
       sum(ph.running)
FROM ph LEFT JOIN k8s_pods p
       ON p.cluster = ? AND p.namespace = ph.namespace AND p.pod = ph.pod
GROUP BY ALL
"""


def _labels(raw: object) -> dict[str, str] | None:
    if raw is None:
        return None
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


_VISIBLE = """
SELECT DISTINCT namespace FROM allocations
WHERE kind = 'workload' AND cluster = ? AND hour >= ? AND hour < ? AND {scope}
"""


def cluster_facts(
    con: Connection, cluster: str, window: Window, *, hours: int, scope: Scope | None = None
) -> ClusterFacts:
    """Nodes of the latest hour and, per workload seen in the window, cost and pod-hours.

    With a non-admin ``scope`` (the agent's tool), workloads in namespaces the asker cannot
    see are left out, so a review never reveals another team's spend; they are then priced
    as the warehouse had not seen them."""
    facts = ClusterFacts(cluster, hours)
    for node, labels in con.execute(
        _NODES, [cluster, cluster, window.start, window.end]
    ).fetchall():
        facts.node_labels[node] = _labels(labels)
    args = [cluster, window.start, window.end]
    allocated = {
        (r[1], r[0], r[2]): Decimal(r[3] or 0) for r in con.execute(_ALLOCATED, args).fetchall()
    }
    pod_hours = {
        (r[1], r[0], r[2]): float(r[3] or 0)
        for r in con.execute(_POD_HOURS, [*args, cluster]).fetchall()
    }
    keys = allocated.keys() | pod_hours.keys()
    if scope is not None and not scope.admin:
        where, params = scope.sql_filter("team", "namespace")
        visible = {
            r[0] for r in con.execute(_VISIBLE.format(scope=where), [*args, *params]).fetchall()
        }
        keys = {k for k in keys if k[1] in visible}
    for key in keys:
        facts.observed[key] = Observed(allocated.get(key, Decimal(0)), pod_hours.get(key, 0.0))
    return facts
