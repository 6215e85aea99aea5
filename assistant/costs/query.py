"""``query_costs()``: allocated cost grouped, filtered, scoped and shared, with totals.

One SQL aggregate over ``allocations`` (read-only connection) produces units (group ×
cluster × kind), sharing is applied to those few rows in Python with exact Decimal splits
(``costs.sharing``), and AI API spend from the ledger is reported beside the cloud bill,
never inside it. Provenance records the SQL, tables, window and sharing applied.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from assistant.allocation.freshness import require_fresh
from assistant.config import Settings
from assistant.core.placeholders import OWN_ROWS, UNLABELED
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.costs import sharing as sharing_rules
from assistant.costs.ai import ai_rows
from assistant.costs.asset_table import asset_table, uses_asset_view
from assistant.costs.dimensions import needs_pod_join, validate_dimension
from assistant.costs.rollup_source import cost_rows
from assistant.costs.sharing import RESOURCES, Unit
from assistant.costs.table import COLUMNS, CostRow, CostTable, merge_rows
from assistant.costs.unit_sql import UNIT_COLUMNS, unit_from_row, unit_select
from assistant.errors import DataGap, InputError
from assistant.warehouse.db import Connection
from assistant.warehouse.memo import memo
from assistant.warehouse.sql_text import lit
from assistant.windows import Window

__all__ = [
    "COLUMNS",
    "CostRow",
    "CostTable",
    "estimate_note",
    "query_costs",
    "require_rows",
    "uses_asset_view",
]

_ZERO = Decimal(0)


def query_costs(
    con: Connection,
    *,
    window: Window,
    group_by: str = "namespace",
    filters: dict[str, str] | None = None,
    scope: Scope | None = None,
    share_idle: bool | None = None,
    shared_namespaces: list[str] | None = None,
    share_split: str | None = None,
    overhead_hourly: Decimal | None = None,
    basis: Literal["amortized", "invoice"] = "amortized",
    top_n: int | None = None,
    settings: Settings,
    view: Literal["auto", "allocation", "asset"] = "auto",
) -> CostTable:
    """Cost per group over ``window``; unset sharing options come from settings.allocation.

    ``view``: ``auto`` answers node and cluster groupings with the asset view (what each
    cost on the bill, its idle included, ``costs.assets``) whenever that is the question
    (:func:`uses_asset_view`), everything else with the allocation view; ``allocation``
    forces OpenCost's allocation grouping (pods' cost per node, idle its own row, shared
    within its own node with ``share_idle``); ``asset`` demands the asset view.
    """
    alloc = settings.allocation
    scope = scope or Scope.everything()
    group_by = validate_dimension(group_by)
    filters = {validate_dimension(k, what="filter key"): v for k, v in (filters or {}).items()}
    do_share_idle = alloc.share_idle if share_idle is None else share_idle
    shared_ns = list(alloc.shared_namespaces if shared_namespaces is None else shared_namespaces)
    split = share_split or alloc.share_split
    overhead_rate = alloc.fixed_overhead_hourly if overhead_hourly is None else overhead_hourly
    if basis not in ("amortized", "invoice"):
        raise InputError(f"Unknown basis {basis!r}.", hint="Use amortized or invoice.")
    if top_n is not None and top_n < 1:
        raise InputError(f"top_n must be at least 1, got {top_n}.")
    if overhead_rate < 0:
        raise InputError(f"Overhead must not be negative, got {overhead_rate}.")

    if view not in ("auto", "allocation", "asset"):
        raise InputError(f"Unknown view {view!r}.", hint="Use auto, allocation or asset.")
    if view == "asset" and not uses_asset_view(group_by, filters, scope):
        raise InputError(
            f"The asset view groups the whole organisation by node or cluster (filters: "
            f"cluster, node); got group_by={group_by!r}, filters={sorted(filters)}"
            + ("" if scope.admin else ", a team scope")
            + ".",
            hint="Use --by node or --by cluster without workload filters, or the allocation view.",
        )
    require_fresh(con, window, settings)
    if view != "allocation" and uses_asset_view(group_by, filters, scope):
        return asset_table(
            con, window=window, group_by=group_by, filters=filters, basis=basis,
            top_n=top_n, settings=settings,
        )  # fmt: skip
    sql, params = _units_sql(con, group_by, filters, scope, shared_ns, basis, window)
    # The one scan of the allocations view (every container-hour of the window, costed as
    # it is read) is most of a question's time; its rows depend only on the SQL and the
    # warehouse, so they are kept until the warehouse changes (questions repeat).
    raw = memo(
        settings, ("cost-units", sql, tuple(params)), lambda: con.execute(sql, params).fetchall()
    )
    units = [unit_from_row(row, used=float(row[UNIT_COLUMNS] or 0.0)) for row in raw]
    estimate_units = [u for u in units if u.estimate and u.passes and u.visible]
    # Workload cost without a team label, over the rows the filters and scope let through:
    # the two extra sums of the same scan (the view is read once per question).
    seen = [
        row
        for row, u in zip(raw, units, strict=True)
        if u.kind == "workload" and u.passes and u.visible and not u.estimate
    ]
    units = [u for u in units if not u.estimate]
    unl_cost = sum((Decimal(r[-2]) for r in seen if r[-2] is not None), _ZERO)
    unl_total = sum((Decimal(r[-1]) for r in seen if r[-1] is not None), _ZERO)
    unl_share = float(unl_cost / unl_total) if unl_total else None
    if do_share_idle:
        units = sharing_rules.share_idle(units)
    overhead = (overhead_rate * Decimal(str(window.hours))) if overhead_rate else _ZERO
    shared_amount = _ZERO
    if shared_ns or overhead:
        units, shared_amount, overhead = sharing_rules.share_pools(
            units, split=split, overhead=overhead
        )
    shown = [u for u in units if u.passes and u.visible]
    rows = _rows(shown)
    special = set(OWN_ROWS)
    rows.sort(key=lambda r: (r.name in special, -r.total, r.name))
    more = 0
    if top_n is not None:
        ranked = [r for r in rows if r.name not in special]
        if len(ranked) > top_n:
            rest = ranked[top_n:]
            more = len(rest)
            others = merge_rows(f"and {more} more", "others", rest)
            rows = ranked[:top_n] + [others] + [r for r in rows if r.name in special]
    totals = merge_rows("TOTAL", "total", rows)
    estimates = sorted(_rows(estimate_units), key=lambda r: (-r.total, r.name))
    estimated_total = sum((r.total for r in estimates), _ZERO)
    ai = ai_rows(settings, window=window, group_by=group_by, filters=filters, scope=scope)
    sharing = {
        "share_idle": do_share_idle,
        "shared_namespaces": shared_ns,
        "share_split": split,
        "overhead_hourly": str(overhead_rate),
        "overhead_total": str(overhead),
        "shared_namespace_total": str(shared_amount),
        "description": _describe(do_share_idle, shared_ns, split, overhead_rate),
    }
    prov = Provenance(
        tables=["allocations"]
        + (["allocation_daily"] if "allocation_daily" in sql else [])
        + (["k8s_pods", "k8s_namespaces"] if needs_pod_join([group_by, *filters]) else [])
        + (["ledger.ai_usage"] if ai else []),
        sql=sql,
        params=[str(p) for p in params],
        window=window.to_dict(),
        filters=filters,
        group_by=group_by,
        currency=settings.currency,
        cost_basis="amortized (EffectiveCost)" if basis == "amortized" else "invoice (BilledCost)",
        sharing=sharing,
        row_count=len(rows),
        truncated=more > 0,
        notes=([f"and {more} more groups folded into one row"] if more else [])
        + (["AI API spend is outside the cloud bill and not in the totals"] if ai else [])
        + ([estimate_note(estimated_total)] if estimates else []),
    )
    return CostTable(
        window=window,
        group_by=group_by,
        basis=basis,
        currency=settings.currency,
        rows=rows,
        totals=totals,
        more=more,
        sharing=sharing,
        unlabeled_cost=unl_cost,
        unlabeled_share=unl_share,
        idle_share=_share(rows, totals),
        ai=ai,
        ai_total=sum((a.cost for a in ai), _ZERO),
        provenance=prov,
        estimates=estimates,
        estimated_total=estimated_total,
    )


def estimate_note(amount: Decimal) -> str:
    return (
        f"{amount.quantize(Decimal('0.01'))} estimated from the price list (nodes or volumes "
        "the bill never mentions, or hours it does not cover yet): listed apart, not in the "
        "totals"
    )


def _units_sql(
    con: Connection,
    group_by: str,
    filters: dict[str, str],
    scope: Scope,
    shared_ns: list[str],
    basis: str,
    window: Window,
) -> tuple[str, list[Any]]:
    """The unit columns, then the used-cost sum (efficiency) and the unlabeled/total pair,
    over the window's rows: daily rollups for its whole built days, hours for the rest."""
    select, join, params = unit_select(group_by, filters, scope, shared_ns, basis)
    prefix = "billed_" if basis == "invoice" else ""
    col = f"a.{prefix}total_cost"
    unlabeled = (
        f"sum({col}) FILTER (WHERE coalesce(a.team, {lit(UNLABELED)}) = {lit(UNLABELED)}) AS unl, "
        f"sum({col}) AS tot"
    )
    source, source_params = cost_rows(con, window)
    sql = (
        f"SELECT {select}, sum(a.{prefix}used_cost) AS used, {unlabeled} "
        f"FROM {source} a {join} GROUP BY ALL ORDER BY ALL"
    )
    params.extend(source_params)
    return sql, params


def _rows(units: list[Unit]) -> list[CostRow]:
    """One row per (kind, name): its units' costs, idle and shared received, summed in
    one pass (a month by pod is thousands of units)."""
    acc: dict[tuple[str, str], tuple[dict[str, Decimal], list[float]]] = {}
    for u in units:
        entry = acc.get((u.kind, u.name))
        if entry is None:
            costs = {r: u.costs.get(r, _ZERO) for r in RESOURCES}
            costs["idle"] = u.idle
            costs["shared"] = u.shared_in
            acc[(u.kind, u.name)] = (costs, [u.used])
            continue
        costs, used = entry
        for r in RESOURCES:
            costs[r] += u.costs.get(r, _ZERO)
        costs["idle"] += u.idle
        costs["shared"] += u.shared_in
        used[0] += u.used
    rows = []
    for (kind, name), (costs, used) in acc.items():
        cpu_ram = float(costs["cpu"] + costs["ram"])
        eff = used[0] / cpu_ram if kind == "workload" and cpu_ram > 0 else None
        rows.append(
            CostRow(
                name=name, kind=kind, costs=costs, total=sum(costs.values(), _ZERO), efficiency=eff
            )
        )
    return rows


def _share(rows: list[CostRow], totals: CostRow) -> Decimal | None:
    idle = sum((r.total for r in rows if r.kind == "idle"), _ZERO)
    if not idle or not totals.total:
        return None
    return (idle / totals.total).quantize(Decimal("1e-12"))


def _describe(share_idle_on: bool, shared_ns: list[str], split: str, overhead: Decimal) -> str:
    parts = [
        "idle shared to workloads by resource cost"
        if share_idle_on
        else "idle not shared (its own __idle__ row)"
    ]
    if shared_ns:
        parts.append(f"namespaces {', '.join(shared_ns)} shared {split}")
    if overhead:
        parts.append(f"overhead ${overhead}/h shared {split}")
    if not shared_ns and not overhead:
        parts.append("nothing else shared")
    return "; ".join(parts)


def require_rows(table: CostTable, window: Window, filters: dict[str, str] | None) -> CostTable:
    """Interfaces answer an empty table with DataGap (a reason), never an empty 'zero'."""
    if table.rows or table.ai or table.estimates:
        return table
    where = f" for {', '.join(f'{k}={v}' for k, v in filters.items())}" if filters else ""
    raise DataGap(
        f"No allocated costs in {window.label()}{where}.",
        hint="Ingest bills and metrics for that period, then run `penny allocate`.",
        window=window.label(),
    )
