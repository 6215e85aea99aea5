"""rightsizing: per-workload request recommendations with monthly dollar savings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.rightsizing.beyond import commitment_coverage, orphans, spot_candidates
from assistant.rightsizing.recommend import fleet_effect, recommend
from assistant.rightsizing.savings import to_cents
from assistant.rightsizing.strategies import STRATEGIES
from assistant.warehouse.db import Connection, reader
from assistant.windows import Window
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "freshness", "known_namespaces", "rightsizing"]

Extra = Literal["spot", "commitments", "orphans"]


class Args(BaseModel):
    namespace: str | None = Field(
        None,
        description="Only this namespace (exact name, e.g. 'payments-prod'); omit for all "
        "namespaces the asker may see.",
    )
    team: str | None = Field(
        None, description="Only this team's workloads (exact name, e.g. 'payments')."
    )
    strategy: Literal["simple", "vpa"] | None = Field(
        None,
        description="'simple' (KRR-style: CPU request = p95 of hourly peaks, no CPU limit; "
        "memory = max working set × 1.15) or 'vpa' (decaying histogram, p90 × 1.15, with a "
        "confidence). Omit for the configured default.",
    )
    history_days: int = Field(14, ge=1, le=90, description="Days of usage history to use.")
    top_n: int = Field(10, ge=1, le=50, description="Workloads to return, largest savings first.")
    include: list[Extra] = Field(
        default_factory=list,
        description="Also return: 'spot' (stateless workloads on "
        "on-demand nodes, with the bill's spot discount), 'commitments' (coverage of the steady "
        "baseline; admins only), 'orphans' (unattached volumes, idle load balancers, empty "
        "namespaces that cost money).",
    )


def freshness(con: Connection) -> str | None:
    row = con.execute("SELECT max(finished_at) FROM ingest_log WHERE status = 'ok'").fetchone()
    return row[0].isoformat() + "Z" if row and row[0] else None


def known_namespaces(con: Connection, scope: Scope) -> list[str]:
    """Namespaces with usage the asker may see (a team sees its allocation's namespaces)."""
    if scope.admin:
        rows = con.execute("SELECT DISTINCT namespace FROM container_hours ORDER BY 1").fetchall()
    else:
        sql, params = scope.sql_filter("team", "namespace")
        rows = con.execute(
            "SELECT DISTINCT namespace FROM allocations WHERE kind = 'workload' "
            f"AND {sql} ORDER BY 1",
            params,
        ).fetchall()
    return [r[0] for r in rows if r[0]]


def _compact(rec: dict[str, Any]) -> dict[str, Any]:
    rec.pop("window", None)
    for c in rec["containers"]:
        c["evidence"] = {
            k: (round(v, 4) if isinstance(v, float) else v) for k, v in c["evidence"].items()
        }
    return rec


@tool("rightsizing", Args)
def rightsizing(args: Args, ctx: ToolContext) -> ToolResult:
    """Rightsizing recommendations from the warehouse's usage history: for each workload
    (Deployment, StatefulSet, DaemonSet, CronJob, Job, bare Pod) and container, current vs
    proposed CPU/memory requests and limits, the evidence (percentiles, peak, OOM kills,
    history hours), the monthly cost now and after at the allocation's unit prices
    (× replicas × 730 h), the monthly savings as exact decimal strings, a severity, how many
    nodes the change frees at today's packing, and the HPA target rewrite that keeps the
    scale point when an HPA scales on CPU or memory. Workloads with too little history are
    listed as not_enough_data. Optional extras: spot candidates, commitment coverage,
    orphaned resources. Nothing is applied; use draft_rightsizing_change for a patch."""
    settings = ctx.settings
    if not settings.db_path.exists():
        return ToolResult.no_data(
            f"No warehouse at {settings.db_path}: run `penny demo` or `penny ingest …` first."
        )
    window = Window(ctx.now - timedelta(days=args.history_days), ctx.now)
    prov = Provenance(
        tables=["container_hours", "k8s_pods", "node_cost_hours", "k8s_hpas", "allocations"],
        window=window.to_dict(),
        currency=settings.currency,
        filters={
            k: v for k, v in (("namespace", args.namespace), ("team", args.team)) if v
        },
        notes=[
            f"strategy {args.strategy or settings.rightsizing.strategy}: "
            f"{STRATEGIES[args.strategy or settings.rightsizing.strategy].description}",
            "monthly = (cpu cores × $/core-h + memory GiB × $/GiB-h) × replicas × 730 h",
        ],
    )
    with reader(settings) as con:
        prov.freshness = freshness(con)
        recs = recommend(
            con,
            scope=ctx.scope,
            settings=settings,
            namespace=args.namespace,
            strategy=args.strategy,
            window=window,
            team=args.team,
        )
        if not recs and args.team:
            return ToolResult.no_data(
                f"No workload of team {args.team!r} with usage history in {window.label()} "
                "that you may see.",
                prov,
            )
        if not recs:
            known = known_namespaces(con, ctx.scope)
            if args.namespace and args.namespace not in known:
                return ToolResult.failure(
                    f"No usage history for namespace {args.namespace!r} that you may see. "
                    f"Known namespaces: {', '.join(known[:20]) or 'none'}.",
                    prov,
                )
            return ToolResult.no_data(
                f"No container usage in {window.label()}; run `penny ingest metrics`.", prov
            )
        data: dict[str, Any] = {}
        ok = [r for r in recs if r.status == "ok"]
        waiting = [r.workload for r in recs if r.status != "ok"]
        shown = ok[: args.top_n]
        data["recommendations"] = [_compact(r.to_dict()) for r in shown]
        data["totals"] = {
            "workloads_with_recommendation": len(ok),
            "monthly_savings": str(to_cents(sum((r.monthly_savings for r in ok), Decimal(0)))),
            "not_enough_data": waiting[:20],
            "not_enough_data_count": len(waiting),
        }
        data["fleet_effect"] = fleet_effect(con, recs) if ctx.scope.admin else None
        if "spot" in args.include:
            data["spot_candidates"] = [
                c.to_dict()
                for c in spot_candidates(con, window=window, scope=ctx.scope, settings=settings)[
                    : args.top_n
                ]
            ]
            prov.tables += ["billing_lines", "pod_pvc_hours"]
        if "commitments" in args.include:
            data["commitments"] = (
                commitment_coverage(con, window=window)
                if ctx.scope.admin
                else {
                    "status": "refused",
                    "reason": "commitment coverage is cluster-wide; admins only",
                }
            )
        if "orphans" in args.include:
            data["orphans"] = [
                o.to_dict()
                for o in orphans(con, window=window, scope=ctx.scope, settings=settings)[
                    : args.top_n
                ]
            ]
            prov.tables += ["k8s_pvs", "pvc_hours", "service_hours", "service_pod_hours"]
    prov.row_count = len(recs)
    prov.truncated = len(ok) > len(shown)
    if prov.truncated:
        prov.notes.append(f"{len(ok) - len(shown)} more workloads not shown (raise top_n)")
    return ToolResult.success(data, prov)
