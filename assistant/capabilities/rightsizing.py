"""Rightsizing, its drafts, and GPU waste: ``rightsizing``, ``draft`` and ``gpu``.

Recommendations come from :mod:`assistant.rightsizing`; this is where every door gets the
same scope, the same "unknown namespace" answer, the same admin gating (fleet effect and
commitment coverage are cluster-wide) and the same bounds.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from assistant.allocation.freshness import stale_note
from assistant.capabilities.common import bounded, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.money import cents
from assistant.core.provenance import Provenance
from assistant.core.serialize import jsonable
from assistant.errors import DataGap, NotFound
from assistant.rightsizing.beyond import commitment_coverage, orphans, spot_candidates
from assistant.rightsizing.drafts import Draft, draft_change
from assistant.rightsizing.gpu import fold_gpu_groups, gpu_utilization, idle_gpus
from assistant.rightsizing.lookup import find_recommendation
from assistant.rightsizing.recommend import Recommendation, fleet_effect, recommend
from assistant.rightsizing.strategies import STRATEGIES
from assistant.warehouse.db import Connection
from assistant.windows import Window, parse_window

__all__ = [
    "DraftReport",
    "DraftRequest",
    "GpuReport",
    "GpuRequest",
    "RightsizingReport",
    "RightsizingRequest",
    "draft",
    "gpu",
    "rightsizing",
]

Extra = Literal["spot", "commitments", "orphans"]
_TABLES = ["container_hours", "k8s_pods", "node_cost_hours", "k8s_hpas", "allocations"]


class RightsizingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
    history_days: int = Field(14, ge=1, le=400, description="Days of usage history to use.")
    top_n: int | None = Field(
        None, ge=1, le=1000, description="Workloads to return, largest savings first."
    )
    include: list[Extra] = Field(
        default_factory=list,
        description="Also return: 'spot' (stateless workloads on "
        "on-demand nodes, with the bill's spot discount), 'commitments' (coverage of the steady "
        "baseline; admins only), 'orphans' (unattached volumes, idle load balancers, empty "
        "namespaces that cost money).",
    )


class RightsizingReport(BaseModel):
    recommendations: list[dict[str, Any]]
    totals: dict[str, Any]
    fleet_effect: dict[str, Any] | None
    spot_candidates: list[dict[str, Any]] | None = None
    commitments: dict[str, Any] | None = None
    orphans: list[dict[str, Any]] | None = None
    provenance: Provenance
    _all: list[Recommendation] = PrivateAttr(default_factory=list)

    def data(self) -> dict[str, Any]:
        """JSON without provenance, extras that were not asked for left out."""
        out: dict[str, Any] = jsonable(self.model_dump(exclude={"provenance"}, exclude_none=True))
        out["fleet_effect"] = jsonable(self.fleet_effect)
        return out

    @property
    def all_recommendations(self) -> list[Recommendation]:
        """Every workload, ready or not, for the CLI's table."""
        return self._all


def _window(ctx: Ctx, days: int) -> Window:
    return Window(ctx.now - timedelta(days=days), ctx.now)


def known_namespaces(con: Connection, ctx: Ctx) -> list[str]:
    """Namespaces with usage the asker may see (a team sees its allocation's namespaces)."""
    if ctx.scope.admin:
        rows = con.execute("SELECT DISTINCT namespace FROM container_hours ORDER BY 1").fetchall()
    else:
        sql, params = ctx.scope.sql_filter("team", "namespace")
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


def rightsizing(request: RightsizingRequest, ctx: Ctx) -> RightsizingReport:
    """Recommendations, savings and extras; NotFound for a namespace the asker cannot see."""
    settings = ctx.settings
    strategy = request.strategy or settings.rightsizing.strategy
    window = _window(ctx, request.history_days)
    prov = Provenance(
        tables=list(_TABLES),
        window=window.to_dict(),
        currency=settings.currency,
        filters={k: v for k, v in (("namespace", request.namespace), ("team", request.team)) if v},
        notes=[
            f"strategy {strategy}: {STRATEGIES[strategy].description}",
            "monthly = (cpu cores × $/core-h + memory GiB × $/GiB-h) × replicas × 730 h for "
            "live controllers; CronJobs per run × observed runs a month; one-off Jobs, "
            "finished pods and controllers gone by the end: window cost only, nothing a "
            "month; Jobs and bare pods are reported, never drafted (immutable); GPUs held "
            "idle add their idle cost",
        ],
    )
    with warehouse(ctx, prov) as con:
        freshness(con).apply(prov)
        if note := stale_note(con, window):  # savings are priced at allocation's prices
            prov.notes.append(note)
        recs = recommend(
            con,
            scope=ctx.scope,
            settings=settings,
            namespace=request.namespace,
            strategy=request.strategy,
            window=window,
            team=request.team,
        )
        if not recs and request.team:
            raise DataGap(
                f"No workload of team {request.team!r} with usage history in "
                f"{window.label()} that you may see.",
                hint="Check the team's name, or ask for a longer history.",
                provenance=prov,
            )
        if not recs:
            known = known_namespaces(con, ctx)
            if request.namespace and request.namespace not in known:
                raise NotFound(
                    f"No usage history for namespace {request.namespace!r} that you may see.",
                    hint=f"Known namespaces: {', '.join(known[:20]) or 'none'}.",
                    namespace=request.namespace,
                )
            raise DataGap(
                f"No container usage in {window.label()}.",
                hint="Run `penny ingest metrics` (or `penny demo`).",
                provenance=prov,
            )
        ok = [r for r in recs if r.status == "ok"]
        waiting = [r.workload for r in recs if r.status != "ok"]
        shown, more = bounded(ok, request.top_n)
        report = RightsizingReport(
            recommendations=[_compact(r.to_dict()) for r in shown],
            totals={
                "workloads_with_recommendation": len(ok),
                "monthly_savings": str(cents(sum((r.monthly_savings for r in ok), Decimal(0)))),
                "not_enough_data": waiting[:20],
                "not_enough_data_count": len(waiting),
            },
            fleet_effect=fleet_effect(con, recs) if ctx.scope.admin else None,
            provenance=prov,
        )
        if "spot" in request.include:
            found = spot_candidates(con, window=window, scope=ctx.scope, settings=settings)
            report.spot_candidates = [c.to_dict() for c in bounded(found, request.top_n)[0]]
            prov.tables += ["billing_lines", "pod_pvc_hours"]
        if "commitments" in request.include:
            report.commitments = (
                commitment_coverage(con, window=window)
                if ctx.scope.admin
                else {
                    "status": "refused",
                    "reason": "commitment coverage is cluster-wide; admins only",
                }
            )
        if "orphans" in request.include:
            found_o = orphans(con, window=window, scope=ctx.scope, settings=settings)
            report.orphans = [o.to_dict() for o in bounded(found_o, request.top_n)[0]]
            prov.tables += ["k8s_pvs", "pvc_hours", "service_hours", "service_pod_hours"]
    prov.row_count = len(recs)
    prov.truncated = more > 0
    if more:
        prov.notes.append(f"{more} more workloads not shown (raise top_n)")
    report._all = recs
    return report


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workload: str = Field(
        description="The workload as NAMESPACE/KIND/NAME (e.g. 'shop/Deployment/api'), "
        "KIND/NAME, or NAME when unique — use the 'workload' value the rightsizing tool returned."
    )
    namespace: str | None = Field(None, description="Namespace, if workload is a bare NAME.")
    format: Literal["patch", "kustomize", "pr", "diff"] = Field(
        "patch",
        description="'patch' = strategic merge patch YAML with the kubectl command, "
        "HPA rewrite and in-place resize commands; 'kustomize' = a patch file with its target "
        "selector; 'pr' = a pull-request description with a cost table and the evidence.",
    )
    strategy: Literal["simple", "vpa"] | None = Field(None, description="As in rightsizing.")
    history_days: int = Field(14, ge=1, le=400, description="Days of usage history to use.")


class DraftReport(BaseModel):
    workload: str
    format: str
    text: str
    patch_type: str | None
    patch: Any
    kubectl_command: str | None
    hpa_command: str | None
    resize_commands: list[str]
    notes: list[str]
    monthly_savings: str
    provenance: Provenance
    _rec: Recommendation = PrivateAttr()
    _draft: Draft = PrivateAttr()

    @property
    def recommendation(self) -> Recommendation:
        return self._rec

    @property
    def draft(self) -> Draft:
        return self._draft


def draft(request: DraftRequest, ctx: Ctx, *, manifests_dir: Path | None = None) -> DraftReport:
    """The reviewable change for one workload; never applied. ``manifests_dir`` (the CLI's
    --manifests) lets a diff be drawn against the user's own files."""
    settings = ctx.settings
    window = _window(ctx, request.history_days)
    prov = Provenance(
        tables=list(_TABLES),
        window=window.to_dict(),
        currency=settings.currency,
        filters={"workload": request.workload},
    )
    with warehouse(ctx, prov) as con:
        freshness(con).apply(prov)
        if note := stale_note(con, window):  # savings are priced at allocation's prices
            prov.notes.append(note)
        recs = recommend(
            con,
            scope=ctx.scope,
            settings=settings,
            namespace=request.namespace,
            strategy=request.strategy,
            window=window,
        )
    rec = find_recommendation(recs, request.workload, request.namespace)  # NotFound
    if rec.status != "ok":
        raise DataGap(
            f"{rec.workload} has only {rec.history_hours} h of usage history; a recommendation "
            f"needs {settings.rightsizing.min_history_hours} h.",
            provenance=prov,
        )
    result = draft_change(rec, fmt=request.format, manifests_dir=manifests_dir)
    prov.row_count = 1
    prov.notes.append("draft only: nothing was applied to the cluster")
    report = DraftReport(
        workload=rec.workload,
        format=request.format,
        text=result.text,
        patch_type=result.patch_type,
        patch=result.patch,
        kubectl_command=result.kubectl_command,
        hpa_command=result.hpa_command,
        resize_commands=list(result.resize_commands),
        notes=list(result.notes),
        monthly_savings=str(rec.to_dict()["monthly_savings"]),
        provenance=prov,
    )
    report._rec, report._draft = rec, result
    return report


class GpuRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(
        "7d",
        description="Period: '7d', '24h', 'YYYY-MM', 'last-month', or "
        "'START..END' (end exclusive).",
    )
    by: Literal["workload", "pod", "namespace", "team", "model", "node"] = Field(
        "workload", description="Group GPU use by this dimension."
    )
    idle_only: bool = Field(
        False,
        description="true = list the idle GPUs themselves (device, "
        "pod, owner, team, idle hours and cost) instead of groups.",
    )
    top_n: int | None = Field(
        None, ge=1, le=1000, description="Rows to return, costliest idle first."
    )


class GpuReport(BaseModel):
    window: str
    rows: list[dict[str, Any]]
    idle_cost_total: str
    rows_total: int
    #: Σ cost of every group (not only the rows shown): the GPU cost the bill paid,
    #: equal to the GPU column of costs(); None for the idle-GPU list
    cost_total: str | None = None
    provenance: Provenance


def gpu(request: GpuRequest, ctx: Ctx) -> GpuReport:
    settings = ctx.settings
    window = parse_window(request.window, now=ctx.now)
    rs = settings.rightsizing
    prov = Provenance(
        tables=["allocations", "node_cost_hours", "gpu_hours"],
        window=window.to_dict(),
        currency=settings.currency,
        group_by=request.by,
        notes=[
            f"idle = activity < {rs.gpu_idle_threshold_pct:g}% for ≥ "
            f"{rs.gpu_idle_min_hours} consecutive hours",
            "GPU-hours and cost are the allocation's (MIG slices and time-sliced GPUs by "
            "their share of a physical GPU); the rows add up to the GPU cost of costs()",
        ],
    )
    cost_total: Decimal | None = None
    with warehouse(ctx, prov) as con:
        freshness(con).apply(prov)
        if request.idle_only:
            found = idle_gpus(con, window=window, scope=ctx.scope, settings=settings)
            rows = [g.to_dict() for g in bounded(found, request.top_n)[0]]
            total = sum((g.idle_cost for g in found), Decimal(0))
            count = len(found)
        else:
            groups = gpu_utilization(
                con, window=window, by=request.by, scope=ctx.scope, settings=settings
            )
            shown, more = bounded(groups, request.top_n)
            if more:  # the rest as one row, so the rows add up to cost_total
                shown = [*shown, fold_gpu_groups(groups[len(shown) :], request.by)]
            rows = [
                {k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in shown
            ]
            total = sum((r["idle_cost"] for r in groups), Decimal(0))
            cost_total = sum((r["cost"] for r in groups), Decimal(0))
            estimated = sum((r["estimated_cost"] for r in groups), Decimal(0))
            count = len(groups)
            if estimated:
                prov.notes.append(
                    f"{estimated} of GPU cost is an estimate (price list, no bill line): "
                    "in estimated_cost, not in cost"
                )
    if count == 0:
        raise DataGap(
            f"No GPU {'idle time' if request.idle_only else 'metrics'} in {window.label()} "
            "that you may see." + ("" if request.idle_only else " Is DCGM exporter scraped?"),
            provenance=prov,
        )
    prov.row_count = count
    prov.truncated = request.top_n is not None and count > request.top_n
    return GpuReport(
        window=window.label(),
        rows=rows,
        idle_cost_total=str(cents(total)),
        rows_total=count,
        cost_total=None if cost_total is None else str(cost_total),
        provenance=prov,
    )
