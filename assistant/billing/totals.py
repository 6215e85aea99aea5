"""Invoice (BilledCost) and amortized (EffectiveCost) totals of a period, and the bridge
between them.

FOCUS separates the two views: a commitment purchase is billed when bought (BilledCost)
but amortized into the usage it covers (EffectiveCost), so covered usage has BilledCost 0
and a positive EffectiveCost; unused commitment is EffectiveCost only. The bridge groups
every line by the reason its two costs differ, and its amounts sum to invoice - amortized
exactly. Lines are prorated by the part of their charge period inside the window (lines
wholly inside count in full, exactly).

The same pass gives what commitments and spot did: the saving of covered usage against
list price, coverage, utilisation (used ÷ used + unused commitment) and the unused part,
and spot usage (FOCUS ``PricingCategory = 'Dynamic'``) against its list price. Every
reader of these figures (the bill explanation, ``bill_costs``, both engines) gets them
from here, so there is one computation of each.
"""

from __future__ import annotations

from decimal import Decimal

from assistant.billing.loaders import dec
from assistant.billing.models import BillTotals, CategoryTotal, InvoiceBridgeItem
from assistant.billing.variance import ZERO
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["TotalsRow", "bill_totals", "build_totals", "prorated_lines_cte"]

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
_LINES_CTE = """
lines AS (
  SELECT *,
    CASE WHEN charge_period_start >= ? AND charge_period_end <= ? THEN NULL
         ELSE greatest(date_diff('second', greatest(charge_period_start, ?),
                                 least(charge_period_end, ?)), 0)::DOUBLE
              / greatest(date_diff('second', charge_period_start, charge_period_end), 1)
    END AS f
  FROM billing_lines
  WHERE charge_period_start < ? AND charge_period_end > ? AND ({where})
)"""


def prorated(column: str) -> str:
    """``column`` of a line in ``lines``, prorated to the window (exact when wholly inside)."""
    return f"CASE WHEN f IS NULL THEN {column} ELSE ({column} * f)::DECIMAL(38,12) END"


def prorated_lines_cte(window: Window, where: str = "TRUE") -> tuple[str, list[object]]:
    """The ``lines`` CTE (billing lines overlapping ``window`` with their share ``f``)."""
    w = [window.start, window.end]
    return _LINES_CTE.format(where=where), [*w, *w, window.end, window.start]


_SQL = f"""
SELECT coalesce(charge_category, 'Usage') AS category, {_REASON_SQL} AS reason,
       coalesce(pricing_category = 'Dynamic', false) AS spot,
       sum({prorated("billed_cost")}),
       sum({prorated("effective_cost")}),
       sum({prorated("coalesce(list_cost, effective_cost)")}),
       count(*)
FROM lines
GROUP BY ALL
"""

#: (charge category, reason, spot?, billed, effective, list, lines)
TotalsRow = tuple[str, str, bool, Decimal, Decimal, Decimal, int]

_BRIDGE_ORDER = [
    "commitment purchases",
    "usage covered by commitments",
    "unused commitment",
    "credits",
    "tax",
    "refunds and corrections",
    "other usage",
]


def bill_totals(
    con: Connection, window: Window, where: str = "TRUE", params: list[object] | None = None
) -> BillTotals | None:
    """Totals of the billing lines overlapping ``window`` (and matching ``where``, SQL over
    ``billing_lines`` columns with its ``params``); None when there are none."""
    cte, cte_params = prorated_lines_cte(window, where)
    sql = f"WITH {cte}{_SQL}"
    rows = con.execute(sql, [*cte_params, *(params or [])]).fetchall()
    if not rows:
        return None
    return build_totals(
        [(c, r, bool(s), dec(b), dec(e), dec(lst), int(n)) for c, r, s, b, e, lst, n in rows]
    )


def build_totals(rows: list[TotalsRow]) -> BillTotals:
    """Pure: (category, reason, spot, billed, effective, list, lines) rows -> totals, bridge,
    commitment and spot figures."""
    by_cat: dict[str, list[Decimal]] = {}
    by_reason: dict[str, list[Decimal]] = {}
    spot = [ZERO, ZERO]  # effective, list of spot usage
    lines = 0
    for category, reason, is_spot, billed, effective, list_cost, n in rows:
        if is_spot and category == "Usage":
            spot[0] += effective
            spot[1] += list_cost
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
    unused = eff("unused commitment")
    utilisation = (
        (covered[1] / (covered[1] + unused) * 100).quantize(Decimal("0.01"))
        if covered[1] + unused > 0
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
        commitment_unused=unused,
        commitment_utilisation_pct=utilisation,
        spot_effective=spot[0],
        spot_list=spot[1],
        spot_savings=spot[1] - spot[0],
        lines=lines,
    )
