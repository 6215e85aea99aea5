"""Plans for cost over time and for one entity against another.

``trend`` reads ``cost_trend`` (one value per day, ISO week or month) and prints a compact
table with a one-line summary of its facts. ``entity_compare`` reads each entity's total
and its largest parts from ``query_costs`` and their difference from ``cost_trend``
(``versus``), so every figure printed is one a tool returned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.agent.offline.cost_plans import BREAKDOWN, entity_cost
from assistant.agent.offline.intents import EntityRef, Parsed
from assistant.agent.offline.runner import (
    Runner,
    how_read,
    last_month,
    who,
    window_arg,
)
from assistant.agent.offline.templates import pct, table
from assistant.capabilities.costs import CostReport
from assistant.capabilities.trend import TrendReport
from assistant.core.markdown import md_escape
from assistant.core.money import usd
from assistant.core.placeholders import IDLE, UNALLOCATED
from assistant.windows import Window

__all__ = ["default_bucket", "entity_compare", "trend"]

_ADVERB = {"day": "Daily", "week": "Weekly", "month": "Monthly"}
_UNIT = {"day": "day", "week": "week", "month": "month"}
#: the table lists every bucket up to this many; a longer series shows its last ones
_MAX_ROWS = 31


def default_bucket(w: Window) -> str:
    """Days for up to a month, ISO weeks up to half a year, months beyond."""
    if w.days <= 31:
        return "day"
    return "week" if w.days <= 183 else "month"


def _default_window(bucket: str | None, now: datetime) -> Window:
    if bucket == "month":
        start = now.replace(day=1, hour=0)
        for _ in range(3):
            start = (start - timedelta(days=1)).replace(day=1)
        return Window(start, now)
    return Window(now - timedelta(weeks=12 if bucket == "week" else 4), now)


def _when(bucket: dict[str, Any], size: str) -> str:
    start = datetime.strptime(bucket["start"][:10], "%Y-%m-%d")
    text = {
        "day": f"{start:%Y-%m-%d} ({start:%a})",
        "week": f"week of {start:%Y-%m-%d}",
        "month": f"{start:%Y-%m}",
    }[size]
    return text + (" *" if bucket.get("partial") else "")


def _series_name(name: str) -> str:
    return {IDLE: "idle", UNALLOCATED: "unallocated"}.get(name, name)


def _extra(r: TrendReport, key: str) -> Any:
    """A field the trend report carries beside its declared ones (total, facts, difference)."""
    return (r.model_extra or {}).get(key)


def _summary(r: TrendReport, size: str) -> str:
    f = _extra(r, "facts") or {}
    if not f:
        return ""
    unit = _UNIT[size]
    parts = [
        f"average {usd(f['average'])} per {unit}",
        f"highest {usd(f['max']['total'])} ({f['max']['start']}), lowest "
        f"{usd(f['min']['total'])} ({f['min']['start']})",
    ]
    change = (
        f"from {usd(f['first']['total'])} ({f['first']['start']}) to "
        f"{usd(f['last']['total'])} ({f['last']['start']}): "
        f"{usd(f['change'], signed=True)}"
    )
    if f.get("change_pct") is not None:
        change += f" ({pct(f['change_pct'], already_percent=True, signed=True)})"
    parts.append(change)
    line = "; ".join(parts) + "."
    if f.get("partial_buckets"):
        line += (
            " Partial buckets (marked *) are left out of these figures."
            if f["over"] == "complete buckets"
            else " Some buckets are partial (marked *) and are included."
        )
    busiest = f.get("busiest_weekday")
    if busiest:
        line += (
            f" Most expensive weekday on average: {busiest['weekday']} "
            f"({usd(busiest['average'])} over {busiest['days']} days)."
        )
    return line


def trend(p: Parsed, run: Runner) -> str:
    e = p.slots.entity
    w = p.slots.window or _default_window(p.slots.bucket, run.ctx.now)
    size = p.slots.bucket or default_bucket(w)
    args: dict[str, Any] = {"window": window_arg(w), "bucket": size}
    if e is not None:
        args["filters"] = e.filter
    if p.slots.group_by:
        args["split_by"] = p.slots.group_by
        args["top_n"] = min(p.slots.top_n or 3, 10)
    subject = f" of {who(e)}" if e else ""
    d, msg = run.report(
        "cost_trend",
        args,
        TrendReport,
        what=f"the {size}ly cost{subject.replace('**', '')} in {run.when(w)}".replace(
            "dayly", "daily"
        ),
    )
    if d is None:
        msg = msg or ""
        if "the limit is" in msg:
            msg += "\n\n_Ask for the weekly (or monthly) cost over that period, or a shorter one._"
        return msg + (how_read(e) if e else "")
    head = (
        f"{_ADVERB[size]} cost{subject}, {run.when(w)}, amortized {d.currency}: "
        f"**{usd(_extra(d, 'total'))}** in total; " + _summary(d, size)
    )
    rows = d.buckets
    shown = rows[-_MAX_ROWS:]
    if d.split_by:
        names = [s["name"] for s in d.series]
        headers = [size] + [_series_name(n) for n in names] + ["total"]
        body = [
            [_when(b, size)] + [usd(b["groups"][n]) for n in names] + [usd(b["total"])]
            for b in shown
        ]
    else:
        headers = [size, "cost"]
        body = [[_when(b, size), usd(b["total"])] for b in shown]
    lines = [head, "", table(headers, body)]
    if len(rows) > len(shown):
        lines += [
            "",
            f"_The last {len(shown)} of {len(rows)} {size}s; ask for a weekly or "
            "monthly series to see the whole window in fewer rows._",
        ]
    lines += _partial_note(rows, size)
    return "\n".join(lines) + (how_read(e) if e else "")


def _partial_note(rows: list[dict[str, Any]], size: str) -> list[str]:
    if not any(b["partial"] for b in rows):
        return []
    return [
        "",
        "_* partial: the window covers only part of that "
        f"{'ISO week (Monday to Monday, UTC)' if size == 'week' else size}._",
    ]


def _parts(run: Runner, e: EntityRef, w: Window) -> tuple[str, CostReport | None]:
    """An entity's total and largest parts from query_costs (or the sentence why not)."""
    r, msg = run.report(
        "query_costs",
        {
            "window": window_arg(w),
            "group_by": BREAKDOWN.get(e.kind, "namespace"),
            "filters": e.filter,
            "top_n": 3,
        },
        CostReport,
        what=f"{e.kind} {e.name} in {run.when(w)}",
    )
    return (msg or "", r)


def entity_compare(p: Parsed, run: Runner) -> str:
    a, b = p.slots.entity, p.slots.entity_b
    if a is None or b is None:  # a follow-up that lost one side: one entity
        return entity_cost(p, run)
    w = p.slots.window or last_month(run.ctx.now)
    msg_a, da = _parts(run, a, w)
    msg_b, db = _parts(run, b, w)
    if da is None or db is None:
        return "\n\n".join(m for m in (msg_a, msg_b) if m) + how_read(a) + how_read(b)
    size = p.slots.bucket or "month"  # the difference needs one bucket per month at most
    diff, diff_msg = run.report(
        "cost_trend",
        {"window": window_arg(w), "bucket": size, "filters": a.filter, "versus": b.filter},
        TrendReport,
        what=f"the difference between {a.name} and {b.name}",
    )
    lines = [
        f"In {run.when(w)}, the {who(a)} cost **{usd(da.totals.total)}** and the {who(b)} "
        f"cost **{usd(db.totals.total)}** (amortized, {da.currency})."
    ]
    if diff is None:
        lines.append(diff_msg or "")
    else:
        gap = _extra(diff, "difference")
        more, less = (a, b) if not str(gap).startswith("-") else (b, a)
        lines[0] += (
            f" {md_escape(more.name)} cost **{usd(gap).lstrip('-')}** more than "
            f"{md_escape(less.name)}."
            if usd(gap) != "$0.00"
            else " They cost the same to the cent."
        )
    for e, d in ((a, da), (b, db)):
        parts = [[r.name, usd(r.total)] for r in d.rows if r.kind in ("workload", "others")]
        if parts:
            dim = {"controller": "workload"}.get(d.group_by, d.group_by)
            lines += ["", f"Largest parts of {md_escape(e.name)}:", "", table([dim, "cost"], parts)]
    if p.slots.bucket and diff is not None:
        names = [s["name"] for s in diff.series]
        body = [
            [_when(x, size)]
            + [usd(x["groups"][n]) for n in names]
            + [usd(x["difference"], signed=True)]
            for x in diff.buckets[-_MAX_ROWS:]
        ]
        lines += ["", f"By {size}:", "", table([size, a.name, b.name, "difference"], body)]
        lines += _partial_note(diff.buckets, size)
    return "\n".join(lines) + how_read(a) + how_read(b)
