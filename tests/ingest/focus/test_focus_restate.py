"""Re-ingesting a billing period replaces it: providers restate bills, Penny never double-counts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from assistant.config import load_settings
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import line, stored, write_csv

OCT = {"BillingPeriodStart": "2026-10-01 00:00:00", "BillingPeriodEnd": "2026-11-01 00:00:00"}
NOV = {
    "BillingPeriodStart": "2026-11-01 00:00:00",
    "BillingPeriodEnd": "2026-12-01 00:00:00",
    "ChargePeriodStart": "2026-11-03 00:00:00",
    "ChargePeriodEnd": "2026-11-03 01:00:00",
}


def money(v: str) -> dict[str, str]:
    return {
        "BilledCost": v,
        "EffectiveCost": v,
        "ListCost": v,
        "ContractedCost": v,
        "ListUnitPrice": v,
    }


def test_ingesting_the_same_file_twice_keeps_the_same_totals(tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "oct.csv", [line(**OCT, **money("1.10")), line(**OCT, **money("2.25"))]
    )
    first = ingest_focus([f], load_settings())
    second = ingest_focus([f], load_settings())
    # 1.10 + 2.25 = 3.35, once.
    assert stored("SELECT count(*), sum(billed_cost) FROM billing_lines") == [(2, Decimal("3.35"))]
    assert stored("SELECT DISTINCT ingest_id FROM billing_lines") == [(second.ingest_id,)]
    assert first.replaced_rows == 0 and second.replaced_rows == 2
    assert second.periods[0].replaced_ingest_ids == [first.ingest_id]
    assert second.periods[0].replaced_billed_cost == Decimal("3.35")


def test_a_restated_period_replaces_only_its_own_lines(tmp_path: Path) -> None:
    october = [line(**OCT, **money("1.10")), line(**OCT, **money("2.25"))]
    november = [line(**NOV, **money("5.00"))]
    other_account = [line(**OCT, BillingAccountId="999988887777", **money("7.00"))]
    ingest_focus(
        [write_csv(tmp_path / "a.csv", october + november + other_account)], load_settings()
    )
    # 3.35 (Oct, acct 1111…) + 5.00 (Nov) + 7.00 (Oct, acct 9999…) = 15.35
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("15.35"),)]

    restated = [
        line(**OCT, **money("1.10")),
        line(**OCT, **money("2.00")),
        line(**OCT, **money("0.05"), ChargeCategory="Tax"),
    ]
    report = ingest_focus([write_csv(tmp_path / "b.csv", restated)], load_settings())
    # Oct acct 1111… is now 1.10 + 2.00 + 0.05 = 3.15; Nov and the other account untouched:
    # 3.15 + 5.00 + 7.00 = 15.15.
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("15.15"),)]
    assert stored(
        "SELECT billing_account_id, strftime(billing_period_start, '%Y-%m'), count(*), "
        "sum(billed_cost) FROM billing_lines GROUP BY ALL ORDER BY ALL"
    ) == [
        ("111122223333", "2026-10", 3, Decimal("3.15")),
        ("111122223333", "2026-11", 1, Decimal("5.00")),
        ("999988887777", "2026-10", 1, Decimal("7.00")),
    ]
    assert stored(
        "SELECT count(*) FROM billing_lines WHERE source_file LIKE '%a.csv' "
        "AND billing_account_id = '111122223333' AND billing_period_start < '2026-11-01'"
    ) == [(0,)]
    # The log says what was replaced.
    details = json.loads(
        stored(f"SELECT details FROM ingest_log WHERE ingest_id = '{report.ingest_id}'")[0][0]
    )
    (period,) = details["periods"]
    assert (
        period["billing_account_id"],
        period["rows"],
        period["replaced_rows"],
        period["replaced_billed_cost"],
    ) == ("111122223333", 3, 2, "3.35")
    assert details["replaced_rows"] == 2


def test_replacement_is_per_provider(tmp_path: Path) -> None:
    aws = [line(**OCT, **money("1.00"))]
    azure = [line(**OCT, ProviderName="Microsoft", **money("4.00"))]
    ingest_focus([write_csv(tmp_path / "all.csv", aws + azure)], load_settings())
    ingest_focus([write_csv(tmp_path / "aws.csv", [line(**OCT, **money("1.50"))])], load_settings())
    # AWS restated to 1.50; Microsoft's 4.00 untouched: 5.50.
    assert stored(
        "SELECT provider_name, sum(billed_cost) FROM billing_lines GROUP BY 1 ORDER BY 1"
    ) == [("AWS", Decimal("1.50")), ("Microsoft", Decimal("4.00"))]
