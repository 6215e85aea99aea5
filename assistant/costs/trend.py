"""``cost_trend()``: allocated cost per day, ISO week or month over a window.

One SQL aggregate over ``allocations`` (read-only connection) per bucket × group × cluster ×
kind, with the same filter, scope and dimension expressions as ``query_costs`` and the same
sharing rules applied to each bucket on its own (as OpenCost shares per step). Every bucket
of the window is present (no cost = 0), buckets the window covers only in part are flagged,
and with sharing off (the default) the buckets add up exactly to ``query_costs``' total for
the same window, filters and scope. The trend facts are pure functions of the bucket totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from assistant.allocation.freshness import require_fresh
from assistant.config import Settings
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from assistant.core.timestamps import hour_utc, window_bound
from assistant.costs import sharing as sharing_rules
from assistant.costs.dimensions import needs_pod_join, validate_dimension
from assistant.costs.query import estimate_note
from assistant.costs.sharing import Unit
from assistant.costs.unit_sql import unit_from_row, unit_select
from assistant.errors import InputError
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = [
    "BUCKETS",
    "MAX_BUCKETS",
    "CostTrend",
    "TrendBucket",
    "bucket_floor",
    "buckets",
    "check_bucket_count",
    "cost_trend",
    "trend_facts",
]

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[Bucket, ...] = ("day", "week", "month")
#: most buckets one series may hold: a quarter of days, two years of weeks, three of months
MAX_BUCKETS: dict[str, int] = {"day": 92, "week": 106, "month": 36}
_ZERO = Decimal(0)
_PLACES = Decimal("0.000000000001")
_SPECIAL = (IDLE, UNALLOCATED)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class TrendBucket:
    start: datetime
    end: datetime
    partial: bool  # the window covers only part of it
    total: Decimal = _ZERO
    groups: dict[str, Decimal] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": _day(self.start),
            "end": _day(self.end),
            "partial": self.partial,
            "total": self.total,
        }
        if self.groups:
            out["groups"] = dict(self.groups)
        return out


@dataclass
class CostTrend:
    window: Window
    bucket: str
    split_by: str | None
    filters: dict[str, str]
    basis: str
    currency: str
    buckets: list[TrendBucket]
    series: list[dict[str, Any]]  # split: name, kind, total (largest first)
    more: int  # groups folded into 'others'
    total: Decimal
    facts: dict[str, Any]
    sharing: dict[str, Any]
    has_rows: bool  # any cost row the filters and scope let through
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.label(),
            "bucket": self.bucket,
            "split_by": self.split_by,
            "filters": self.filters,
            "basis": self.basis,
            "currency": self.currency,
            "buckets": [b.to_dict() for b in self.buckets],
            "series": self.series,
            "more": self.more,
            "total": self.total,
            "facts": self.facts,
            "sharing": self.sharing,
        }


def bucket_floor(t: datetime, bucket: str) -> datetime:
    """The UTC start of the day, ISO week (Monday) or month holding ``t``."""
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    raise InputError(f"Unknown bucket {bucket!r}.", hint="Use day, week or month.")


def _next(start: datetime, bucket: str) -> datetime:
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(weeks=1)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def buckets(window: Window, bucket: str) -> list[TrendBucket]:
    """Every bucket that overlaps ``window``, in order, flagged partial when cut by it."""
    out = []
    start = bucket_floor(window.start, bucket)
    while start < window.end:
        end = _next(start, bucket)
        out.append(TrendBucket(start, end, start < window.start or end > window.end))
        start = end
    return out


def check_bucket_count(window: Window, bucket: str) -> int:
    """The bucket count, or InputError naming the limit and a coarser bucket that fits."""
    count = len(buckets(window, bucket))
    limit = MAX_BUCKETS[bucket]
    if count > limit:
        coarser = [
            b
            for b in BUCKETS[BUCKETS.index(bucket) + 1 :]
            if len(buckets(window, b)) <= MAX_BUCKETS[b]
        ]
        hint = (
            f"Use bucket='{coarser[0]}' ({len(buckets(window, coarser[0]))} buckets) or a "
            "shorter window."
            if coarser
            else "Use a shorter window."
        )
        raise InputError(
            f"A {bucket}ly series over {window.label()} has {count} buckets; the "
            f"limit is {limit}.".replace("dayly", "daily"),
            hint=hint,
            window=window.label(),
        )
    return count


def cost_trend(
    con: Connection,
    *,
    window: Window,
    bucket: str = "day",
    filters: dict[str, str] | None = None,
    split_by: str | None = None,
    scope: Scope | None = None,
    top_n: int = 5,
    share_idle: bool | None = None,
    basis: Literal["amortized", "invoice"] = "amortized",
    settings: Settings,
) -> CostTrend:
    """Cost per bucket over ``window``; with ``split_by``, per group (top ``top_n`` + others)."""
    if bucket not in BUCKETS:
        raise InputError(f"Unknown bucket {bucket!r}.", hint="Use day, week or month.")
    if basis not in ("amortized", "invoice"):
        raise InputError(f"Unknown basis {basis!r}.", hint="Use amortized or invoice.")
    if top_n < 1:
        raise InputError(f"top_n must be at least 1, got {top_n}.")
    check_bucket_count(window, bucket)
    require_fresh(con, window, settings)
    scope = scope or Scope.everything()
    split = validate_dimension(split_by, what="split_by") if split_by else None
    filters = {validate_dimension(k, what="filter key"): v for k, v in (filters or {}).items()}
    alloc = settings.allocation
    do_share_idle = alloc.share_idle if share_idle is None else share_idle
    shared_ns = list(alloc.shared_namespaces)
    overhead_rate = alloc.fixed_overhead_hourly

    # Sharing weighs groups; without a split they are namespaces, as query_costs' default.
    sql, params = _sql(split or "namespace", filters, scope, shared_ns, basis, window, bucket)
    raw = con.execute(sql, params).fetchall()
    per_bucket: dict[datetime, list[Unit]] = defaultdict(list)
    estimated = _ZERO
    for row in raw:
        unit = unit_from_row(row[1:])
        if unit.estimate:  # price-list costs: never in a bucket, named in a note
            if unit.passes and unit.visible:
                estimated += unit.own
            continue
        per_bucket[row[0]].append(unit)
    out = buckets(window, bucket)
    # Time before the data begins or after it ends is unknown, not $0: its buckets are
    # left out, and the buckets the data begins and ends in are partial (so the facts do
    # not compare them as whole).
    span = con.execute("SELECT min(hour), max(hour) FROM allocations").fetchone()
    data_start = span[0] if span else None
    data_end = span[1] + timedelta(hours=1) if span and span[1] is not None else None
    before_data = after_data = 0
    if data_start is not None and window.start < data_start:
        before_data = sum(1 for b in out if b.end <= data_start)
        out = [b for b in out if b.end > data_start]
        for b in out:
            if b.start < data_start:
                b.partial = True
    if data_end is not None and window.end > data_end:
        after_data = sum(1 for b in out if b.start >= data_end)
        out = [b for b in out if b.start < data_end]
        for b in out:
            if b.end > data_end:
                b.partial = True
    sums: dict[str, Decimal] = defaultdict(lambda: _ZERO)
    kinds: dict[str, str] = {}
    shown = False
    for b in out:
        units = per_bucket.get(b.start, [])
        if do_share_idle:
            units = sharing_rules.share_idle(units)
        hours = (min(b.end, window.end) - max(b.start, window.start)) / timedelta(hours=1)
        overhead = overhead_rate * Decimal(str(hours)) if overhead_rate else _ZERO
        if shared_ns or overhead:
            units, _, _ = sharing_rules.share_pools(
                units, split=alloc.share_split, overhead=overhead
            )
        for u in units:
            if u.passes and u.visible:
                shown = True
                b.groups[u.name] = b.groups.get(u.name, _ZERO) + u.total
                # a cluster or service is one group even where it has unallocated cost too
                kinds[u.name] = "workload" if u.kind == "workload" else kinds.get(u.name, u.kind)
        b.total = sum(b.groups.values(), _ZERO)
        for name, value in b.groups.items():
            sums[name] += value
        if split is None:
            b.groups = {}
    series, more = _series(sums, kinds, top_n) if split else ([], 0)
    if split:
        _fold(out, series)
    total = sum((b.total for b in out), _ZERO)
    sharing = {
        "share_idle": do_share_idle,
        "shared_namespaces": shared_ns,
        "share_split": alloc.share_split,
        "overhead_hourly": str(overhead_rate),
        "note": "sharing applied within each bucket"
        if (do_share_idle or shared_ns or overhead_rate)
        else "nothing shared; idle is its own __idle__ cost",
    }
    prov = Provenance(
        tables=["allocations"]
        + (
            ["k8s_pods", "k8s_namespaces"]
            if needs_pod_join([split or "namespace", *filters])
            else []
        ),
        sql=sql,
        params=[str(p) for p in params],
        window=window.to_dict(),
        filters=filters,
        group_by=split,
        currency=settings.currency,
        cost_basis="amortized (EffectiveCost)" if basis == "amortized" else "invoice (BilledCost)",
        sharing=sharing,
        row_count=len(out),
        truncated=more > 0,
        notes=[
            f"{bucket} buckets in UTC"
            + (" (ISO weeks, Monday to Monday)" if bucket == "week" else "")
        ]
        + ([f"{more} smaller groups folded into 'others'"] if more else [])
        + (
            [
                f"the data starts {hour_utc(data_start)}: {before_data} {bucket}(s) "
                "before it are left out, not counted as $0"
            ]
            if before_data and data_start is not None
            else []
        )
        + (
            [
                f"the data ends {hour_utc(data_end)}: {after_data} {bucket}(s) after it "
                "are left out, not counted as $0"
            ]
            if after_data and data_end is not None
            else []
        )
        + ([estimate_note(estimated)] if estimated else []),
    )
    return CostTrend(
        window=window,
        bucket=bucket,
        split_by=split,
        filters=filters,
        basis=basis,
        currency=settings.currency,
        buckets=out,
        series=series,
        more=more,
        total=total,
        facts=trend_facts(out, bucket),
        sharing=sharing,
        has_rows=shown,
        provenance=prov,
    )


def _sql(
    group: str,
    filters: dict[str, str],
    scope: Scope,
    shared_ns: list[str],
    basis: str,
    window: Window,
    bucket: str,
) -> tuple[str, list[Any]]:
    """The unit columns per bucket (the bucket's start first)."""
    select, join, params = unit_select(group, filters, scope, shared_ns, basis)
    sql = (
        f"SELECT date_trunc('{bucket}', a.hour) AS bucket, {select} "
        f"FROM allocations a {join} WHERE a.hour >= ? AND a.hour < ? "
        f"GROUP BY ALL ORDER BY ALL"
    )
    params.extend([window.start, window.end])
    return sql, params


def _series(
    sums: dict[str, Decimal], kinds: dict[str, str], top_n: int
) -> tuple[list[dict[str, Any]], int]:
    """Top groups by window total, then one 'others' series, then idle and unallocated."""
    ranked = sorted(
        (n for n in sums if n not in _SPECIAL and kinds[n] == "workload"),
        key=lambda n: (-sums[n], n),
    )
    keep, rest = ranked[:top_n], ranked[top_n:]
    series = [{"name": n, "kind": "workload", "total": sums[n]} for n in keep]
    if rest:
        series.append(
            {
                "name": "others",
                "kind": "others",
                "groups": len(rest),
                "total": sum((sums[n] for n in rest), _ZERO),
            }
        )
    for n in sorted(n for n in sums if n not in ranked):
        series.append({"name": n, "kind": kinds[n], "total": sums[n]})
    return series, len(rest)


def _fold(out: list[TrendBucket], series: list[dict[str, Any]]) -> None:
    """Each bucket keeps one value per series (0 when absent); folded groups sum to others."""
    named = {s["name"] for s in series if s["kind"] != "others"}
    for b in out:
        b.groups = {
            s["name"]: sum((v for n, v in b.groups.items() if n not in named), _ZERO)
            if s["kind"] == "others"
            else b.groups.get(s["name"], _ZERO)
            for s in series
        }


def _point(b: TrendBucket) -> dict[str, Any]:
    return {"start": _day(b.start), "total": b.total, "partial": b.partial}


def _day(t: datetime) -> str:
    return window_bound(t, dates=t.hour == 0)


def trend_facts(series: list[TrendBucket], bucket: str) -> dict[str, Any]:
    """First/last, min/max, average and change first→last over the complete buckets (all
    buckets when fewer than two are complete), and for a daily series the weekday with the
    highest average cost (over complete days, once there are two weeks of them)."""
    if not series:
        return {}
    complete = [b for b in series if not b.partial]
    basis = complete if len(complete) >= 2 else series
    first, last = basis[0], basis[-1]
    low = min(basis, key=lambda b: (b.total, b.start))
    high = max(basis, key=lambda b: (b.total, -b.start.timestamp()))
    change = last.total - first.total
    facts: dict[str, Any] = {
        "over": "complete buckets" if basis is complete else "all buckets (some partial)",
        "buckets": len(series),
        "partial_buckets": len(series) - len(complete),
        "first": _point(first),
        "last": _point(last),
        "min": _point(low),
        "max": _point(high),
        "average": (sum((b.total for b in basis), _ZERO) / len(basis)).quantize(_PLACES),
        "change": change,
        "change_pct": (change / first.total * 100).quantize(Decimal("0.01"))
        if first.total
        else None,
    }
    if bucket == "day":
        facts["busiest_weekday"] = _busiest_weekday(complete)
    return facts


def _busiest_weekday(days: list[TrendBucket]) -> dict[str, Any] | None:
    if len(days) < 14:  # one day per weekday is no average
        return None
    by_day: dict[int, list[Decimal]] = defaultdict(list)
    for b in days:
        by_day[b.start.weekday()].append(b.total)
    averages = {d: sum(v, _ZERO) / len(v) for d, v in by_day.items()}
    best = max(sorted(averages), key=lambda d: averages[d])
    return {
        "weekday": WEEKDAYS[best],
        "average": averages[best].quantize(_PLACES),
        "days": len(by_day[best]),
    }
