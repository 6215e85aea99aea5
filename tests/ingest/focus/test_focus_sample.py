"""The FinOps Foundation's 1,000-row FOCUS 1.0 sample: every row lands, every quirk counted.

Each expected count is recomputed here from the raw file with the csv module and Decimal,
following the rule as documented in assistant/ingest/focus/checks.py, not by the importer.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.ingest.focus.run import FocusIngestReport, ingest_focus
from tests.ingest.focus.focus_rows import COLUMNS_1_0, stored

NON_NULL = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
]
CHARGE_FREQUENCY = ("One-Time", "Recurring", "Usage-Based")
DECIMALS = [
    "BilledCost",
    "ConsumedQuantity",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingQuantity",
]


def over_precise(text: str | None) -> bool:
    """More than 12 decimals, and not just trailing zeros: DECIMAL(38,12) would round it."""
    if text is None:
        return False
    value = Decimal(text)
    return value != value.quantize(Decimal("1e-12"))


def value(raw: str) -> str | None:
    """The exporter writes null as NULL (AWS, Microsoft) or as an empty field (Oracle)."""
    return None if raw in ("NULL", "") else raw


@pytest.fixture
def sample_rows(focus_sample: Path) -> list[dict[str, str | None]]:
    with focus_sample.open(newline="") as fh:
        return [{k: value(v) for k, v in r.items()} for r in csv.DictReader(fh)]


@pytest.fixture
def report(focus_sample: Path) -> FocusIngestReport:
    return ingest_focus([focus_sample], load_settings())


def test_every_row_lands_with_its_file_and_row(
    report: FocusIngestReport, focus_sample: Path, sample_rows: list[dict[str, str | None]]
) -> None:
    assert report.rows == len(sample_rows) == 1000
    lines = stored(
        "SELECT source_file, source_row, ingest_id, resource_id, "
        "extra_columns->>'Id', billed_cost FROM billing_lines ORDER BY source_row"
    )
    assert len(lines) == 1000
    assert {r[0] for r in lines} == {str(focus_sample.resolve())}
    assert {r[2] for r in lines} == {report.ingest_id}
    # Row n in the table is data row n of the file: same Id, resource and exact cost.
    for (_, source_row, _, resource, row_id, billed), raw in zip(lines, sample_rows, strict=True):
        assert source_row == sample_rows.index(raw) + 1
        assert (resource, row_id) == (raw["ResourceId"], raw["Id"])
        assert billed == Decimal(raw["BilledCost"] or "nan")


def test_totals_are_exact_decimal_sums(
    report: FocusIngestReport, sample_rows: list[dict[str, str | None]]
) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    effective: dict[str, Decimal] = defaultdict(Decimal)
    for r in sample_rows:
        expected[r["ProviderName"] or ""] += Decimal(r["BilledCost"] or 0)
        effective[r["ProviderName"] or ""] += Decimal(r["EffectiveCost"] or 0)
    totals = report.totals_by_provider()
    assert {p: t["USD"]["billed_cost"] for p, t in totals.items()} == expected
    assert {p: t["USD"]["effective_cost"] for p, t in totals.items()} == effective
    assert stored("SELECT sum(billed_cost) FROM billing_lines")[0][0] == sum(expected.values())


def test_tags_are_json_objects_and_null_strings_are_null(
    report: FocusIngestReport, sample_rows: list[dict[str, str | None]]
) -> None:
    with_tags = sum(1 for r in sample_rows if r["Tags"] is not None)
    assert with_tags == 711
    assert stored("SELECT count(*) FROM billing_lines WHERE json_type(tags) = 'OBJECT'") == [
        (with_tags,)
    ]
    first = next(r for r in sample_rows if r["Tags"])
    tags = stored("SELECT tags FROM billing_lines WHERE tags IS NOT NULL ORDER BY source_row")
    assert json.loads(tags[0][0]) == json.loads(first["Tags"] or "")
    # The literal string NULL never reaches the warehouse.
    assert stored(
        "SELECT count(*) FROM billing_lines WHERE charge_class = 'NULL' "
        "OR resource_name = 'NULL' OR commitment_discount_id = 'NULL'"
    ) == [(0,)]


def expected_findings(rows: list[dict[str, str | None]], header: list[str]) -> dict[Any, int]:
    """Every finding's count, computed from the raw rows."""
    out: dict[Any, int] = {}
    extra = [c for c in header if c not in COLUMNS_1_0 and not c.startswith("x_")]
    if extra:
        out[("non_standard_columns", None)] = len(extra)
    respelled = Counter(
        r["ChargeFrequency"]
        for r in rows
        if r["ChargeFrequency"]
        and r["ChargeFrequency"] not in CHARGE_FREQUENCY
        and r["ChargeFrequency"].lower() in {v.lower() for v in CHARGE_FREQUENCY}
    )
    if respelled:
        out[("value_spelling", "ChargeFrequency")] = sum(respelled.values())
    mismatch = 0
    outside = 0
    negative = 0
    inverted = 0
    for r in rows:
        lc, lup, pq = r["ListCost"], r["ListUnitPrice"], r["PricingQuantity"]
        if lc and lup and pq and r["ChargeClass"] != "Correction":
            product = Decimal(lup) * Decimal(pq)
            diff = abs(Decimal(lc) - product)
            if diff > Decimal("0.000001") and diff > Decimal("0.001") * max(
                abs(Decimal(lc)), abs(product)
            ):
                mismatch += 1
        cs, ce = (
            datetime.fromisoformat(r[c] or "") for c in ("ChargePeriodStart", "ChargePeriodEnd")
        )
        bs, be = (
            datetime.fromisoformat(r[c] or "") for c in ("BillingPeriodStart", "BillingPeriodEnd")
        )
        outside += cs < bs or ce > be
        inverted += ce <= cs
        negative += r["ChargeCategory"] == "Usage" and (
            Decimal(r["BilledCost"] or 0) < 0 or Decimal(r["EffectiveCost"] or 0) < 0
        )
    for code, n in (
        ("list_cost_mismatch", mismatch),
        ("charge_outside_billing_period", outside),
        ("negative_usage_cost", negative),
        ("charge_period_not_after_start", inverted),
    ):
        if n:
            out[(code, None)] = n
    for col in NON_NULL:
        nulls = sum(1 for r in rows if r[col] is None)
        if nulls:
            out[("null_mandatory_value", col)] = nulls
    for col in DECIMALS:
        rounded = sum(1 for r in rows if over_precise(r[col]))
        if rounded:
            out[("rounded_value", col)] = rounded
    bad_tags = sum(1 for r in rows if r["Tags"] and not isinstance(json.loads(r["Tags"]), dict))
    if bad_tags:
        out[("invalid_json", "Tags")] = bad_tags
    if len({r["BillingCurrency"] for r in rows}) > 1:
        out[("mixed_currency", "BillingCurrency")] = -1
    return out


def test_each_finding_is_counted_exactly(
    report: FocusIngestReport, focus_sample: Path, sample_rows: list[dict[str, str | None]]
) -> None:
    header = next(csv.reader(focus_sample.open()))
    expected = expected_findings(sample_rows, header)
    got = {(f.code, f.column): f.count for f in report.findings}
    assert got == expected
    # The figures the README of the sample promises, pinned so a silent change is seen.
    assert expected == {
        ("non_standard_columns", None): 1,  # the `Id` column
        ("value_spelling", "ChargeFrequency"): 7,  # Oracle's 'Usage-based'
        ("list_cost_mismatch", None): 25,  # Microsoft per-10K unit prices
        ("charge_outside_billing_period", None): 1,  # an Oracle line billed in October
        ("negative_usage_cost", None): 12,
        ("null_mandatory_value", "ContractedCost"): 7,  # Oracle leaves it empty
        ("rounded_value", "ConsumedQuantity"): 7,  # 15-decimal quantities
    }


def test_over_precise_numbers_keep_their_exact_text(
    report: FocusIngestReport, sample_rows: list[dict[str, str | None]]
) -> None:
    exact = [
        (i, r["ConsumedQuantity"])
        for i, r in enumerate(sample_rows, 1)
        if over_precise(r["ConsumedQuantity"])
    ]
    kept = stored(
        "SELECT source_row, extra_columns->>'ConsumedQuantity', consumed_quantity "
        "FROM billing_lines WHERE extra_columns->>'ConsumedQuantity' IS NOT NULL "
        "ORDER BY source_row"
    )
    assert [(r[0], r[1]) for r in kept] == exact
    for _, text, stored_value in kept:
        assert stored_value == Decimal(text).quantize(Decimal("1e-12"))
        assert re.fullmatch(r"-?\d+\.\d{15}", text)


def test_findings_name_examples_and_mappings(
    report: FocusIngestReport, sample_rows: list[dict[str, str | None]]
) -> None:
    spelling = report.finding("value_spelling", "ChargeFrequency")
    assert spelling is not None
    assert spelling.details["values"] == [{"from": "Usage-based", "to": "Usage-Based", "count": 7}]
    first_bad = next(
        i for i, r in enumerate(sample_rows, 1) if r["ChargeFrequency"] == "Usage-based"
    )
    assert spelling.examples[0]["row"] == first_bad
    # Stored in the FOCUS spelling.
    assert stored("SELECT charge_frequency, count(*) FROM billing_lines GROUP BY 1 ORDER BY 1") == [
        ("One-Time", 1),
        ("Usage-Based", 999),
    ]
    extra = report.finding("non_standard_columns")
    assert extra is not None and list(extra.details["columns"]) == ["Id"]
    negative = report.finding("negative_usage_cost")
    assert negative is not None and len(negative.examples) == 3
    for e in negative.examples:
        raw = sample_rows[e["row"] - 1]
        assert raw["ChargeCategory"] == "Usage"
        assert Decimal(e["billed_cost"]) == Decimal(raw["BilledCost"] or 0)


def test_ingest_log_records_the_run(report: FocusIngestReport) -> None:
    rows = stored(
        "SELECT kind, status, rows_written, window_start, window_end, details FROM ingest_log"
    )
    assert len(rows) == 1
    kind, status, written, start, end, details = rows[0]
    assert (kind, status, written) == ("focus", "ok", 1000)
    assert (start, end) == (datetime(2024, 9, 1), datetime(2024, 10, 1))
    logged = json.loads(details)
    assert {(f["code"], f["column"]): f["count"] for f in logged["findings"]} == {
        (f.code, f.column): f.count for f in report.findings
    }
