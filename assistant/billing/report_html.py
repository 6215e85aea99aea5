"""A self-contained HTML bill report: inline CSS, charts embedded as data URIs, no scripts,
no external requests, so it can be mailed, attached or opened offline.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from html import escape

from assistant.billing.budget_rows import BUDGET_COLUMNS, budget_cells
from assistant.billing.models import EFFECT_LABELS, BillExplanation
from assistant.billing.variance import shown_drivers
from assistant.core.money import usd, usd_change

__all__ = ["STYLE_HASH", "html_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:980px;color:#222;line-height:1.45}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:8px;
padding:.8rem 1.2rem}.card b{display:block;font-size:1.4rem}.muted{color:#666;font-size:.85rem}
img{max-width:100%;height:auto;border:1px solid #eee}.flag{color:#a94442}
"""
#: the CSP source of the one style block (served over HTTP, a report may use that style
#: and nothing else: no other inline style, no script)
STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode() + "'"


def _n(value: Decimal, sign: bool = False) -> str:
    return f'<td class="n">{escape(usd_change(value) if sign else usd(value))}</td>'


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _td(text: object) -> str:
    return f"<td>{escape(str(text))}</td>"


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_report(expl: BillExplanation, images: dict[str, bytes]) -> str:
    month = escape(expl.month["label"])
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Bill {month}"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>Bill for {month}{' (month to date)' if expl.partial else ''}</h1>",
        f'<p id="narrative">{escape(expl.narrative)}</p>',
    ]
    if expl.narrative_flags:
        parts.append(
            '<ul class="flag">'
            + "".join(f"<li>Removed: {escape(f)}</li>" for f in expl.narrative_flags)
            + "</ul>"
        )
    cards = []
    t = expl.totals
    if t is not None:
        cards += [
            ("Amortized (EffectiveCost)", usd(t.amortized), "total-amortized"),
            ("Invoice (BilledCost)", usd(t.invoice), "total-invoice"),
        ]
    else:
        cards.append((f"Visible cost ({expl.scope})", usd(expl.allocated_total), "total-visible"))
    v = expl.variance
    if v is not None:
        cards.append((f"Change vs {v.a['label']}", usd_change(v.change), "total-change"))
    if expl.forecast is not None:
        cards.append(("Forecast (month end)", usd(expl.forecast.forecast), "forecast"))
    parts.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card" id="{i}">{escape(k)}<b>{escape(val)}</b></div>'
            for k, val, i in cards
        )
        + "</div>"
    )
    if t is not None:
        parts.append("<h2>Invoice vs amortized</h2>")
        parts.append(
            _table(
                ["Reason", "Invoice − amortized", "Lines"],
                [_row([_td(b.reason), _n(b.amount), _td(b.lines)]) for b in t.bridge],
            )
        )
        cov = "—" if t.commitment_coverage_pct is None else f"{t.commitment_coverage_pct}%"
        parts.append(
            f'<p class="muted">Commitment coverage {escape(cov)}; commitment savings '
            f"{escape(usd(t.commitment_savings))}; credits {escape(usd(t.credits))}"
            f"; tax {escape(usd(t.tax))}.</p>"
        )
    r = expl.reconciliation
    if r is not None:
        parts.append("<h2>Reconciliation</h2>")
        rows = [
            _row(
                [
                    _td(x.cluster),
                    _n(x.allocated),
                    _n(x.idle),
                    _n(x.shared),
                    _n(x.unallocated),
                    _n(x.total),
                ]
            )
            for x in r.rows
        ]
        rows.append(
            _row(
                [
                    _td("all clusters"),
                    _n(r.allocated),
                    _n(r.idle),
                    _n(r.shared),
                    _n(r.unallocated),
                    _n(r.total),
                ]
            )
        )
        parts.append(
            _table(["Cluster", "Allocated", "Idle", "Shared", "Unallocated", "Total"], rows)
        )
        status = (
            "matches the bill to the cent"
            if r.reconciled
            else f"differs from the bill by {usd(r.difference or Decimal(0))}"
        )
        parts.append(f'<p class="muted">Allocation {escape(status)}.</p>')
    if expl.budgets:
        parts.append("<h2>Budgets</h2>")
        parts.append(
            _table(
                BUDGET_COLUMNS,
                [_row([_td(c) for c in budget_cells(b)]) for b in expl.budgets],
            )
        )
    for name, title in (
        ("daily_by_team", "Daily cost by team"),
        ("waterfall", "From last month to this month"),
    ):
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f'<h2>{escape(title)}</h2><img id="chart-{name}" alt="{title}" '
                f'src="data:image/png;base64,{data}">'
            )
    if v is not None:
        parts.append(f"<h2>Drivers ({escape(v.a['label'])} → {escape(v.b['label'])})</h2>")
        parts.append(
            _table(
                ["Effect", "Amount"],
                [_row([_td(e.label), _n(e.amount, sign=True)]) for e in v.effects],
            )
        )
        parts.append(
            _table(
                ["Driver", "Subject", "Team", "Amount", "% of change"],
                [
                    _row(
                        [
                            _td(EFFECT_LABELS[d.effect]),
                            _td(d.subject),
                            _td(d.team or "—"),
                            _n(d.amount, sign=True),
                            _td("—" if d.pct_of_change is None else f"{d.pct_of_change:+}%"),
                        ]
                    )
                    for d in shown_drivers(v)
                ],
            )
        )
        if v.notes:
            parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in v.notes) + "</ul>")
    if expl.forecast is not None:
        f = expl.forecast
        span = (
            f" Range {usd(f.low)} to {usd(f.high)}."
            if f.low is not None and f.high is not None
            else ""
        )
        parts.append(f'<p class="muted">Forecast method: {escape(f.method)}.{escape(span)}</p>')
    if expl.notes:
        parts.append(
            "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in expl.notes) + "</ul>"
        )
    parts.append(
        f'<p class="muted">Source: {escape(", ".join(expl.provenance.get("tables", [])))}'
        f"; {escape(expl.covered['start'])} to {escape(expl.covered['end'])} "
        "(end exclusive).</p></body></html>"
    )
    return "\n".join(parts)
