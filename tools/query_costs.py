"""query_costs: allocated cost for a period, grouped and filtered, within the asker's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field

from assistant.config import Settings
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.costs.dimensions import (
    DIMENSIONS,
    dimension_expr,
    needs_pod_join,
    validate_dimension,
)
from assistant.costs.query import query_costs as run_cost_query
from assistant.knowledge.resolve import closest_names
from assistant.warehouse.db import Connection, reader
from assistant.windows import Window, parse_window
from tools.memo import memo
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "check_filters", "money", "query_costs"]

#: dimensions whose filter values are checked against the warehouse's names
_CHECKED = (
    "namespace",
    "team",
    "app",
    "env",
    "cost_center",
    "controller",
    "node",
    "cluster",
    "service",
)
_JOIN = (
    "LEFT JOIN k8s_pods p ON p.cluster = a.cluster AND p.namespace = a.namespace "
    "AND p.pod = a.pod LEFT JOIN k8s_namespaces ns ON ns.cluster = a.cluster "
    "AND ns.namespace = a.namespace"
)


_MICRO = Decimal("0.000001")


def money(value: Any) -> Any:
    """Decimals to 6 places (sub-cent, so sums stay right to the cent) for readable output."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return value.quantize(_MICRO) if isinstance(exponent, int) and exponent < -6 else value
    if isinstance(value, dict):
        return {k: money(v) for k, v in value.items()}
    if isinstance(value, list):
        return [money(v) for v in value]
    return value


class Args(BaseModel):
    window: str = Field(
        "last-month",
        description="Period: 'YYYY-MM' (e.g. 2026-10), 'last-month', 'this-month', '7d', '24h', "
        "'2w', 'today', 'yesterday', or 'START..END' with dates (end exclusive, e.g. "
        "2026-10-01..2026-10-15).",
    )
    group_by: str = Field(
        "namespace",
        description="Break cost down by: " + ", ".join(DIMENSIONS) + ", or label:KEY (a pod "
        "label, falling back to the namespace label). 'controller' values look like "
        "'Deployment/recsys-api'; 'pod' values like 'namespace/pod'.",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description='Exact-match filters on the same dimensions, e.g. {"namespace": '
        '"payments-prod"} or {"team": "ml", "env": "prod"}. Use the exact names '
        "(search_knowledge resolves loose names like 'the recommender').",
    )
    basis: Literal["amortized", "invoice"] = Field(
        "amortized",
        validation_alias=AliasChoices("basis", "metric"),
        description="'amortized' = EffectiveCost (commitments spread, discounts applied; the "
        "default for comparing workloads); 'invoice' = BilledCost (what the invoice shows).",
    )
    share_idle: bool | None = Field(
        None,
        description="true = spread idle node cost onto workloads by their resource cost; "
        "false = idle stays its own '__idle__' row; omit = the configured default.",
    )
    top_n: int = Field(
        10,
        ge=1,
        le=200,
        description="Groups to list before folding the rest "
        "into one 'and N more' row (largest first).",
    )


def _known_values(
    con: Connection, dimension: str, scope: Scope, settings: Settings
) -> tuple[str, ...]:
    """Each a scan of every allocation row, so read once per warehouse state."""
    key = ("known-values", dimension, scope.admin, tuple(scope.teams), tuple(scope.namespaces))
    return memo(settings, key, lambda: tuple(_read_known_values(con, dimension, scope)))


def _read_known_values(con: Connection, dimension: str, scope: Scope) -> list[str]:
    scope_sql, params = scope.sql_filter("a.team", "a.namespace")
    join = _JOIN if needs_pod_join([dimension]) else ""
    rows = con.execute(
        f"SELECT DISTINCT {dimension_expr(dimension)} FROM allocations a {join} "
        f"WHERE (a.kind = 'workload' AND {scope_sql})"
        + (" OR a.kind <> 'workload'" if scope.admin else ""),
        params,
    ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


def _coverage(con: Connection, settings: Settings) -> tuple[Any, Any]:
    def read() -> tuple[Any, Any]:
        row = con.execute("SELECT min(hour), max(hour) FROM allocations").fetchone()
        return (row[0], row[1]) if row else (None, None)

    return memo(settings, "allocation-coverage", read)


def check_filters(
    con: Connection, filters: dict[str, str], scope: Scope, settings: Settings
) -> str | None:
    """An error message for the first filter value that names nothing the asker may see."""
    for key, value in filters.items():
        if key not in _CHECKED:
            continue
        known = _known_values(con, key, scope, settings)
        if value in known:
            continue
        near = closest_names(value, known)
        hint = (
            f"Did you mean: {', '.join(near)}?"
            if near
            else f"Known values: {', '.join(sorted(known)[:15]) or 'none'}."
        )
        return (
            f"No {key} named {value!r} in the cost data you may see. {hint} "
            "Filters need exact names; search_knowledge can resolve a loose name."
        )
    return None


@tool("query_costs", Args)
def query_costs(args: Args, ctx: ToolContext) -> ToolResult:
    """Allocated Kubernetes cost for a period (from the cloud bill, split per container-hour
    with OpenCost's method), grouped by namespace, team, app, env, cost_center, controller,
    pod, container, node, cluster, service or label:KEY, with optional exact-match filters.
    Returns rows largest first (CPU, RAM, GPU, storage, load-balancer, network, other, idle
    and shared cost, total, efficiency), an 'and N more' row when groups were folded, totals,
    which sharing was applied, the cost and share without a team label, and AI API spend
    beside it (not inside the bill). '__idle__' rows are unused node capacity,
    '__unallocated__' bill lines no workload explains. Money is exact decimal strings in the
    currency given. A team-scoped asker sees only its own workloads: its result has
    not_visible = ["idle", "unallocated"] (their cost is unknown to it, not zero)."""
    window: Window = parse_window(args.window, now=ctx.now)
    group_by = validate_dimension(args.group_by)  # InputError lists the accepted values
    filters = {validate_dimension(k, what="filter key"): v for k, v in args.filters.items()}
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo` or `penny ingest …` and `penny allocate` first."
        )
    with reader(ctx.settings) as con:
        problem = check_filters(con, filters, ctx.scope, ctx.settings)
        if problem:
            return ToolResult.failure(problem)
        table = run_cost_query(
            con,
            window=window,
            group_by=group_by,
            filters=filters,
            scope=ctx.scope,
            share_idle=args.share_idle,
            basis=args.basis,
            top_n=args.top_n,
            settings=ctx.settings,
        )
        first, last = _coverage(con, ctx.settings)
        fresh = con.execute("SELECT max(finished_at) FROM ingest_log").fetchone()
    prov: Provenance = table.provenance.model_copy(deep=True)
    if fresh and fresh[0] is not None:
        prov.freshness = fresh[0].isoformat() + "Z"
    if not table.rows:
        span = (
            f"Cost data covers {first:%Y-%m-%d %H:00} to {last:%Y-%m-%d %H:00} UTC."
            if first is not None
            else "The warehouse has no allocations yet; run `penny allocate`."
        )
        what = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        return ToolResult.no_data(
            f"No cost rows{' for ' + what if what else ''} in {window.label()}. {span}", prov
        )
    data = money(table.to_dict())
    data.pop("provenance", None)
    data["window"] = window.label()
    if not ctx.scope.admin:
        # idle capacity and unallocated lines belong to no team: their absence from a
        # scoped result says nothing about them, and no answer may read it as zero
        data["not_visible"] = ["idle", "unallocated"]
        prov.notes.append(
            "Scoped to your teams/namespaces: idle capacity and unallocated bill lines are "
            "not visible, so totals are your workloads' cost, not the bill."
        )
    data["groups_shown"] = sum(1 for r in table.rows if r.kind == "workload")
    return ToolResult.success(data, prov)
