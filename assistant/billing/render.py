"""render_bill: one BillExplanation as Markdown, self-contained HTML or JSON (+ chart files).

Formatters are pure (explanation in, text out); the only I/O is writing the chart files and
the report into ``out_dir`` when one is given, for Slack uploads and `penny bill --out`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from assistant.billing.models import EFFECT_LABELS, BillExplanation, Variance
from assistant.billing.report_html import html_report
from assistant.billing.variance import MATERIAL_SHARE, shown_drivers
from assistant.core.money import usd, usd_change
from assistant.errors import InputError

__all__ = ["chart_files", "chart_images", "markdown_report", "render_bill", "variance_markdown"]

Format = Literal["md", "html", "json"]


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:+.2f}%"


def chart_images(expl: BillExplanation, fmt: Literal["png", "svg"]) -> dict[str, bytes]:
    """Each chart the explanation has data for, as image bytes (matplotlib loads here)."""
    from assistant.billing.charts import daily_chart, render, waterfall_chart

    images: dict[str, bytes] = {}
    if expl.daily:
        images["daily_by_team"] = render(
            daily_chart(expl.daily, f"Daily cost by team, {expl.month['label']}"), fmt
        )
    if expl.variance is not None:
        v = expl.variance
        images["waterfall"] = render(
            waterfall_chart(v, f"From {v.a['label']} to {v.b['label']}"), fmt
        )
    return images


def chart_files(expl: BillExplanation, out_dir: Path) -> list[Path]:
    """Write PNG and SVG of each chart; return the paths (for Slack uploads)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    month = expl.month["label"]
    for fmt in ("png", "svg"):
        for name, data in chart_images(expl, fmt).items():
            path = out_dir / f"bill-{month}-{name}.{fmt}"
            path.write_bytes(data)
            paths.append(path)
    return paths


def render_bill(expl: BillExplanation, fmt: Format = "md", out_dir: Path | None = None) -> str:
    """Render ``expl``; with ``out_dir``, also write the report and PNG/SVG charts there."""
    if fmt not in ("md", "html", "json"):
        raise InputError(f"Unknown bill format {fmt!r}.", hint="Use md, html or json.")
    if fmt == "json":
        text = expl.model_dump_json(indent=2)
    elif fmt == "html":
        text = html_report(expl, chart_images(expl, "png"))
    else:
        text = markdown_report(expl, charts=None)
    if out_dir is not None:
        files = chart_files(expl, out_dir)
        if fmt == "md":
            text = markdown_report(expl, charts=[p.name for p in files if p.suffix == ".png"])
        (out_dir / f"bill-{expl.month['label']}.{fmt}").write_text(text, encoding="utf-8")
    return text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def markdown_report(expl: BillExplanation, charts: list[str] | None) -> str:
    month = expl.month["label"]
    lines = [
        f"# Bill for {month}" + (" (month to date)" if expl.partial else ""),
        "",
        expl.narrative,
        "",
    ]
    if expl.narrative_flags:
        lines += ["> Removed from the narrative (numbers not in the data):", ""]
        lines += [f"> - {f}" for f in expl.narrative_flags] + [""]
    t = expl.totals
    if t is not None:
        lines += ["## Totals", ""]
        lines += _table(
            ["View", "Amount"],
            [
                ["Amortized (EffectiveCost)", usd(t.amortized)],
                ["Invoice (BilledCost)", usd(t.invoice)],
                ["Difference (invoice − amortized)", usd(t.difference)],
            ],
        )
        lines += ["", "Why the invoice differs from the amortized view:", ""]
        lines += _table(
            ["Reason", "Invoice − amortized", "Lines"],
            [[b.reason, usd(b.amount), str(b.lines)] for b in t.bridge],
        )
        coverage = "—" if t.commitment_coverage_pct is None else f"{t.commitment_coverage_pct}%"
        lines += [
            "",
            f"Commitment coverage of usage: {coverage}; savings from commitments "
            f"{usd(t.commitment_savings)}; credits {usd(t.credits)}; tax "
            f"{usd(t.tax)}; refunds/corrections {usd(t.adjustments)}.",
            "",
        ]
    else:
        lines += [f"Visible cost ({expl.scope}): {usd(expl.allocated_total)} amortized.", ""]
    r = expl.reconciliation
    if r is not None:
        lines += ["## Reconciliation", ""]
        rows = [
            [
                x.cluster,
                usd(x.allocated),
                usd(x.idle),
                usd(x.shared),
                usd(x.unallocated),
                usd(x.total),
            ]
            for x in r.rows
        ]
        rows.append(
            [
                "**all**",
                usd(r.allocated),
                usd(r.idle),
                usd(r.shared),
                usd(r.unallocated),
                usd(r.total),
            ]
        )
        lines += _table(["Cluster", "Allocated", "Idle", "Shared", "Unallocated", "Total"], rows)
        bill = "—" if r.bill_amortized is None else usd(r.bill_amortized)
        status = (
            "matches the bill to the cent"
            if r.reconciled
            else (f"differs from the bill by {usd(r.difference or Decimal(0))}")
        )
        lines += ["", f"Bill (amortized): {bill} — allocation {status}.", ""]
    if expl.forecast is not None:
        f = expl.forecast
        lines += [
            "## Forecast",
            "",
            f"Month to date {usd(f.month_to_date)} over "
            f"{f.days_elapsed} of {f.days_in_month} days; forecast {usd(f.forecast)}"
            + (
                f" (range {usd(f.low)} to {usd(f.high)})"
                if f.low is not None and f.high is not None
                else ""
            )
            + f". Method: {f.method}.",
            "",
        ]
    if expl.variance is not None:
        lines += variance_markdown(expl.variance)
    if charts:
        lines += ["## Charts", ""] + [f"![{c}]({c})" for c in charts] + [""]
    if expl.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in expl.notes] + [""]
    lines += [
        f"_Source: {', '.join(expl.provenance.get('tables', []))}; window "
        f"{expl.covered['start']} to {expl.covered['end']} (end exclusive); "
        f"{expl.provenance.get('basis', '')}._",
        "",
    ]
    return "\n".join(lines)


def variance_markdown(
    v: Variance, dims: tuple[str, ...] = ("team", "namespace", "service"), *, level: int = 2
) -> list[str]:
    """The change from A to B as Markdown lines: effects (summing to the change), the
    drivers a report lists, and per-group tables. `penny bill` and the Slack "Why?" of a
    weekly digest both print it."""
    h = "#" * level
    lines = [
        f"{h} Change from {v.a['label']} to {v.b['label']}",
        "",
        f"{usd(v.total_a)} → {usd(v.total_b)}: {usd_change(v.change)} "
        f"({_pct(v.pct)}), {v.basis}. The effects add up to the change exactly.",
        "",
    ]
    lines += _table(["Effect", "Amount"], [[e.label, usd_change(e.amount)] for e in v.effects])
    lines += ["", f"{h}# Top drivers", ""]
    shown = shown_drivers(v)
    lines += _table(
        ["Driver", "Subject", "Team", "Amount", "% of change", "Evidence"],
        [
            [
                EFFECT_LABELS[d.effect],
                d.subject,
                d.team or "—",
                usd_change(d.amount),
                _pct(d.pct_of_change),
                _evidence(d.evidence),
            ]
            for d in shown
        ],
    )
    if v.drivers_total > len(shown):
        lines.append(
            f"\n…and {v.drivers_total - len(shown)} more drivers, each under "
            f"{(MATERIAL_SHARE * 100).normalize():f}% of the change "
            "(see --format json)."
        )
    for dim in dims:
        groups = v.groups.get(dim, [])[:10]
        if not groups:
            continue
        lines += ["", f"{h}# By {dim}", ""]
        lines += _table(
            [dim.capitalize(), v.a["label"], v.b["label"], "Change", "%"],
            [
                [g.group, usd(g.before), usd(g.after), usd_change(g.change), _pct(g.pct)]
                for g in groups
            ],
        )
    if v.notes:
        lines += [""] + [f"- {n}" for n in v.notes]
    lines.append("")
    return lines


def _evidence(ev: dict[str, Any]) -> str:
    parts = []
    qa: dict[str, Any] = ev.get("quantity_a") or {}
    qb: dict[str, Any] = ev.get("quantity_b") or {}
    for unit in sorted(set(qa) | set(qb)):
        parts.append(
            f"{unit.replace('_', '-')} {float(qa.get(unit, 0)):,.0f} → "
            f"{float(qb.get(unit, 0)):,.0f}"
        )
    if ev.get("node_hours_b") or ev.get("node_hours_a"):
        parts.append(f"node-hours {ev.get('node_hours_a')} → {ev.get('node_hours_b')}")
    skus: list[str] = ev.get("skus") or []
    if skus:
        parts.append("SKU " + ", ".join(skus))
    wls: list[dict[str, Any]] = ev.get("workloads") or []
    if len(wls) > 1:
        parts.append("workloads " + ", ".join(str(w["workload"]) for w in wls[:3]))
    return "; ".join(parts) or "—"
