"""Usage history per workload container, read from the warehouse's hourly tables.

The warehouse keeps per container and hour an average and a maximum of CPU and memory
(not raw samples), so every strategy works on hourly points: one point per pod and
hour, replicas pooled, because a recommendation is a per-container request that every
replica gets. Unit prices come from the allocation (``node_cost_hours``) on the nodes
the pods actually ran on, so dollars match what Penny's cost reports charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["ContainerHistory", "HourPoint", "load_history", "team_subquery"]

GIB = 1024**3


@dataclass(frozen=True)
class HourPoint:
    """One pod-hour of one container: averages and maxima over that hour."""

    hour: datetime
    pod: str
    running_hours: float
    cpu_avg: float | None
    cpu_max: float | None
    ram_avg: float | None
    ram_max: float | None
    oom_kills: int
    run: str | None = None  # the Job a CronJob's pod belongs to (one run of the schedule)


@dataclass
class ContainerHistory:
    """Everything a strategy and the savings math need about one workload container."""

    cluster: str
    namespace: str
    kind: str  # Deployment, StatefulSet, DaemonSet, CronJob, Job, Pod, …
    name: str
    container: str
    team: str | None
    points: list[HourPoint] = field(default_factory=list)
    cpu_request: float | None = None  # latest observed, cores
    cpu_limit: float | None = None
    ram_request: float | None = None  # bytes
    ram_limit: float | None = None
    cpu_price: Decimal = Decimal("0")  # $ per core-hour, running-hours weighted
    ram_price: Decimal = Decimal("0")  # $ per GiB-hour
    price_source: str = "default"
    capacity_types: set[str] = field(default_factory=set)
    pods: list[str] = field(default_factory=list)  # pods seen in the latest hour

    @property
    def history_hours(self) -> int:
        """Distinct clock hours with at least one observation."""
        return len({p.hour for p in self.points})

    @property
    def span_hours(self) -> int:
        """Clock hours from the first to the last observation, inclusive."""
        if not self.points:
            return 0
        first, last = self.first_hour, self.last_hour
        assert first is not None and last is not None
        return int((last - first).total_seconds() // 3600) + 1

    @property
    def replicas(self) -> float:
        """Average replicas over the observed span: Σ running hours / span hours.

        For a Deployment this is its (HPA-averaged) replica count; for a CronJob that runs
        2 h a day it is about 2/24, so monthly dollars follow the duty cycle instead of
        pricing a nightly job as if it ran around the clock.
        """
        span = self.span_hours
        return sum(p.running_hours for p in self.points) / span if span else 0.0

    @property
    def run_starts(self) -> list[datetime]:
        """First hour of each run (a CronJob's Job, else a pod) seen, oldest first."""
        first: dict[str, datetime] = {}
        for p in self.points:
            key = p.run or p.pod
            if key not in first or p.hour < first[key]:
                first[key] = p.hour
        return sorted(first.values())

    @property
    def oom_kills(self) -> int:
        return sum(p.oom_kills for p in self.points)

    @property
    def first_hour(self) -> datetime | None:
        return min((p.hour for p in self.points), default=None)

    @property
    def last_hour(self) -> datetime | None:
        return max((p.hour for p in self.points), default=None)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"


def team_subquery() -> str:
    """Team per (cluster, namespace, pod) as the allocation labelled it."""
    return (
        "(SELECT cluster, namespace, pod, max(team) AS team FROM allocations "
        "WHERE kind = 'workload' GROUP BY cluster, namespace, pod)"
    )


_SQL = """
WITH t AS {teams}
SELECT ch.cluster, ch.namespace,
       coalesce(p.controller_kind, 'Pod') AS kind,
       coalesce(p.controller_name, ch.pod) AS name,
       ch.container, t.team, ch.hour, ch.pod, ch.running_hours,
       ch.cpu_usage_cores, ch.cpu_usage_max_cores, ch.ram_usage_bytes, ch.ram_usage_max_bytes,
       coalesce(ch.oom_kills, 0),
       ch.cpu_request_cores, ch.cpu_limit_cores, ch.ram_request_bytes, ch.ram_limit_bytes,
       n.cpu_price, n.ram_price, n.capacity_type,
       CASE WHEN p.owner_kind = 'Job' THEN p.owner_name END
FROM container_hours ch
LEFT JOIN k8s_pods p USING (cluster, namespace, pod)
LEFT JOIN t USING (cluster, namespace, pod)
LEFT JOIN node_cost_hours n ON n.cluster = ch.cluster AND n.node = ch.node AND n.hour = ch.hour
WHERE ch.hour >= ? AND ch.hour < ? AND ch.running_hours > 0 AND {scope} {ns}
ORDER BY ch.cluster, ch.namespace, kind, name, ch.container, ch.hour, ch.pod
"""


def load_history(
    con: Connection,
    *,
    window: Window,
    scope: Scope,
    settings: Settings,
    namespace: str | None = None,
) -> list[ContainerHistory]:
    """Every workload container's hourly points in ``window``, visible to ``scope``."""
    scope_sql, scope_params = scope.sql_filter("t.team", "ch.namespace")
    ns_sql = "AND ch.namespace = ?" if namespace else ""
    params: list[object] = [window.start, window.end, *scope_params]
    if namespace:
        params.append(namespace)
    rows = con.execute(
        _SQL.format(teams=team_subquery(), scope=scope_sql, ns=ns_sql), params
    ).fetchall()
    fallback = settings.allocation.prices
    out: dict[tuple[str, str, str, str, str], ContainerHistory] = {}
    weights: dict[tuple[str, str, str, str, str], list[float]] = {}
    for r in rows:
        key = (r[0], r[1], r[2], r[3], r[4])
        hist = out.get(key)
        if hist is None:
            hist = out[key] = ContainerHistory(r[0], r[1], r[2], r[3], r[4], r[5])
            weights[key] = [0.0, 0.0, 0.0, 0.0]  # Σw, Σw·cpu_price, Σw·ram_price, priced w
        if r[5] and not hist.team:
            hist.team = r[5]
        hist.points.append(
            HourPoint(r[6], r[7], float(r[8]), r[9], r[10], r[11], r[12], int(r[13]), r[21])
        )
        # rows are ordered by hour, so the last assignment is the latest observed spec
        hist.cpu_request, hist.cpu_limit = r[14], r[15]
        hist.ram_request, hist.ram_limit = r[16], r[17]
        w = weights[key]
        w[0] += float(r[8])
        if r[18] is not None and r[19] is not None:
            w[1] += float(r[8]) * float(r[18])
            w[2] += float(r[8]) * float(r[19])
            w[3] += float(r[8])
        if r[20]:
            hist.capacity_types.add(str(r[20]))
    for key, hist in out.items():
        w = weights[key]
        if w[3] > 0:
            hist.cpu_price = Decimal(repr(w[1] / w[3]))
            hist.ram_price = Decimal(repr(w[2] / w[3]))
            hist.price_source = "allocation" if w[3] >= w[0] else "allocation (partial)"
        else:
            hist.cpu_price = fallback.cpu_core_hour
            hist.ram_price = fallback.ram_gib_hour
            hist.price_source = "price_list"
        last = hist.last_hour
        hist.pods = sorted({p.pod for p in hist.points if p.hour == last})
    return list(out.values())
