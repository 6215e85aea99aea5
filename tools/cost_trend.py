"""cost_trend: allocated cost per day, ISO week or month, optionally split or compared."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.costs.dimensions import DIMENSIONS, validate_dimension
from assistant.costs.trend import MAX_BUCKETS, CostTrend, check_bucket_count, trend_facts
from assistant.costs.trend import cost_trend as run_trend
from assistant.warehouse.db import reader
from assistant.windows import Window, parse_window

# the filter-value check query_costs uses (exact names, closest-name hints, scope)
from tools.query_costs import check_filters, money
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "cost_trend"]

_MICRO = Decimal("0.000001")


class Args(BaseModel):
    window: str = Field(
        "30d",
        description="Period: 'YYYY-MM' (e.g. 2026-10), 'last-month', 'this-month', '14d', '2w', "
        "'yesterday', or 'START..END' with dates (end exclusive, e.g. 2026-10-01..2026-10-15).",
    )
    bucket: Literal["day", "week", "month"] = Field(
        "day",
        validation_alias=AliasChoices("bucket", "granularity", "interval"),
        description="Bucket size, in UTC: 'day', 'week' (ISO weeks, Monday to Monday) or "
        f"'month'. At most {MAX_BUCKETS['day']} daily, {MAX_BUCKETS['week']} weekly or "
        f"{MAX_BUCKETS['month']} monthly buckets; use a coarser bucket for longer windows.",
    )
    filters: dict[str, str] = Field(
        default_factory=dict,
        description='Exact-match filters, as for query_costs: e.g. {"team": "payments"} or '
        '{"namespace": "storefront"} or {"controller": "Deployment/recsys-api"}.',
    )
    versus: dict[str, str] = Field(
        default_factory=dict,
        description="Optional second entity to compare with `filters`, as filters (e.g. "
        '{"team": "storefront"}). The result then has two series, named after their '
        "filters, and the difference (filters minus versus) per bucket and in total. Not "
        "together with split_by.",
    )
    split_by: str | None = Field(
        None,
        description="Optional dimension to split each bucket by: "
        + ", ".join(DIMENSIONS)
        + ", or label:KEY. The largest top_n groups are kept, the rest summed into 'others'; "
        "'__idle__' and '__unallocated__' stay separate series.",
    )
    top_n: int = Field(
        5,
        ge=1,
        le=10,
        description="With split_by: groups to keep as their "
        "own series (largest over the window first).",
    )
    basis: Literal["amortized", "invoice"] = Field(
        "amortized",
        validation_alias=AliasChoices("basis", "metric"),
        description="'amortized' = EffectiveCost (the default); 'invoice' = BilledCost.",
    )
    share_idle: bool | None = Field(
        None,
        description="true = spread idle node cost onto workloads within each bucket; "
        "false = idle stays its own '__idle__' cost; omit = the configured default.",
    )


def _fixed(value: Any) -> Any:
    """Every amount to 6 places, so a zero-filled bucket reads '0.000000' like the others."""
    if isinstance(value, Decimal):
        return money(value).quantize(_MICRO)
    if isinstance(value, dict):
        return {k: v if k == "change_pct" else _fixed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fixed(v) for v in value]
    return value


def _name(filters: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items()) or "everything"


def _versus(a: CostTrend, b: CostTrend) -> dict[str, Any]:
    """Two series side by side per bucket, with their difference (a − b)."""
    na, nb = _name(a.filters), _name(b.filters)
    data = money(a.to_dict())
    data["buckets"] = [
        money(
            {
                "start": x["start"],
                "end": x["end"],
                "partial": x["partial"],
                "groups": {na: x["total"], nb: y["total"]},
                "difference": x["total"] - y["total"],
            }
        )
        for x, y in zip(
            [p.to_dict() for p in a.buckets], [p.to_dict() for p in b.buckets], strict=True
        )
    ]
    data["series"] = [
        money(
            {
                "name": na,
                "filters": a.filters,
                "total": a.total,
                "facts": trend_facts(a.buckets, a.bucket),
            }
        ),
        money(
            {
                "name": nb,
                "filters": b.filters,
                "total": b.total,
                "facts": trend_facts(b.buckets, b.bucket),
            }
        ),
    ]
    data["difference"] = money(a.total - b.total)
    data["difference_of"] = f"{na} minus {nb}"
    data.pop("total")  # each series has its own; their sum means nothing
    data.pop("facts")
    data["filters"] = {}
    return data


@tool("cost_trend", Args)
def cost_trend(args: Args, ctx: ToolContext) -> ToolResult:
    """Allocated Kubernetes cost over time: one value per day, ISO week (Monday start) or
    month in UTC for a window, optionally filtered (e.g. one team or namespace), optionally
    split by one dimension (largest groups plus 'others', idle and unallocated separate), or
    compared with a second entity (`versus`: both series and their difference per bucket).
    Every bucket of the window is listed (no cost = 0); buckets the window only partly covers
    are flagged `partial`. Also returns the window total (equal to query_costs' total for the
    same window and filters when nothing is shared) and trend facts to quote: first and last
    bucket, cheapest and most expensive bucket, average, change first to last (amount and
    percent, over complete buckets), and for daily series the weekday with the highest
    average cost. Money is exact decimal strings. A team-scoped asker sees only its own
    workloads. Use it for 'daily/weekly cost', 'trend', 'over time' questions."""
    window: Window = parse_window(args.window, now=ctx.now)
    check_bucket_count(window, args.bucket)  # InputError names a bucket that fits
    split = validate_dimension(args.split_by, what="split_by") if args.split_by else None
    filters = {validate_dimension(k, what="filter key"): v for k, v in args.filters.items()}
    versus = {validate_dimension(k, what="versus key"): v for k, v in args.versus.items()}
    if versus and split:
        return ToolResult.failure(
            "versus and split_by cannot be combined: compare two "
            "entities, or split one by a dimension."
        )
    if versus and versus == filters:
        return ToolResult.failure(
            f"versus {versus} is the same as filters; name a different entity to compare with."
        )
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(
            "No warehouse yet: run `penny demo` or `penny ingest …` and `penny allocate` first."
        )
    options: dict[str, Any] = {
        "window": window,
        "bucket": args.bucket,
        "scope": ctx.scope,
        "share_idle": args.share_idle,
        "basis": args.basis,
        "settings": ctx.settings,
    }
    with reader(ctx.settings) as con:
        problem = check_filters(con, {**filters, **versus}, ctx.scope, ctx.settings)
        if problem:
            return ToolResult.failure(problem)
        trend = run_trend(con, filters=filters, split_by=split, top_n=args.top_n, **options)
        other = run_trend(con, filters=versus, **options) if versus else None
        fresh = con.execute("SELECT max(finished_at) FROM ingest_log").fetchone()
    prov: Provenance = trend.provenance
    if fresh and fresh[0] is not None:
        prov.freshness = fresh[0].isoformat() + "Z"
    if other is not None:
        prov.filters = {**filters, "versus": _name(versus)}
        prov.notes.append("two series: filters and versus; difference = filters minus versus")
    empty = [t for t in (trend, other) if t is not None and not t.has_rows]
    if empty:
        what = f" for {_name(empty[0].filters)}" if empty[0].filters else ""
        return ToolResult.no_data(
            f"No cost rows{what} in {window.label()}: nothing was "
            "allocated there (run `penny ingest` and `penny allocate` "
            "for that period, or pick another window).",
            prov,
        )
    data = _versus(trend, other) if other is not None else trend.to_dict()
    return ToolResult.success(_fixed(data), prov)
