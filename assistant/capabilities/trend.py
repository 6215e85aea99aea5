"""Cost over time: ``trend(request, ctx)`` — per day, ISO week or month, split or compared.

The buckets' arithmetic lives in :mod:`assistant.costs.trend`; this checks names against
the asker's scope, refuses impossible combinations, and shapes one series or two (with
their difference) into a report.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from assistant.capabilities.common import check_filters, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.money import MICRO, micro
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.core.provenance import Provenance
from assistant.costs.dimensions import DIMENSIONS, validate_dimension
from assistant.costs.trend import MAX_BUCKETS, CostTrend, check_bucket_count, trend_facts
from assistant.costs.trend import cost_trend as run_trend
from assistant.errors import DataGap, InputError
from assistant.windows import Window, parse_window

__all__ = ["TrendReport", "TrendRequest", "trend"]


class TrendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

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
        f"'{IDLE}' and '{UNALLOCATED}' stay separate series.",
    )
    top_n: int = Field(
        5,
        ge=1,
        le=10,
        description="With split_by: groups to keep as their own series (largest over the "
        "window first).",
    )
    basis: Literal["amortized", "invoice"] = Field(
        "amortized",
        validation_alias=AliasChoices("basis", "metric"),
        description="'amortized' = EffectiveCost (the default); 'invoice' = BilledCost.",
    )
    share_idle: bool | None = Field(
        None,
        description="true = spread idle node cost onto workloads within each bucket; "
        f"false = idle stays its own '{IDLE}' cost; omit = the configured default.",
    )

    @field_validator("filters", "versus")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {validate_dimension(k, what="filter key"): v for k, v in value.items()}

    @field_validator("split_by")
    @classmethod
    def _split(cls, value: str | None) -> str | None:
        return validate_dimension(value, what="split_by") if value else None


class TrendReport(BaseModel):
    """One series (``total``/``facts``) or two (``series``, ``difference``); every amount
    carries six places so a zero-filled bucket reads like the others."""

    model_config = ConfigDict(extra="allow")

    window: str
    bucket: str
    split_by: str | None
    filters: dict[str, str]
    basis: str
    currency: str
    buckets: list[dict[str, Any]]
    series: list[dict[str, Any]]
    more: int
    sharing: dict[str, Any]
    provenance: Provenance


def trend(request: TrendRequest, ctx: Ctx) -> TrendReport:
    window: Window = parse_window(request.window, now=ctx.now)
    check_bucket_count(window, request.bucket)  # InputError names a bucket that fits
    filters, versus, split = request.filters, request.versus, request.split_by
    if versus and split:
        raise InputError(
            "versus and split_by cannot be combined.",
            hint="Compare two entities, or split one by a dimension.",
        )
    if versus and versus == filters:
        raise InputError(
            f"versus {versus} is the same as filters.",
            hint="Name a different entity to compare with.",
        )
    options: dict[str, Any] = {
        "window": window,
        "bucket": request.bucket,
        "scope": ctx.scope,
        "share_idle": request.share_idle,
        "basis": request.basis,
        "settings": ctx.settings,
    }
    with warehouse(ctx) as con:
        check_filters(con, ctx, {**filters, **versus})
        main = run_trend(con, filters=filters, split_by=split, top_n=request.top_n, **options)
        other = run_trend(con, filters=versus, **options) if versus else None
        prov = freshness(con).apply(main.provenance)
    if other is not None:
        prov.filters = {**filters, "versus": _name(versus)}
        prov.notes.append("two series: filters and versus; difference = filters minus versus")
    empty = [t for t in (main, other) if t is not None and not t.has_rows]
    if empty:
        what = f" for {_name(empty[0].filters)}" if empty[0].filters else ""
        raise DataGap(
            f"No cost rows{what} in {window.label()}: nothing was allocated there.",
            hint="Run `penny ingest` and `penny allocate` for that period, or pick another window.",
            provenance=prov,
        )
    data = _versus(main, other) if other is not None else main.to_dict()
    return TrendReport(**_fixed(data), provenance=prov)


def _fixed(value: Any) -> Any:
    """Every amount to 6 places, so a zero-filled bucket reads '0.000000' like the others."""
    if isinstance(value, Decimal):
        fixed: Decimal = micro(value).quantize(MICRO)
        return fixed
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
    data = a.to_dict()
    data["buckets"] = [
        {
            "start": x["start"],
            "end": x["end"],
            "partial": x["partial"],
            "groups": {na: x["total"], nb: y["total"]},
            "difference": x["total"] - y["total"],
        }
        for x, y in zip(
            [p.to_dict() for p in a.buckets], [p.to_dict() for p in b.buckets], strict=True
        )
    ]
    data["series"] = [
        {
            "name": n,
            "filters": t.filters,
            "total": t.total,
            "facts": trend_facts(t.buckets, t.bucket),
        }
        for n, t in ((na, a), (nb, b))
    ]
    data["difference"] = a.total - b.total
    data["difference_of"] = f"{na} minus {nb}"
    data.pop("total")  # each series has its own; their sum means nothing
    data.pop("facts")
    data["filters"] = {}
    return data
