"""Properties: no row lost, no cent drifted, and a restatement leaves exactly the newest bill."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import line, write_csv

money = st.decimals(
    min_value=Decimal("-1e9"),
    max_value=Decimal("1e9"),
    places=12,
    allow_nan=False,
    allow_infinity=False,
)
key = st.tuples(
    st.sampled_from(["AWS", "Microsoft"]),
    st.sampled_from(["acct-1", "acct-2"]),
    st.sampled_from(["2026-09", "2026-10", "2026-11"]),
)
bill = st.lists(st.tuples(key, money), min_size=1, max_size=12)

MONTH_END = {"2026-09": "2026-10", "2026-10": "2026-11", "2026-11": "2026-12"}


def rows(lines: list[tuple[tuple[str, str, str], Decimal]]) -> list[dict[str, Any]]:
    out = []
    for (provider, account, month), cost in lines:
        out.append(
            line(
                ProviderName=provider,
                BillingAccountId=account,
                BillingPeriodStart=f"{month}-01 00:00:00",
                BillingPeriodEnd=f"{MONTH_END[month]}-01 00:00:00",
                ChargePeriodStart=f"{month}-02 00:00:00",
                ChargePeriodEnd=f"{month}-02 01:00:00",
                BilledCost=str(cost),
                EffectiveCost=str(cost),
                ListCost=str(cost),
                ContractedCost=str(cost),
                ListUnitPrice=None,
                ChargeCategory="Adjustment",
            )
        )
    return out


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=bill, second=bill)
def test_restating_leaves_exactly_the_newest_lines_per_period(
    first: list[tuple[tuple[str, str, str], Decimal]],
    second: list[tuple[tuple[str, str, str], Decimal]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_settings(db=Path(tmp) / "w.duckdb")
        ingest_focus([write_csv(Path(tmp) / "a.csv", rows(first))], cfg)
        ingest_focus([write_csv(Path(tmp) / "b.csv", rows(second))], cfg)
        expected: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
        restated = {k for k, _ in second}
        for k, cost in first:
            if k not in restated:
                expected[k].append(cost)
        for k, cost in second:
            expected[k].append(cost)
        con = duckdb.connect(str(cfg.db_path), read_only=True)
        try:
            got = con.execute(
                "SELECT provider_name, billing_account_id, "
                "strftime(billing_period_start, '%Y-%m'), count(*), sum(billed_cost) "
                "FROM billing_lines GROUP BY ALL"
            ).fetchall()
        finally:
            con.close()
        assert {(p, a, m): (n, total) for p, a, m, n, total in got} == {
            k: (len(v), sum(v, Decimal(0))) for k, v in expected.items()
        }
