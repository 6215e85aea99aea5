"""Savings beyond requests: spot candidates, commitment coverage, orphaned resources.

* Spot: stateless workloads (Deployments whose pods mount no volume) running on
  on-demand nodes. The discount comes from the bill itself: spot lines (FOCUS
  ``PricingCategory = 'Dynamic'``) carry the on-demand ``ListCost`` beside what was paid,
  so discount = 1 − Σ EffectiveCost / Σ ListCost. Without spot lines in the bill the
  savings are a range at the usual 60–90 % and say so.
* Commitments: the steady baseline is the 10th percentile of hourly on-demand node cost
  (what runs around the clock); coverage = commitment-covered cost per hour from the bill
  (lines with a ``CommitmentDiscountId``) ÷ that baseline.
* Orphans: volumes bound to no claim, claims no pod mounts, LoadBalancer services with
  no backing pods, and namespaces that cost money with no running pod.

Monthly figures scale the window's cost by 730 h / window hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.money import cents
from assistant.core.scope import Scope
from assistant.rightsizing.savings import HOURS_PER_MONTH
from assistant.rightsizing.strategies import percentile
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = [
    "Orphan",
    "SpotCandidate",
    "commitment_coverage",
    "orphans",
    "spot_candidates",
    "spot_discount",
]

ASSUMED_SPOT_DISCOUNT = (Decimal("0.6"), Decimal("0.9"))
GB = Decimal(10**9)


def _monthly(cost: Decimal, window: Window) -> Decimal:
    return cost * HOURS_PER_MONTH / Decimal(repr(window.hours))


@dataclass
class SpotCandidate:
    cluster: str
    namespace: str
    workload: str
    team: str | None
    replicas: float
    monthly_cost: Decimal
    discount: Decimal | None  # from the bill; None = not in the bill
    monthly_savings_low: Decimal
    monthly_savings_high: Decimal
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        for k in ("monthly_cost", "monthly_savings_low", "monthly_savings_high"):
            d[k] = str(cents(d[k]))
        d["discount"] = None if self.discount is None else str(round(self.discount, 4))
        return d


@dataclass
class Orphan:
    kind: str  # volume | claim | load_balancer | namespace
    cluster: str
    namespace: str | None
    name: str
    hours: float
    cost: Decimal | None  # in the window; None = no price known
    monthly_cost: Decimal | None
    price_source: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["cost"] = None if self.cost is None else str(cents(self.cost))
        d["monthly_cost"] = None if self.monthly_cost is None else str(cents(self.monthly_cost))
        return d


def spot_discount(con: Connection) -> Decimal | None:
    """1 − Σ EffectiveCost / Σ ListCost over the bill's spot ('Dynamic') lines."""
    row = con.execute(
        "SELECT sum(effective_cost), sum(list_cost) FROM billing_lines "
        "WHERE pricing_category = 'Dynamic' AND list_cost > 0"
    ).fetchone()
    if not row or row[1] is None or row[1] == 0:
        return None
    return Decimal(1) - Decimal(row[0]) / Decimal(row[1])


def spot_candidates(
    con: Connection, *, window: Window, scope: Scope, settings: Settings
) -> list[SpotCandidate]:
    scope_sql, params = scope.sql_filter("a.team", "a.namespace")
    rows = con.execute(
        f"""
        WITH stateful AS (SELECT DISTINCT cluster, namespace, pod FROM pod_pvc_hours
                          WHERE hour >= ? AND hour < ? AND running_hours > 0),
             spot_nodes AS (SELECT DISTINCT cluster, node, hour FROM node_cost_hours
                            WHERE capacity_type = 'spot')
        SELECT a.cluster, a.namespace, a.controller_name, max(a.team),
               sum(a.cpu_cost + a.ram_cost + a.gpu_cost),
               count(DISTINCT a.pod), count(DISTINCT a.hour)
        FROM allocations a
        LEFT JOIN stateful s USING (cluster, namespace, pod)
        LEFT JOIN spot_nodes sn ON sn.cluster = a.cluster AND sn.node = a.node
             AND sn.hour = a.hour
        WHERE a.kind = 'workload' AND a.controller_kind = 'Deployment'
          AND a.hour >= ? AND a.hour < ? AND {scope_sql}
        GROUP BY a.cluster, a.namespace, a.controller_name
        HAVING count(s.pod) = 0 AND count(sn.node) = 0
        """,
        [window.start, window.end, window.start, window.end, *params],
    ).fetchall()
    discount = spot_discount(con)
    replicas = _replicas(con, window)
    out: list[SpotCandidate] = []
    for cluster, ns, name, team, cost, _pods, _hours in rows:
        monthly = _monthly(Decimal(cost or 0), window)
        if monthly <= 0:
            continue
        reps = replicas.get((cluster, ns, name), 0.0)
        notes = []
        if discount is None:
            low, high = (monthly * d for d in ASSUMED_SPOT_DISCOUNT)
            notes.append("no spot lines in the bill: savings assume the usual 60–90% discount")
        else:
            low = high = monthly * discount
        if reps < 2:
            notes.append(
                f"~{reps:.1f} replica(s): run at least 2 and a PodDisruptionBudget "
                "before moving to spot"
            )
        out.append(
            SpotCandidate(
                cluster,
                ns,
                f"{ns}/Deployment/{name}",
                team,
                round(reps, 3),
                monthly,
                discount,
                low,
                high,
                notes,
            )
        )
    out.sort(key=lambda c: (-c.monthly_savings_high, c.workload))
    return out


def _replicas(con: Connection, window: Window) -> dict[tuple[str, str, str], float]:
    rows = con.execute(
        """
        SELECT c.cluster, c.namespace, p.controller_name,
               sum(c.running_hours) / count(DISTINCT c.hour)
        FROM (SELECT DISTINCT cluster, namespace, pod, hour, running_hours FROM container_hours
              WHERE hour >= ? AND hour < ?) c
        JOIN k8s_pods p USING (cluster, namespace, pod)
        WHERE p.controller_kind = 'Deployment'
        GROUP BY 1, 2, 3
        """,
        [window.start, window.end],
    ).fetchall()
    return {(r[0], r[1], r[2]): float(r[3]) for r in rows}


def commitment_coverage(con: Connection, *, window: Window) -> dict[str, Any]:
    """Steady on-demand baseline ($/h) vs what commitments cover, from the bill."""
    hourly = [
        Decimal(r[0])
        for r in con.execute(
            "SELECT sum(node_cost) FROM node_cost_hours WHERE hour >= ? AND hour < ? "
            "AND coalesce(capacity_type, 'on-demand') <> 'spot' GROUP BY hour ORDER BY hour",
            [window.start, window.end],
        ).fetchall()
    ]
    if not hourly:
        return {"status": "no_data", "reason": "no node costs in the window; run `penny allocate`"}
    baseline = Decimal(repr(percentile([float(h) for h in hourly], 10)))
    row = con.execute(
        "SELECT sum(effective_cost), sum(list_cost) FROM billing_lines "
        "WHERE commitment_discount_id IS NOT NULL AND charge_category = 'Usage' "
        "AND charge_period_start >= ? AND charge_period_start < ?",
        [window.start, window.end],
    ).fetchone()
    covered = Decimal(row[0] or 0) / Decimal(repr(window.hours)) if row else Decimal(0)
    rate = (
        Decimal(1) - Decimal(row[0]) / Decimal(row[1])
        if row and row[1] and row[0] is not None
        else None
    )
    uncovered = max(baseline - covered, Decimal(0))
    return {
        "status": "ok",
        "hours": len(hourly),
        "baseline_hourly": str(round(baseline, 4)),
        "peak_hourly": str(round(max(hourly), 4)),
        "committed_hourly": str(round(covered, 4)),
        "coverage": float(round(min(covered / baseline, Decimal(1)), 4)) if baseline else None,
        "uncovered_baseline_monthly": str(cents(uncovered * HOURS_PER_MONTH)),
        "commitment_discount_in_bill": None if rate is None else str(round(rate, 4)),
        "monthly_savings_if_covered": (
            None if rate is None else str(cents(uncovered * HOURS_PER_MONTH * rate))
        ),
    }


def orphans(con: Connection, *, window: Window, scope: Scope, settings: Settings) -> list[Orphan]:
    """Resources that cost money and serve no running pod, costliest first."""
    storage = settings.allocation.prices.storage_gb_hour
    w = [window.start, window.end]
    out: list[Orphan] = []
    if scope.admin:  # unbound volumes belong to no namespace: admins only
        for cluster, pv, vol, cap, bill in con.execute(
            """
            SELECT v.cluster, v.pv, v.volume_id, v.capacity_bytes,
                   (SELECT sum(b.effective_cost) FROM billing_lines b
                     WHERE b.resource_id = v.volume_id
                       AND b.charge_period_start >= ? AND b.charge_period_start < ?)
            FROM k8s_pvs v
            WHERE NOT EXISTS (SELECT 1 FROM pvc_hours c WHERE c.cluster = v.cluster
                              AND c.pv = v.pv AND c.hour >= ? AND c.hour < ?)
            """,
            w + w,
        ).fetchall():
            cost, source = _volume_cost(bill, cap, storage, window.hours)
            out.append(
                Orphan(
                    "volume",
                    cluster,
                    None,
                    pv,
                    window.hours,
                    cost,
                    _monthly(cost, window),
                    source,
                    f"PV {pv} ({vol or 'no volume id'}) bound to no claim",
                )
            )
    ns_sql, ns_params = scope.sql_filter("NULL", "c.namespace") if not scope.admin else ("TRUE", [])
    for cluster, ns, pvc, hours, gb_hours, vol, bill in con.execute(
        f"""
        SELECT c.cluster, c.namespace, c.pvc, sum(c.running_hours),
               sum(c.running_hours * coalesce(c.requested_bytes, 0)) / 1e9, max(v.volume_id),
               (SELECT sum(b.effective_cost) FROM billing_lines b
                 WHERE b.resource_id = max(v.volume_id)
                   AND b.charge_period_start >= ? AND b.charge_period_start < ?)
        FROM pvc_hours c
        LEFT JOIN k8s_pvs v ON v.cluster = c.cluster AND v.pv = c.pv
        WHERE c.hour >= ? AND c.hour < ? AND {ns_sql}
          AND NOT EXISTS (SELECT 1 FROM pod_pvc_hours m WHERE m.cluster = c.cluster
                          AND m.namespace = c.namespace AND m.pvc = c.pvc
                          AND m.hour >= ? AND m.hour < ? AND m.running_hours > 0)
        GROUP BY 1, 2, 3
        """,
        w + w + ns_params + w,
    ).fetchall():
        if bill is not None:
            cost, source = Decimal(bill), "bill"
        else:
            cost, source = Decimal(repr(float(gb_hours))) * storage, "price_list"
        out.append(
            Orphan(
                "claim",
                cluster,
                ns,
                pvc,
                float(hours),
                cost,
                _monthly(cost, window),
                source,
                f"PVC {ns}/{pvc} ({vol or 'no volume id'}) mounted by no pod in the window",
            )
        )
    ns_sql, ns_params = scope.sql_filter("NULL", "s.namespace") if not scope.admin else ("TRUE", [])
    for cluster, ns, svc, ingress, hours, bill in con.execute(
        f"""
        SELECT s.cluster, s.namespace, s.service, max(s.lb_ingress), sum(s.running_hours),
               (SELECT sum(b.effective_cost) FROM billing_lines b
                 WHERE (b.resource_id = max(s.lb_ingress) OR b.resource_name = max(s.lb_ingress))
                   AND b.charge_period_start >= ? AND b.charge_period_start < ?)
        FROM service_hours s
        WHERE s.service_type = 'LoadBalancer' AND s.hour >= ? AND s.hour < ? AND {ns_sql}
          AND NOT EXISTS (SELECT 1 FROM service_pod_hours p WHERE p.cluster = s.cluster
                          AND p.namespace = s.namespace AND p.service = s.service
                          AND p.hour >= ? AND p.hour < ? AND p.running_hours > 0)
        GROUP BY 1, 2, 3
        """,
        w + w + ns_params + w,
    ).fetchall():
        lb_cost = Decimal(bill) if bill is not None else None
        out.append(
            Orphan(
                "load_balancer",
                cluster,
                ns,
                svc,
                float(hours),
                lb_cost,
                None if lb_cost is None else _monthly(lb_cost, window),
                "bill" if lb_cost is not None else "unknown",
                f"LoadBalancer {ns}/{svc} ({ingress or 'no ingress'}) has no backing pods",
            )
        )
    scope_sql, params = scope.sql_filter("a.team", "a.namespace")
    for cluster, ns, cost in con.execute(
        f"""
        SELECT a.cluster, a.namespace, sum(a.total_cost) FROM allocations a
        WHERE a.kind = 'workload' AND a.hour >= ? AND a.hour < ? AND {scope_sql}
          AND NOT EXISTS (SELECT 1 FROM container_hours c WHERE c.cluster = a.cluster
                          AND c.namespace = a.namespace AND c.hour >= ? AND c.hour < ?
                          AND c.running_hours > 0)
        GROUP BY 1, 2 HAVING sum(a.total_cost) > 0
        """,
        w + params + w,
    ).fetchall():
        out.append(
            Orphan(
                "namespace",
                cluster,
                ns,
                ns,
                window.hours,
                Decimal(cost),
                _monthly(Decimal(cost), window),
                "allocation",
                f"namespace {ns} costs money with no running pod",
            )
        )
    out.sort(key=lambda o: (-(o.monthly_cost or Decimal(0)), o.kind, o.name))
    return out


def _volume_cost(
    bill: Any, capacity: float | None, storage: Decimal, hours: float
) -> tuple[Decimal, str]:
    if bill is not None:
        return Decimal(bill), "bill"
    gb = Decimal(repr(float(capacity or 0))) / GB
    return gb * storage * Decimal(repr(hours)), "price_list"
