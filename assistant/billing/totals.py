"""Invoice (BilledCost) and amortized (EffectiveCost) totals of a period, and the bridge
between them.

FOCUS separates the two views: a commitment purchase is billed when bought (BilledCost)
but amortized into the usage it covers (EffectiveCost), so covered usage has BilledCost 0
and a positive EffectiveCost; unused commitment is EffectiveCost only. The bridge groups
every line by the reason its two costs differ, and its amounts sum to invoice - amortized
exactly. Lines are prorated by the part of their charge period inside the window (lines
wholly inside count in full, exactly).
"""

from __future__ import annotations

from decimal import Decimal

from assistant.billing.loaders import dec
from assistant.billing.models import BillTotals, CategoryTotal, InvoiceBridgeItem
from assistant.billing.variance import ZERO
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["bill_totals", "build_totals"]

_REASON_SQL = """
CASE
  WHEN coalesce(charge_category, 'Usage') = 'Purchase' THEN 'commitment purchases'
  WHEN coalesce(charge_category, 'Usage') = 'Usage' AND commitment_discount_status = 'Used'
       THEN 'usage covered by commitments'
  WHEN commitment_discount_status = 'Unused' THEN 'unused commitment'
  WHEN charge_category = 'Credit' THEN 'credits'
  WHEN charge_category = 'Tax' THEN 'tax'
  WHEN charge_category = 'Adjustment' THEN 'refunds and corrections'
  ELSE 'other usage'
END
"""

# f = share of the line's charge period inside the window; exact 1 for lines wholly inside.
_SQL = f"""
WITH lines AS (
  SELECT *,
    CASE WHEN charge_period_start >= ? AND charge_period_end <= ? THEN NULL
         ELSE greatest(date_diff('second', greatest(charge_period_start, ?),
                                 least(charge_period_end, ?)), 0)::DOUBLE
              / greatest(date_diff('second', charge_period_start, charge_period_end), 1)
    END AS f
  FROM billing_lines
  WHERE charge_period_start < ? AND charge_period_end > ?
)
SELECT coalesce(charge_category, 'Usage') AS category, {_REASON_SQL} AS reason,
       sum(CASE WHEN f IS NULL THEN billed_cost ELSE (billed_cost * f)::DECIMAL(38,12) END),
       sum(CASE WHEN f IS NULL THEN effective_cost
                ELSE (effective_cost * f)::DECIMAL(38,12) END),
       sum(CASE WHEN f IS NULL THEN coalesce(list_cost, effective_cost)
                ELSE (coalesce(list_cost, effective_cost) * f)::DECIMAL(38,12) END),
       count(*)
FROM lines
GROUP BY ALL
"""

_BRIDGE_ORDER = [
    "commitment purchases",
    "usage covered by commitments",
    "unused commitment",
    "credits",
    "tax",
    "refunds and corrections",
    "other usage",
]


def bill_totals(con: Connection, window: Window) -> BillTotals | None:
    """Totals of the billing lines overlapping ``window``; None when there are none."""
    w = [window.start, window.end]
    rows = con.execute(_SQL, [*w, *w, window.end, window.start]).fetchall()
    if not rows:
        return None
    return build_totals([(c, r, dec(b), dec(e), dec(lst), int(n)) for c, r, b, e, lst, n in rows])


def build_totals(rows: list[tuple[str, str, Decimal, Decimal, Decimal, int]]) -> BillTotals:
    """Pure: (category, reason, billed, effective, list, lines) rows -> totals and bridge."""
    by_cat: dict[str, list[Decimal]] = {}
    by_reason: dict[str, list[Decimal]] = {}
    lines = 0
    for category, reason, billed, effective, list_cost, n in rows:
        c = by_cat.setdefault(category, [ZERO, ZERO])
        c[0] += billed
        c[1] += effective
        r = by_reason.setdefault(reason, [ZERO, ZERO, ZERO, ZERO])
        r[0] += billed
        r[1] += effective
        r[2] += list_cost
        r[3] += n
        lines += n
    invoice = sum((v[0] for v in by_cat.values()), ZERO)
    amortized = sum((v[1] for v in by_cat.values()), ZERO)
    bridge = [
        InvoiceBridgeItem(
            reason=name,
            amount=by_reason[name][0] - by_reason[name][1],
            lines=int(by_reason[name][3]),
        )
        for name in _BRIDGE_ORDER
        if name in by_reason
    ]

    def eff(reason: str) -> Decimal:
        return by_reason.get(reason, [ZERO, ZERO])[1]

    covered = by_reason.get("usage covered by commitments", [ZERO, ZERO, ZERO, ZERO])
    usage_total = sum(
        (
            v[1]
            for k, v in by_reason.items()
            if k in {"usage covered by commitments", "other usage", "unused commitment"}
        ),
        ZERO,
    )
    coverage = (
        (covered[1] / usage_total * 100).quantize(Decimal("0.01"))
        if usage_total and covered[3]
        else None
    )
    return BillTotals(
        invoice=invoice,
        amortized=amortized,
        difference=invoice - amortized,
        by_category=[
            CategoryTotal(charge_category=k, billed=v[0], effective=v[1])
            for k, v in sorted(by_cat.items())
        ],
        bridge=bridge,
        credits=by_cat.get("Credit", [ZERO, ZERO])[1],
        tax=by_cat.get("Tax", [ZERO, ZERO])[1],
        adjustments=by_cat.get("Adjustment", [ZERO, ZERO])[1],
        commitment_purchases=by_cat.get("Purchase", [ZERO, ZERO])[0],
        commitment_covered_usage=eff("usage covered by commitments"),
        commitment_coverage_pct=coverage,
        commitment_savings=covered[2] - covered[1],
        lines=lines,
    )
