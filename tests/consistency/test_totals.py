"""Every interface's total for every closed month equals the bill, to the cent (issue 10).

For the demo and for the churn scenario (node churn, spot interruptions, MIG, PVs, a
restated bill, an estimate), every view of ``views.VIEWS`` — each grouping of ``costs``
in both bases, the asset view, ``penny costs`` and ``penny bill``, the tools, the offline
answers, HTTP and Slack — states Σ EffectiveCost (amortized) or Σ BilledCost (invoice) of
that month's lines. The bills come from the files that were ingested (the demo's
truths.json, the lines the churn generator wrote), never from the warehouse.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.consistency.views import VIEWS, Warehouse

CENT = Decimal("0.01")
pytestmark = pytest.mark.slow


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_totals_the_bill(warehouse: Warehouse, view: str) -> None:
    checked, wrong = 0, []
    for month in warehouse.months:
        for basis, stated in VIEWS[view](warehouse, month).items():
            want = _cents(warehouse.bill[month][basis.split(" ")[0]])
            got = stated if isinstance(stated, str) else _cents(stated)
            if got != (f"${want:,}" if isinstance(stated, str) else want):
                wrong.append((month, basis, str(got), str(want)))
            checked += 1
    assert checked, f"{view} stated no total for {warehouse.months}"
    assert wrong == [], f"{warehouse.name}: {view} differs from the bill: {wrong}"
