"""Invariants of the generator for any end date and seed (Hypothesis)."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date
from decimal import Decimal
from itertools import pairwise

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from assistant.demo.focus_writer import bill_lines
from assistant.demo.org import build_org


# each example builds a whole organisation (~2 s): few examples, and no shrinking (a
# failure prints its end date and seed, which reproduce it exactly)
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@example(end=date(2026, 11, 1), seed=7)  # the 1st: no current-month data at all
@example(end=date(2026, 11, 2), seed=7)  # one day of the current month
@given(
    end=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_every_node_hour_is_billed_once_and_every_pod_fits(end: date, seed: int) -> None:
    org = build_org(end, scale="small", seed=seed)
    rows = bill_lines(org)
    assert org.warnings == []
    assert len(org.months) in (2, 3) and org.months[0][0] == 0
    vm = Counter(r["ResourceId"] for r in rows if r.get("ResourceType") == "Virtual Machine")
    assert vm == Counter({n.instance_id: n.end - n.start for n in org.nodes})
    # pods never outlive their node, and hold a GPU device only one at a time
    held: dict[tuple[str, int, int | None], list[tuple[int, int]]] = {}
    for p in org.pods:
        assert p.node.start <= p.start < p.end <= p.node.end
        for dev in p.gpu_devices:
            held.setdefault((p.node.name, *dev), []).append((p.start, p.end))
    for spans in held.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    # the Savings Plan covers 5 nodes from M2 day 15 to the end of the data
    m2_start, _ = org.months[1]
    covered = sum(1 for r in rows if r.get("CommitmentDiscountStatus") == "Used")
    assert covered == 5 * (org.hours - (m2_start + 14 * 24))
    # one -$500 credit, in M2
    m2 = org.at(m2_start)
    credits = [r for r in rows if r["ChargeCategory"] == "Credit"]
    assert [(c["ChargePeriodStart"].month, c["BilledCost"]) for c in credits] == [
        (m2.month, Decimal("-500"))
    ]
    # tax only on closed months
    taxed = {r["ChargePeriodStart"].month for r in rows if r["ChargeCategory"] == "Tax"}
    closed = {
        org.at(a).month
        for a, b in org.months
        if b - a == calendar.monthrange(org.at(a).year, org.at(a).month)[1] * 24
    }
    assert taxed == closed
