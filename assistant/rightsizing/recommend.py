"""`recommend()`: per workload and container, what to request, why, and what it saves.

Reads history (``history.py``), asks a strategy (``strategies.py``), co-tunes an HPA
(``hpa.py``), prices the change (``savings.py``) and ranks by monthly savings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from assistant.config import Settings
from assistant.core.money import cents
from assistant.core.scope import Scope
from assistant.rightsizing.gpu_findings import attach_gpu_findings
from assistant.rightsizing.history import ContainerHistory, load_history
from assistant.rightsizing.hpa import co_tune
from assistant.rightsizing.kinds import disposition
from assistant.rightsizing.models import ContainerRec, Recommendation
from assistant.rightsizing.savings import (
    SEVERITY_ORDER,
    nodes_freed,
    severity,
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
    last_hours = _cluster_last_hours(con, window)
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
        _apply_disposition(rec, hs, last_hours.get(cluster))
        if (cluster, ns, kind, name) in hpas and rec.status == "ok" and rec.draftable:
            _apply_hpa(rec, hpas[(cluster, ns, kind, name)])
        recs.append(rec)
    attach_gpu_findings(con, recs, window=window, scope=scope, settings=settings)
    for rec in recs:
        rec.severity = severity(
            rec.monthly_savings,
            raises_memory=any(
                float(c.proposed["ram_request"] or 0) > float(c.current["ram_request"] or 0)
                for c in rec.containers
            ),
            oom_kills=rec.oom_kills,
        )
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


def _cluster_last_hours(con: Connection, window: Window) -> dict[str, datetime]:
    """The last hour with container data per cluster: what "still running" is judged by."""
    rows = con.execute(
        "SELECT cluster, max(hour) FROM container_hours WHERE hour >= ? AND hour < ? "
        "GROUP BY cluster",
        [window.start, window.end],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _apply_disposition(
    rec: Recommendation, hs: list[ContainerHistory], cluster_last: datetime | None
) -> None:
    """Settle what the kind lets the recommendation promise (``kinds``): window figures
    for everyone, monthly figures only for what runs next month, per run for CronJobs."""
    span = max(h.span_hours for h in hs)
    starts = sorted({t for h in hs for t in h.run_starts})
    last = max((h.last_hour for h in hs if h.last_hour is not None), default=None)
    rec.disposition = disposition(
        rec.kind, last_hour=last, cluster_last_hour=cluster_last, span_hours=span,
        run_starts=starts,
    )  # fmt: skip
    month = Decimal(730)
    for c in rec.containers:
        observed = Decimal(c.span_hours) / month if c.span_hours else Decimal(0)
        rec.window_cost += c.current_monthly * observed
        rec.window_savings += (c.current_monthly - c.proposed_monthly) * observed
        months = rec.disposition.month_span_hours
        if months is None:
            c.current_monthly = c.proposed_monthly = Decimal(0)
        elif months != c.span_hours:
            # the same cost over the observed hours, spread over the hours it stands for
            c.current_monthly = c.current_monthly * Decimal(c.span_hours) / Decimal(months)
            c.proposed_monthly = c.proposed_monthly * Decimal(c.span_hours) / Decimal(months)
    if rec.disposition.note:
        rec.notes.append(rec.disposition.note)


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
            "monthly_savings": str(cents(sum((r.monthly_savings for r in mine), Decimal("0")))),
        }
    return out
