"""Bill charts with matplotlib's Agg backend (no display): daily cost stacked by team, and
the waterfall from the comparison month's total to this month's through each effect.

Charts are rendered to bytes (PNG or SVG) so the HTML report can embed them as data URIs
and Slack can upload the files; nothing here reads the warehouse.
"""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from typing import Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from assistant.billing.models import DailyPoint, Variance

__all__ = ["daily_chart", "render", "waterfall_chart"]

Fmt = Literal["png", "svg"]
_DOLLARS = FuncFormatter(lambda v, _: f"${v:,.0f}")


def render(fig: Figure, fmt: Fmt) -> bytes:
    buf = io.BytesIO()
    # Fixed metadata keeps the bytes reproducible for the same data.
    meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight", metadata=meta)
    plt.close(fig)
    return buf.getvalue()


def daily_chart(points: list[DailyPoint], title: str) -> Figure:
    days = sorted({p.day for p in points})
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in points:
        totals[p.group] += p.cost
    groups = sorted(totals, key=lambda g: (g == "other", -totals[g]))
    values = {(p.day, p.group): float(p.cost) for p in points}
    fig, ax = plt.subplots(figsize=(9, 4))
    bottom = [0.0] * len(days)
    negative = [0.0] * len(days)
    cmap = plt.get_cmap("tab10")
    for i, group in enumerate(groups):
        ys = [values.get((d, group), 0.0) for d in days]
        base = [negative[j] if y < 0 else bottom[j] for j, y in enumerate(ys)]
        # matplotlib hides legend labels starting with '_': show __idle__ as 'idle'
        ax.bar(
            range(len(days)),
            ys,
            bottom=base,
            label=group.strip("_") or group,
            color=cmap(i % 10),
            width=0.8,
        )
        for j, y in enumerate(ys):
            if y < 0:
                negative[j] += y
            else:
                bottom[j] += y
    ax.set_xticks(range(len(days)))
    ax.set_xticklabels([d[5:] for d in days], rotation=90, fontsize=7)
    ax.yaxis.set_major_formatter(_DOLLARS)
    ax.set_title(title)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.legend(fontsize=7, ncol=2, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def waterfall_chart(v: Variance, title: str) -> Figure:
    labels = [v.a["label"]] + [e.label for e in v.effects] + [v.b["label"]]
    fig, ax = plt.subplots(figsize=(9, 4))
    running = float(v.total_a)
    ax.bar(0, running, color="#7f8c8d")
    for i, e in enumerate(v.effects, start=1):
        amount = float(e.amount)
        ax.bar(i, amount, bottom=running, color="#c0392b" if amount > 0 else "#27ae60")
        ax.text(
            i, running + max(amount, 0), f"{amount:+,.0f}", ha="center", va="bottom", fontsize=7
        )
        running += amount
    ax.bar(len(labels) - 1, float(v.total_b), color="#34495e")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.yaxis.set_major_formatter(_DOLLARS)
    ax.set_title(title, pad=16)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
