"""Value handling: spellings, JSON, unparsable optional values, currencies, time zones, versions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import load_settings
from assistant.errors import ImportFileError
from assistant.ingest.focus.columns import (
    ALLOWED_VALUES,
    detect_version,
    mandatory_columns,
    normalise_value,
)
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import COLUMNS_1_0, line, stored, write_csv


def test_spellings_from_several_providers_are_normalised_and_reported(tmp_path: Path) -> None:
    rows = [
        line(ChargeCategory="usage", ServiceCategory="compute"),
        line(ChargeCategory="USAGE", ChargeFrequency="usage_based", ProviderName="Oracle"),
        line(ChargeCategory="Usage", PricingCategory="On-Demand", ProviderName="Microsoft"),
        line(ChargeCategory="Usage", ServiceCategory="Quantum Things"),
    ]
    report = ingest_focus([write_csv(tmp_path / "mixed.csv", rows)], load_settings())
    assert stored(
        "SELECT charge_category, charge_frequency, pricing_category, service_category "
        "FROM billing_lines ORDER BY source_row"
    ) == [
        ("Usage", "Usage-Based", "Standard", "Compute"),
        ("Usage", "Usage-Based", "Standard", "Compute"),
        ("Usage", "Usage-Based", "Standard", "Compute"),
        ("Usage", "Usage-Based", "Standard", "Quantum Things"),
    ]
    spelled = {f.column: f for f in report.findings if f.code == "value_spelling"}
    assert {c: f.count for c, f in spelled.items()} == {
        "ChargeCategory": 2,
        "ChargeFrequency": 1,
        "PricingCategory": 1,
        "ServiceCategory": 1,
    }
    assert spelled["ChargeCategory"].details["values"] == [
        {"from": "USAGE", "to": "Usage", "count": 1},
        {"from": "usage", "to": "Usage", "count": 1},
    ]
    assert sorted(e["row"] for e in spelled["ChargeCategory"].examples) == [1, 2]
    unknown = report.finding("value_not_in_spec", "ServiceCategory")
    assert unknown is not None and unknown.count == 1
    assert unknown.details["values"] == [{"from": "Quantum Things", "count": 1}]


def test_malformed_tags_are_a_finding_and_kept_as_text(tmp_path: Path) -> None:
    rows = [
        line(Tags='{"team": "a"}'),
        line(Tags="team=a;env=b"),
        line(Tags='["a"]'),
        line(Tags=None),
    ]
    report = ingest_focus([write_csv(tmp_path / "tags.csv", rows)], load_settings())
    bad = report.finding("invalid_json", "Tags")
    assert bad is not None and bad.count == 2
    assert [e["row"] for e in bad.examples] == [2, 3]
    got = stored("SELECT tags, extra_columns FROM billing_lines ORDER BY source_row")
    assert json.loads(got[0][0]) == {"team": "a"} and got[0][1] is None
    assert got[1][0] is None and json.loads(got[1][1]) == {"Tags": "team=a;env=b"}
    assert got[2][0] is None and json.loads(got[2][1]) == {"Tags": '["a"]'}
    assert got[3] == (None, None)


def test_unparsable_optional_number_is_kept_not_fatal(tmp_path: Path) -> None:
    rows = [line(ListUnitPrice="0.5"), line(ListUnitPrice="see contract", x_Note="n1")]
    report = ingest_focus([write_csv(tmp_path / "u.csv", rows)], load_settings())
    bad = report.finding("unparsable_value", "ListUnitPrice")
    assert bad is not None and bad.count == 1 and bad.examples[0]["row"] == 2
    got = stored("SELECT list_unit_price, extra_columns FROM billing_lines ORDER BY source_row")
    # Row 1: parsed, and its x_Note is NULL, so it has no extra columns at all.
    assert got[0] == (Decimal("0.5"), None)
    assert got[1][0] is None
    assert json.loads(got[1][1]) == {"x_Note": "n1", "ListUnitPrice": "see contract"}


def test_null_costs_are_kept_and_reported(tmp_path: Path) -> None:
    rows = [line(BilledCost=None), line(EffectiveCost=None), line()]
    report = ingest_focus([write_csv(tmp_path / "n.csv", rows)], load_settings())
    assert report.rows == 3
    assert {(f.column, f.count) for f in report.findings if f.code == "null_mandatory_value"} == {
        ("BilledCost", 1),
        ("EffectiveCost", 1),
    }
    # SUM skips the null: billed 0.192 + 0.192 = 0.384, effective likewise.
    assert stored("SELECT sum(billed_cost), sum(effective_cost) FROM billing_lines") == [
        (Decimal("0.384"), Decimal("0.384"))
    ]


def test_mixed_currency_and_usage_rule_checks(tmp_path: Path) -> None:
    rows = [
        line(),
        line(),
        line(BillingCurrency="EUR"),
        line(ChargePeriodEnd="2026-10-05 00:00:00"),  # end == start
        line(BilledCost="-1", EffectiveCost="-1"),  # negative usage
        line(
            ChargeCategory="Credit",
            BilledCost="-5",
            EffectiveCost="-5",
            ListCost="-5",
            ListUnitPrice=None,
        ),  # a credit: fine
        line(ListCost="0.384"),
    ]  # 0.192 × 1 ≠ 0.384
    report = ingest_focus([write_csv(tmp_path / "r.csv", rows)], load_settings())
    got = {(f.code, f.column): f.count for f in report.findings}
    assert got == {
        ("mixed_currency", "BillingCurrency"): 1,
        ("charge_period_not_after_start", None): 1,
        ("negative_usage_cost", None): 1,
        ("list_cost_mismatch", None): 1,
        ("duplicate_rows", None): 1,  # rows 1 and 2 are the same line
    }
    mixed = report.finding("mixed_currency")
    assert mixed is not None and mixed.details["rows_by_currency"] == {"USD": 6, "EUR": 1}
    assert report.totals_by_provider()["AWS"]["EUR"]["rows"] == 1


def test_times_with_zones_are_stored_in_utc(tmp_path: Path) -> None:
    rows = [
        line(
            ChargePeriodStart="2026-10-05T02:00:00+02:00",
            ChargePeriodEnd="2026-10-05T01:00:00Z",
            BillingPeriodStart="2026-10-01T00:00:00Z",
            BillingPeriodEnd="2026-11-01T00:00:00.000Z",
        )
    ]
    ingest_focus([write_csv(tmp_path / "tz.csv", rows)], load_settings())
    assert stored(
        "SELECT strftime(charge_period_start, '%Y-%m-%d %H:%M'), "
        "strftime(charge_period_end, '%Y-%m-%d %H:%M'), "
        "strftime(billing_period_end, '%Y-%m-%d %H:%M') FROM billing_lines"
    ) == [("2026-10-05 00:00", "2026-10-05 01:00", "2026-11-01 00:00")]


def test_versions_are_detected_from_columns_and_checked(tmp_path: Path) -> None:
    v11 = line(
        ServiceSubcategory="Virtual Machines",
        SkuMeter="Compute Usage",
        SkuPriceDetails='{"CoreCount": 4}',
        CommitmentDiscountQuantity="1",
    )
    v12 = dict(
        v11,
        BillingAccountType="Billing Profile",
        InvoiceId="INV-1",
        PricingCurrency="USD",
        PricingCurrencyEffectiveCost="0.192",
    )
    v13 = dict(
        v12,
        ServiceProviderName="AWS",
        HostProviderName="AWS",
        AllocatedMethodId="even",
        AllocatedTags='{"team": "x"}',
        ContractApplied='{"Elements": []}',
    )
    files = [
        # each file another instance's line: four files, not one line restated
        write_csv(tmp_path / f"{n}.csv", [dict(r, ResourceId=f"i-0{n}")])
        for n, r in (("v10", line()), ("v11", v11), ("v12", v12), ("v13", v13))
    ]
    report = ingest_focus(files, load_settings())
    assert [f.focus_version for f in report.files] == ["1.0", "1.1", "1.2", "1.3"]
    assert stored(
        "SELECT focus_version, service_provider_name, host_provider_name, "
        "pricing_currency_effective_cost, sku_price_details->>'CoreCount', "
        "allocated_tags->>'team' FROM billing_lines ORDER BY focus_version"
    ) == [
        ("1.0", None, None, None, None, None),
        ("1.1", None, None, None, "4", None),
        ("1.2", None, None, Decimal("0.192"), "4", None),
        ("1.3", "AWS", "AWS", Decimal("0.192"), "4", "x"),
    ]
    # A 1.3 file (it has 1.3 columns) without HostProviderName is missing a 1.3 column.
    partial = {k: v for k, v in v13.items() if k != "HostProviderName"}
    with pytest.raises(ImportFileError) as info:
        ingest_focus([write_csv(tmp_path / "p.csv", [partial])], load_settings())
    assert (info.value.column, "missing mandatory FOCUS 1.3 column(s): HostProviderName") == (
        "HostProviderName",
        str(info.value).split(": ", 1)[1].split(" See ")[0],
    )


def test_mandatory_column_sets() -> None:
    one_oh = {
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "ContractedCost",
        "EffectiveCost",
        "InvoiceIssuerName",
        "ListCost",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "ServiceCategory",
        "ServiceName",
    }
    assert set(mandatory_columns("1.0")) == one_oh <= set(COLUMNS_1_0)
    assert set(mandatory_columns("1.1")) == set(mandatory_columns("1.2")) == one_oh
    assert set(mandatory_columns("1.3")) == one_oh | {"ServiceProviderName", "HostProviderName"}
    assert detect_version(set(COLUMNS_1_0)) == "1.0"
    assert detect_version({"BilledCost", "InvoiceId"}) == "1.2"


@given(column=st.sampled_from(sorted(ALLOWED_VALUES)), data=st.data())
def test_normalising_ignores_case_and_separators(column: str, data: st.DataObject) -> None:
    spelling = data.draw(st.sampled_from(ALLOWED_VALUES[column]))
    mangled = "".join(
        data.draw(st.sampled_from([ch.lower(), ch.upper()]))
        if ch.isalpha()
        else data.draw(st.sampled_from([ch, "_", " ", "-"]))
        if ch in " -"
        else ch
        for ch in spelling
    )
    assert normalise_value(column, mangled) == spelling
    assert normalise_value(column, spelling) == spelling


def test_headers_spelled_differently_are_mapped_and_reported(tmp_path: Path) -> None:
    from assistant.ingest.focus.columns import snake

    row = line(x_Team="a")
    renamed = {snake(k) if k in ("BilledCost", "ResourceId") else k: v for k, v in row.items()}
    renamed["chargeperiodstart"] = renamed.pop("ChargePeriodStart")
    report = ingest_focus([write_csv(tmp_path / "snake.csv", [renamed])], load_settings())
    found = report.finding("column_name_spelling")
    assert found is not None and found.count == 3
    assert sorted((m["from"], m["to"]) for m in found.details["mapping"]) == [
        ("billed_cost", "BilledCost"),
        ("chargeperiodstart", "ChargePeriodStart"),
        ("resource_id", "ResourceId"),
    ]
    # x_ columns are never mapped to FOCUS names, even when they look like one.
    assert stored("SELECT billed_cost, resource_id, extra_columns FROM billing_lines") == [
        (Decimal("0.192"), "i-0abc1234def567890", '{"x_Team":"a"}')
    ]


def test_values_with_quotes_are_data_not_sql(tmp_path: Path) -> None:
    rows = [
        line(BillingCurrency="US'D"),
        line(BillingCurrency="US'D"),
        line(BillingCurrency="US'D"),
        line(ChargeCategory="Usage'; DROP TABLE billing_lines; --"),
    ]
    report = ingest_focus([write_csv(tmp_path / "quotes.csv", rows)], load_settings())
    mixed = report.finding("mixed_currency")
    # The most common currency is "US'D" (3 rows); the one USD row is the odd one out.
    assert mixed is not None and mixed.count == 1
    assert mixed.details["rows_by_currency"] == {"US'D": 3, "USD": 1}
    unknown = report.finding("value_not_in_spec", "ChargeCategory")
    assert unknown is not None and unknown.count == 1
    assert stored("SELECT count(*) FROM billing_lines") == [(4,)]
