"""`recommend()`: per workload and container, what to request, why, and what it saves.

Reads history (``history.py``), asks a strategy (``strategies.py``), co-tunes an HPA
(``hpa.py``), prices the change (``savings.py``) and ranks by monthly savings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.rightsizing.history import ContainerHistory, load_history
from assistant.rightsizing.hpa import HpaAdvice, co_tune
from assistant.rightsizing.savings import (
    SEVERITY_ORDER,
    monthly_billed_cost,
    nodes_freed,
    severity,
    to_cents,
)
from assistant.rightsizing.strategies import (
    ContainerAdvice,
    get_strategy,
    round_cpu,
    round_memory,
)
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["ContainerRec", "Recommendation", "default_window", "fleet_effect", "recommend"]

HISTORY_DAYS = 14


@dataclass
class ContainerRec:
    container: str
    status: str
    current: dict[str, float | None]
    proposed: dict[str, float | None]
    evidence: dict[str, Any]
    notes: list[str]
    confidence: float | None
    current_monthly: Decimal
    proposed_monthly: Decimal
    usage: list[tuple[float, float | None, float | None]] = field(default_factory=list, repr=False)
    span_hours: int = 0

    @property
    def monthly_savings(self) -> Decimal:
        return self.current_monthly - self.proposed_monthly

    def price(
        self,
        cpu_request: float | None,
        ram_request: float | None,
        *,
        cpu_price: Decimal,
        ram_price: Decimal,
    ) -> Decimal:
        return monthly_billed_cost(
            cpu_request,
            ram_request,
            self.usage,
            cpu_price=cpu_price,
            ram_price=ram_price,
            span_hours=self.span_hours,
        )


@dataclass
class Recommendation:
    cluster: str
    namespace: str
    kind: str
    name: str
    team: str | None
    strategy: str
    status: str  # ok | not_enough_data | no_usage
    containers: list[ContainerRec]
    replicas: float
    window: Window
    history_hours: int
    cpu_price: Decimal
    ram_price: Decimal
    price_source: str
    capacity_types: list[str]
    pods: list[str]
    hpa: HpaAdvice | None = None
    severity: str = "low"
    nodes_freed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def workload(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    @property
    def qualified(self) -> str:
        """CLUSTER:NAMESPACE/KIND/NAME, unique across clusters."""
        return f"{self.cluster}:{self.workload}"

    @property
    def current_monthly(self) -> Decimal:
        return sum((c.current_monthly for c in self.containers), Decimal("0"))

    @property
    def proposed_monthly(self) -> Decimal:
        return sum((c.proposed_monthly for c in self.containers), Decimal("0"))

    @property
    def monthly_savings(self) -> Decimal:
        return self.current_monthly - self.proposed_monthly

    @property
    def oom_kills(self) -> int:
        return sum(int(c.evidence.get("oom_kills") or 0) for c in self.containers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view; dollars as cent strings."""
        return {
            "workload": self.workload,
            "qualified": self.qualified,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "team": self.team,
            "strategy": self.strategy,
            "status": self.status,
            "severity": self.severity,
            "replicas": round(self.replicas, 3),
            "history_hours": self.history_hours,
            "window": self.window.to_dict(),
            "current_monthly": str(to_cents(self.current_monthly)),
            "proposed_monthly": str(to_cents(self.proposed_monthly)),
            "monthly_savings": str(to_cents(self.monthly_savings)),
            "unit_prices": {
                "cpu_core_hour": str(self.cpu_price),
                "ram_gib_hour": str(self.ram_price),
                "source": self.price_source,
            },
            "capacity_types": self.capacity_types,
            "nodes_freed": self.nodes_freed,
            "hpa": asdict(self.hpa) if self.hpa else None,
            "containers": [
                {
                    "container": c.container,
                    "status": c.status,
                    "current": c.current,
                    "proposed": c.proposed,
                    "evidence": c.evidence,
                    "notes": c.notes,
                    "confidence": c.confidence,
                    "current_monthly": str(to_cents(c.current_monthly)),
                    "proposed_monthly": str(to_cents(c.proposed_monthly)),
                    "monthly_savings": str(to_cents(c.monthly_savings)),
                }
                for c in self.containers
            ],
            "notes": self.notes,
        }


def default_window(settings: Settings, days: int = HISTORY_DAYS) -> Window:
    end = settings.current_time()
    return Window(end - timedelta(days=days), end)


def _container_rec(hist: ContainerHistory, advice: ContainerAdvice) -> ContainerRec:
    current = {
        "cpu_request": hist.cpu_request,
        "cpu_limit": hist.cpu_limit,
        "ram_request": hist.ram_request,
        "ram_limit": hist.ram_limit,
    }
    proposed = (
        dict(current)
        if advice.status != "ok"
        else {
            "cpu_request": advice.cpu_request,
            "cpu_limit": advice.cpu_limit,
            "ram_request": advice.ram_request,
            "ram_limit": advice.ram_limit,
        }
    )
    rec = ContainerRec(
        hist.container,
        advice.status,
        current,
        proposed,
        advice.evidence,
        advice.notes,
        advice.confidence,
        Decimal(0),
        Decimal(0),
        usage=[(p.running_hours, p.cpu_avg, p.ram_avg) for p in hist.points],
        span_hours=hist.span_hours,
    )
    prices = {"cpu_price": hist.cpu_price, "ram_price": hist.ram_price}
    rec.current_monthly = rec.price(hist.cpu_request, hist.ram_request, **prices)
    rec.proposed_monthly = rec.price(proposed["cpu_request"], proposed["ram_request"], **prices)
    return rec


def _hpas(con: Connection) -> dict[tuple[str, str, str, str], tuple[str, str, float]]:
    rows = con.execute(
        "SELECT cluster, namespace, target_kind, target_name, hpa, metric_name, "
        "target_utilization FROM k8s_hpas WHERE metric_name IN ('cpu', 'memory') "
        "AND target_utilization IS NOT NULL ORDER BY hpa"
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]): (r[4], r[5], float(r[6])) for r in rows}


def _apply_hpa(rec: Recommendation, hpa: tuple[str, str, float]) -> None:
    name, metric, target = hpa
    ok = [c for c in rec.containers if c.status == "ok"]
    key = "cpu_request" if metric == "cpu" else "ram_request"
    cur = sum(float(c.current[key] or 0) for c in rec.containers)
    new = sum(float(c.proposed[key] or 0) for c in rec.containers)
    if not ok or cur <= 0 or new <= 0:
        return
    advice = co_tune(name, metric, target, cur, new)
    rec.hpa = advice
    if advice.clamped == "high":
        factor = advice.request / new
        for c in ok:
            value = float(c.proposed[key] or 0) * factor
            c.proposed[key] = round_cpu(value, 0.001) if metric == "cpu" else round_memory(value, 0)
            if metric == "memory" and c.proposed.get("ram_limit") is not None:
                c.proposed["ram_limit"] = max(
                    float(c.proposed["ram_limit"] or 0), float(c.proposed[key] or 0)
                )
            c.proposed_monthly = c.price(
                c.proposed["cpu_request"],
                c.proposed["ram_request"],
                cpu_price=rec.cpu_price,
                ram_price=rec.ram_price,
            )
    rec.notes.append(f"HPA {name} ({metric}): {advice.note}")


def recommend(
    con: Connection,
    *,
    scope: Scope,
    settings: Settings,
    namespace: str | None = None,
    strategy: str | None = None,
    window: Window | None = None,
    team: str | None = None,
) -> list[Recommendation]:
    """Recommendations for every visible workload (or one team's), ranked by severity, then
    monthly savings.

    Workloads without enough history come last with status ``not_enough_data``.
    """
    strat = get_strategy(strategy, settings)
    window = window or default_window(settings)
    histories = load_history(
        con, window=window, scope=scope, settings=settings, namespace=namespace
    )
    groups: dict[tuple[str, str, str, str], list[ContainerHistory]] = {}
    for h in histories:
        groups.setdefault((h.cluster, h.namespace, h.kind, h.name), []).append(h)
    hpas = _hpas(con)
    recs: list[Recommendation] = []
    for (cluster, ns, kind, name), hs in groups.items():
        first = hs[0]
        if team is not None and next((h.team for h in hs if h.team), None) != team:
            continue
        containers = [_container_rec(h, strat.advise(h)) for h in hs]
        statuses = {c.status for c in containers}
        rec = Recommendation(
            cluster,
            ns,
            kind,
            name,
            next((h.team for h in hs if h.team), None),
            strat.name,
            "ok" if "ok" in statuses else sorted(statuses)[0],
            containers,
            max(h.replicas for h in hs),
            window,
            max(h.history_hours for h in hs),
            first.cpu_price,
            first.ram_price,
            first.price_source,
            sorted(set().union(*(h.capacity_types for h in hs))),
            first.pods,
        )
        if (cluster, ns, kind, name) in hpas and rec.status == "ok":
            _apply_hpa(rec, hpas[(cluster, ns, kind, name)])
        raises = any(
            float(c.proposed["ram_request"] or 0) > float(c.current["ram_request"] or 0)
            for c in containers
        )
        rec.severity = severity(rec.monthly_savings, raises_memory=raises, oom_kills=rec.oom_kills)
        recs.append(rec)
    _node_effects(con, recs, window)
    # severity first (an OOM-killed workload's memory raise outranks a small saving), then $
    recs.sort(
        key=lambda r: (
            r.status != "ok",
            SEVERITY_ORDER.index(r.severity),
            -r.monthly_savings,
            r.qualified,
        )
    )
    return recs


def _cluster_load(con: Connection, window: Window) -> dict[str, tuple[float, float, float]]:
    """Per cluster, averaged over the hours with data in the window: (nodes running, CPU
    requested cores, memory requested bytes) — averages, like the replicas savings use."""
    rows = con.execute(
        """
        WITH c AS (
            SELECT cluster, count(DISTINCT hour) AS hours,
                   sum(coalesce(cpu_request_cores, 0) * running_hours) AS cpu,
                   sum(coalesce(ram_request_bytes, 0) * running_hours) AS ram,
                   count(DISTINCT (node, hour)) AS node_hours
            FROM container_hours WHERE hour >= ? AND hour < ? GROUP BY cluster),
        n AS (SELECT cluster, sum(running_hours) AS node_hours FROM node_hours
              WHERE hour >= ? AND hour < ? GROUP BY cluster)
        SELECT c.cluster, coalesce(n.node_hours, c.node_hours) / c.hours, c.cpu / c.hours,
               c.ram / c.hours
        FROM c LEFT JOIN n USING (cluster)
        """,
        [window.start, window.end, window.start, window.end],
    ).fetchall()
    return {r[0]: (float(r[1] or 0), float(r[2] or 0), float(r[3] or 0)) for r in rows}


def _freed(rec: Recommendation, key: str) -> float:
    return (
        sum(
            (float(c.current[key] or 0) - float(c.proposed[key] or 0))
            for c in rec.containers
            if c.status == "ok"
        )
        * rec.replicas
    )


def _node_effects(con: Connection, recs: list[Recommendation], window: Window) -> None:
    load = _cluster_load(con, window)
    for rec in recs:
        nodes, cpu, ram = load.get(rec.cluster, (0, 0.0, 0.0))
        rec.nodes_freed = nodes_freed(
            nodes=nodes,
            cpu_requested=cpu,
            ram_requested=ram,
            cpu_freed=_freed(rec, "cpu_request"),
            ram_freed=_freed(rec, "ram_request"),
        )


def fleet_effect(con: Connection, recs: list[Recommendation]) -> dict[str, Any]:
    """All changes together: monthly savings and nodes freed per cluster at today's packing."""
    load = _cluster_load(con, recs[0].window) if recs else {}
    out: dict[str, Any] = {}
    for cluster, (nodes, cpu, ram) in sorted(load.items()):
        mine = [r for r in recs if r.cluster == cluster and r.status == "ok"]
        out[cluster] = {
            "nodes": round(nodes, 2),
            "cpu_requested_cores": round(cpu, 3),
            "cpu_freed_cores": round(sum(_freed(r, "cpu_request") for r in mine), 3),
            "ram_freed_gib": round(sum(_freed(r, "ram_request") for r in mine) / 1024**3, 3),
            "nodes_freed": nodes_freed(
                nodes=nodes,
                cpu_requested=cpu,
                ram_requested=ram,
                cpu_freed=sum(_freed(r, "cpu_request") for r in mine),
                ram_freed=sum(_freed(r, "ram_request") for r in mine),
            ),
            "monthly_savings": str(to_cents(sum((r.monthly_savings for r in mine), Decimal("0")))),
        }
    return out
