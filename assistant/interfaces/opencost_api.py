"""The OpenCost-compatible read API: ``/allocation``, ``/assets`` and ``/cloudCost``.

Existing OpenCost clients (kubectl-cost, Grafana JSON data sources, scripts) read Penny
unchanged: the request parameters and the response shape are OpenCost's
(``{code, status, data}``; allocations keyed by name with camelCase cost fields), the
numbers are Penny's reconciled ones from the ``costs`` and ``assets`` capabilities, with
the same bearer tokens and scopes as ``/v1``. Each route parses OpenCost's vocabulary
(:mod:`assistant.interfaces.opencost_shape`), calls capabilities and renders; refusals
(minute windows, multi-valued filters, per-node idle sharing) name what Penny can do.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from assistant.capabilities.assets import AssetsRequest, NodeAsset, assets
from assistant.capabilities.context import Ctx
from assistant.capabilities.costs import CostLine, CostsRequest, costs
from assistant.config import Settings
from assistant.core.money import micro_float
from assistant.core.placeholders import IDLE
from assistant.errors import DataGap, InputError
from assistant.interfaces import opencost_shape as oc
from assistant.interfaces.auth import Principal
from assistant.interfaces.routes import principal
from assistant.windows import Window

__all__ = ["router"]

router = APIRouter(tags=["opencost"])
Caller = Annotated[Principal, Depends(principal)]
#: idleByNode asks one costs query per node; past this, /assets is the better question
MAX_IDLE_NODES = 200

_WINDOW_DOC = (
    "today, week, month, yesterday, lastweek, lastmonth, 12h, 7d, an RFC3339 pair "
    "(2026-10-01T00:00:00Z,2026-11-01T00:00:00Z), Unix seconds, or Penny's 2026-10 / "
    "START..END. Whole hours only."
)


def _ok(data: Any, extra: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"code": 200, "status": "success", "data": data, **(extra or {})})


def _ctx(request: Request, who: Principal) -> Ctx:
    settings: Settings = request.app.state.settings
    return Ctx.create(settings, who.scope)


def _span(window: Window) -> str:
    return f"{oc.rfc3339(window.start)}..{oc.rfc3339(window.end)}"


@router.get(
    "/allocation",
    summary="OpenCost /allocation: cost per aggregate per step, Penny's reconciled numbers",
)
@router.get("/allocation/compute", include_in_schema=False)
@router.get("/model/allocation", include_in_schema=False)
def allocation(
    request: Request,
    who: Caller,
    window: Annotated[str, Query(description=_WINDOW_DOC)],
    aggregate: Annotated[
        str | None,
        Query(description="cluster|node|namespace|controller|service|pod|container|label:NAME"),
    ] = None,
    step: Annotated[str | None, Query(description="Set length (1h, 1d, 7d); default: window")] = (
        None
    ),
    accumulate: Annotated[str | None, Query(description="true: one set for the window")] = None,
    shareIdle: Annotated[str | None, Query(description="Spread idle onto workloads")] = None,
    idleByNode: Annotated[str | None, Query(description="Idle per node (__idle__ split)")] = None,
    includeIdle: Annotated[str | None, Query(description="false: leave __idle__ out")] = None,
    shareNamespaces: Annotated[str | None, Query(description="a,b: spread these")] = None,
    shareSplit: Annotated[str | None, Query(description="weighted | even")] = None,
    filter: Annotated[str | None, Query(description='v2 filter: namespace:"x"+label[app]:"y"')] = (
        None
    ),
    resolution: Annotated[str | None, Query(description="Accepted; Penny is hourly")] = None,
) -> JSONResponse:
    ctx = _ctx(request, who)
    span = oc.parse_window_param(window, ctx.now)
    dimension = oc.aggregate_to_dimension(aggregate)
    share_idle = oc.parse_bool(shareIdle, "shareIdle", ctx.settings.allocation.share_idle)
    by_node = oc.parse_bool(idleByNode, "idleByNode", False)
    with_idle = oc.parse_bool(includeIdle, "includeIdle", True)
    if by_node and share_idle:
        raise InputError(
            "shareIdle with idleByNode=true is not supported: Penny shares idle per cluster "
            "and resource (OpenCost's idleByNode=false).",
            hint="Drop idleByNode, or use idleByNode=true without shareIdle to see idle per node.",
        )
    if shareSplit not in (None, "", "weighted", "even"):
        raise InputError(f"shareSplit={shareSplit!r} is not weighted or even.", value=shareSplit)
    steps = oc.split_steps(span, oc.parse_step(step))
    if oc.parse_bool(accumulate, "accumulate", False):
        steps = [span]
    base = CostsRequest(
        window=_span(span),
        group_by=dimension,
        filters=oc.parse_filter(filter),
        share_idle=share_idle,
        shared_namespaces=[n for n in (shareNamespaces or "").split(",") if n.strip()] or None,
        share_split=shareSplit or None,  # type: ignore[arg-type]
        # OpenCost's Allocation API: node and cluster sets are the pods' cost with idle its
        # own __idle__ set, not Penny's asset view (that is /assets)
        view="allocation",
    )
    sets: list[dict[str, Any]] = []
    gaps: list[DataGap] = []
    notes: list[str] = []
    sharing: dict[str, Any] = {}
    for part in steps:
        req = base.model_copy(update={"window": _span(part)})
        try:
            report = costs(req, ctx)
        except DataGap as gap:  # an empty set for that step; all empty is the error
            gaps.append(gap)
            sets.append({})
            continue
        rows = [r for r in report.rows if with_idle or r.name != IDLE]
        if by_node and with_idle:
            rows = _idle_by_node(rows, req, ctx)
        sets.append(dict(oc.allocation(r, dimension, part) for r in rows))
        notes = [*report.provenance.notes]
        sharing = report.sharing
    if len(gaps) == len(steps):
        raise gaps[0]
    return _ok(
        sets,
        {"penny": {"currency": ctx.settings.currency, "sharing": sharing, "notes": notes}},
    )


def _idle_by_node(rows: list[CostLine], req: CostsRequest, ctx: Ctx) -> list[CostLine]:
    """The one ``__idle__`` row replaced by one per node (``NODE/__idle__``), each the
    costs capability's idle for that node, so they add up to the row they replace."""
    idle = [r for r in rows if r.name == IDLE]
    if not idle or req.filters.get("node"):
        return rows
    nodes = [n.node for n in _nodes(req, ctx)]
    if len(nodes) > MAX_IDLE_NODES:
        raise InputError(
            f"idleByNode over {len(nodes)} nodes would take one query per node.",
            hint="Read per-node idle from /assets (idleCost per node) instead.",
        )
    split: list[CostLine] = []
    for node in nodes:
        per = costs(req.model_copy(update={"filters": {**req.filters, "node": node}}), ctx)
        split.extend(
            r.model_copy(update={"name": f"{node}/{IDLE}"}) for r in per.rows if r.name == IDLE
        )
    return [r for r in rows if r.name != IDLE] + split


def _nodes(req: CostsRequest, ctx: Ctx) -> list[NodeAsset]:
    try:
        return assets(AssetsRequest(window=req.window, basis=req.basis), ctx).nodes
    except DataGap:
        return []


@router.get("/assets", summary="OpenCost /assets: each node's cost on the bill, with its idle")
@router.get("/model/assets", include_in_schema=False)
def assets_route(
    request: Request,
    who: Caller,
    window: Annotated[str, Query(description=_WINDOW_DOC)],
    filter: Annotated[str | None, Query(description='cluster:"x" or node:"y"')] = None,
) -> JSONResponse:
    ctx = _ctx(request, who)
    span = oc.parse_window_param(window, ctx.now)
    wanted = oc.parse_filter(filter)
    unknown = set(wanted) - {"cluster", "node"}
    if unknown:
        raise InputError(
            f"/assets filters on cluster and node only, not {', '.join(sorted(unknown))}.",
            value=filter,
        )
    report = assets(AssetsRequest(window=_span(span)), ctx)
    data = {}
    for n in report.nodes:
        if any(getattr(n, k) != v for k, v in wanted.items()):
            continue
        key, body = _node_asset(n, span)
        data[key] = body
    estimated = {k: micro_float(v) for k, v in report.estimated.items() if _wants(k, wanted)}
    penny = {"currency": report.currency, "notes": report.provenance.notes}
    return _ok(data, {"penny": {**penny, "estimated": estimated}})


def _wants(key: str, wanted: dict[str, str]) -> bool:
    cluster, _, node = key.partition("/")
    return all({"cluster": cluster, "node": node}[k] == v for k, v in wanted.items())


def _node_asset(n: NodeAsset, window: Window) -> tuple[str, dict[str, Any]]:
    key = f"{n.cluster}/{n.node}"
    return key, {
        "type": "Node",
        "properties": {
            "category": "Compute",
            "provider": "",
            "providerID": n.node,
            "cluster": n.cluster,
            "name": n.node,
            "service": "Kubernetes",
        },
        "labels": {},
        "window": {"start": oc.rfc3339(window.start), "end": oc.rfc3339(window.end)},
        "start": oc.rfc3339(n.start),
        "end": oc.rfc3339(n.end),
        "minutes": n.hours * 60.0,
        "nodeType": n.instance_type or "",
        "cpuCores": n.cpu_cores,
        "ramBytes": n.ram_bytes,
        "cpuCoreHours": n.cpu_core_hours,
        "ramByteHours": n.ram_byte_hours,
        "GPUHours": n.gpu_hours,
        "gpuCount": n.gpu_count,
        "preemptible": 1.0 if n.capacity_type == "spot" else 0.0,
        "discount": 0.0,
        "cpuCost": micro_float(n.cpu_cost),
        "gpuCost": micro_float(n.gpu_cost),
        "ramCost": micro_float(n.ram_cost),
        "adjustment": micro_float(n.other_cost),
        "totalCost": micro_float(n.total_cost),
        "idleCost": micro_float(n.idle_cost),
        "allocatedCost": micro_float(n.allocated_cost),
        "priceSource": n.price_source,
    }


@router.get(
    "/cloudCost", summary="OpenCost /cloudCost: the bill by service (amortized and invoiced)"
)
def cloud_cost(
    request: Request,
    who: Caller,
    window: Annotated[str, Query(description=_WINDOW_DOC)],
    aggregate: Annotated[str | None, Query(description="service (the only one Penny has)")] = (
        None
    ),
) -> JSONResponse:
    ctx = _ctx(request, who)
    span = oc.parse_window_param(window, ctx.now)
    if (aggregate or "service") != "service":
        raise InputError(
            f"/cloudCost aggregates by service only, not {aggregate!r}.",
            hint="Use aggregate=service (the FOCUS ServiceName of each bill line).",
            value=aggregate,
        )
    amortized = costs(CostsRequest(window=_span(span), group_by="service"), ctx)
    invoiced = costs(CostsRequest(window=_span(span), group_by="service", basis="invoice"), ctx)
    items = {
        name: _cloud_item(name, amortized.rows, invoiced.rows, span)
        for name in dict.fromkeys(r.name for r in amortized.rows)
    }
    return _ok(
        {
            "sets": [
                {
                    "cloudCosts": items,
                    "window": {"start": oc.rfc3339(span.start), "end": oc.rfc3339(span.end)},
                    "aggregationProperties": ["service"],
                }
            ],
            "window": {"start": oc.rfc3339(span.start), "end": oc.rfc3339(span.end)},
        },
        {"penny": {"currency": amortized.currency, "notes": amortized.provenance.notes}},
    )


def _cloud_item(
    name: str, amortized: list[CostLine], invoiced: list[CostLine], span: Window
) -> dict[str, Any]:
    """One service: Penny's rows of that name (workload and unallocated) summed. The
    Kubernetes share is what workloads and idle took; OpenCost's 0..1 field is bounded
    (a credit no workload explains can push the ratio past 1), and the exact amounts are
    beside it under ``penny``."""
    rows = [r for r in amortized if r.name == name]
    total = sum((r.total for r in rows), Decimal(0))
    in_cluster = sum((r.total for r in rows if r.kind != "unallocated"), Decimal(0))
    billed = sum((r.total for r in invoiced if r.name == name), Decimal(0))
    share = min(1.0, max(0.0, float(in_cluster / total))) if total else 0.0
    net = {"cost": micro_float(total), "kubernetesPercent": share}
    return {
        "properties": {"service": name},
        "window": {"start": oc.rfc3339(span.start), "end": oc.rfc3339(span.end)},
        "listCost": {"cost": None, "kubernetesPercent": share},
        "netCost": net,
        "amortizedNetCost": net,
        "invoicedCost": {"cost": micro_float(billed), "kubernetesPercent": share},
        "amortizedCost": net,
        "penny": {
            "kubernetesCost": micro_float(in_cluster),
            "unallocatedCost": micro_float(total - in_cluster),
        },
    }
