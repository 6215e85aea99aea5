"""Bad FOCUS files of every kind: refused with file, row and column, the warehouse and
ledger unchanged to the row, and Penny still answering.

Each case builds its file(s) from one good FOCUS 1.0 line (``focus_rows.line``: an EC2
hour of $0.192 in billing period 2026-10) with one thing made hostile.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ImportFileError
from assistant.ingest.focus.run import ingest_focus
from tests.hostile.conftest import leaks, snapshot, still_answers
from tests.ingest.focus.focus_rows import COLUMNS_1_0, csv_text, line, stored, write_csv

Build = Callable[[Path], list[Path]]


@dataclass(frozen=True)
class Case:
    build: Build
    says: str  # in the error message
    row: int | None = None
    column: str | None = None


def _csv(**overrides: str | None) -> Build:
    return lambda d: [write_csv(d / "bill.csv", [line(**overrides)])]


def _bytes_in_row(row: int, gz: bool = False) -> Build:
    """20 good lines; data row ``row`` has 0xFF inside BillingAccountName ('ac\\xffme')."""

    def build(d: Path) -> list[Path]:
        lines = csv_text([line() for _ in range(20)]).split("\n")
        lines[row] = lines[row].replace("acme", "ac\udcffme")
        raw = "\n".join(lines).encode("utf-8", "surrogateescape")
        path = d / ("bill.csv.gz" if gz else "bill.csv")
        path.write_bytes(gzip.compress(raw) if gz else raw)
        return [path]

    return build


def _header_bytes(d: Path) -> list[Path]:
    text = csv_text([line()]).replace("BillingAccountName", "BillingAccount\udcffName", 1)
    path = d / "bill.csv"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return [path]


def _restated_copy(d: Path) -> list[Path]:
    folder = d / "exports"
    write_csv(folder / "2026-10.csv", [line(), line(ResourceId="i-0second")])
    write_csv(
        folder / "2026-10-restated.csv",
        [line(BilledCost="0.2", EffectiveCost="0.2"), line(ResourceId="i-0second")],
    )
    return [folder]


def _raw(name: str, content: bytes) -> Build:
    def build(d: Path) -> list[Path]:
        path = d / name
        path.write_bytes(content)
        return [path]

    return build


def _parquet(**overrides: str) -> Build:
    def build(d: Path) -> list[Path]:
        from tests.ingest.focus.focus_rows import write_parquet

        return [write_parquet(d / "bill.parquet", [line(**overrides)])]

    return build


def _missing_column(d: Path) -> list[Path]:
    cols = [c for c in COLUMNS_1_0 if c != "EffectiveCost"]
    return [write_csv(d / "bill.csv", [line()], cols)]


def _manifest(body: str) -> Build:
    def build(d: Path) -> list[Path]:
        path = d / "export" / "metadata" / "BILLING_PERIOD=2026-10" / "x-Manifest.json"
        path.parent.mkdir(parents=True)
        path.write_text(body)
        return [path]

    return build


GOOD = csv_text([line()])
HEADER = GOOD.split("\n")[0]

CASES: dict[str, Case] = {
    # -- values that parse but would poison every reader (the failed class) -------------
    "cost_1e14_on_list_0_19": Case(
        _csv(BilledCost="99999999999999", EffectiveCost="99999999999999", ListCost="0.19"),
        "beyond the 1,000,000,000,000",
        1,
        "BilledCost",
    ),
    "effective_cost_5000x_list": Case(
        _csv(EffectiveCost="5000", ListCost="0.19"), "more than 100× the list price", 1
    ),
    "billed_cost_200x_list": Case(
        _csv(BilledCost="2000", ListCost="5"), "on a ListCost of 5", 1, "BilledCost"
    ),
    "list_cost_1e13": Case(_csv(ListCost="10000000000000"), "ListCost is", 1, "ListCost"),
    "negative_cost_minus_1e13": Case(
        _csv(BilledCost="-10000000000000", ChargeCategory="Credit"), "beyond", 1, "BilledCost"
    ),
    "billing_period_start_1900": Case(
        _csv(BillingPeriodStart="1900-01-01 00:00:00"),
        "outside 2000..2100",
        1,
        "BillingPeriodStart",
    ),
    "billing_period_end_9999": Case(
        _csv(BillingPeriodEnd="9999-12-31 00:00:00"), "outside", 1, "BillingPeriodEnd"
    ),
    "charge_period_9999": Case(
        _csv(ChargePeriodStart="9999-01-01 00:00:00", ChargePeriodEnd="9999-01-01 01:00:00"),
        "outside 2000..2100",
        1,
        "ChargePeriodStart",
    ),
    "charge_period_end_2200": Case(
        _csv(ChargePeriodEnd="2200-01-01 00:00:00"), "outside", 1, "ChargePeriodEnd"
    ),
    "charge_period_1970_epoch_zero": Case(
        _csv(ChargePeriodStart="1970-01-01 00:00:00"), "outside", 1, "ChargePeriodStart"
    ),
    "parquet_cost_1e14": Case(
        _parquet(BilledCost="99999999999999", EffectiveCost="1"), "beyond", 1, "BilledCost"
    ),
    "parquet_period_1900": Case(
        _parquet(ChargePeriodStart="1900-01-01 00:00:00"), "outside", 1, "ChargePeriodStart"
    ),
    # -- bytes that are not UTF-8: row and column wherever they are (the failed class) ---
    "not_utf8_row_1": Case(_bytes_in_row(1), "is not UTF-8", 1, "BillingAccountName"),
    "not_utf8_row_15": Case(_bytes_in_row(15), "is not UTF-8", 15, "BillingAccountName"),
    "not_utf8_gzip_row_3": Case(_bytes_in_row(3, gz=True), "is not UTF-8", 3, "BillingAccountName"),
    "not_utf8_header": Case(_header_bytes, "is not UTF-8", 0),
    # -- a month beside its restated copy (the failed class) ------------------------------
    "month_and_restated_copy_in_one_folder": Case(
        _restated_copy, "looks like a month and its restated copy"
    ),
    # -- values that do not parse (held) --------------------------------------------------
    "cost_inf": Case(_csv(BilledCost="inf"), "not a valid number", 1, "BilledCost"),
    "cost_minus_infinity": Case(
        _csv(EffectiveCost="-Infinity"), "not a valid number", 1, "EffectiveCost"
    ),
    "cost_nan": Case(_csv(ListCost="NaN"), "not a valid number", 1, "ListCost"),
    "cost_1e308": Case(_csv(BilledCost="1e308"), "not a valid number", 1, "BilledCost"),
    "cost_with_comma": Case(_csv(BilledCost="0,192"), "not a valid number", 1, "BilledCost"),
    "cost_words": Case(_csv(ContractedCost="lots"), "not a valid number", 1, "ContractedCost"),
    "date_words": Case(
        _csv(ChargePeriodStart="yesterday"), "not a valid date-time", 1, "ChargePeriodStart"
    ),
    "date_13th_month": Case(
        _csv(BillingPeriodStart="2026-13-01"), "not a valid date-time", 1, "BillingPeriodStart"
    ),
    "charge_period_empty": Case(_csv(ChargePeriodEnd=None), "is empty", 1, "ChargePeriodEnd"),
    # -- files that are not FOCUS at all (held) ------------------------------------------
    "missing_mandatory_column": Case(_missing_column, "missing mandatory", 0, "EffectiveCost"),
    "header_repeats_a_column": Case(
        _raw("bill.csv", (HEADER + ",BilledCost\n").encode()), "repeats column", 0, "BilledCost"
    ),
    "header_only": Case(_raw("bill.csv", (HEADER + "\n").encode()), "no data rows"),
    "empty_file": Case(_raw("bill.csv", b""), "empty"),
    "truncated_gzip": Case(_raw("bill.csv.gz", gzip.compress(GOOD.encode())[:40]), "unreadable"),
    "random_bytes_as_csv": Case(_raw("bill.csv", bytes(range(256)) * 4), "not UTF-8"),
    "random_bytes_as_parquet": Case(_raw("bill.parquet", b"PAR1" + b"\x00" * 64), "unreadable"),
    "semicolon_separated": Case(
        _raw("bill.csv", GOOD.replace(",", ";").encode()), "no FOCUS columns"
    ),
    "unbalanced_quote": Case(_raw("bill.csv", (GOOD + '"open,\n').encode()), "unreadable"),
    "too_many_fields": Case(_raw("bill.csv", (GOOD + "1," * 60 + "\n").encode()), "unreadable"),
    "manifest_not_json": Case(_manifest("{not json"), "unreadable export manifest"),
    "manifest_lists_missing_file": Case(
        _manifest(json.dumps({"dataFiles": ["s3://b/export/data/x.csv.gz"]})), "no such data file"
    ),
    "not_a_data_file": Case(_raw("bill.txt", GOOD.encode()), "not a FOCUS data file"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_focus_file_is_refused_and_changes_nothing(
    name: str, settings: Settings, tmp_path: Path
) -> None:
    case = CASES[name]
    paths = case.build(tmp_path)
    before = snapshot(settings)
    with pytest.raises(ImportFileError) as info:
        ingest_focus(paths, settings)
    err = info.value
    assert case.says in str(err), str(err)
    assert err.file, "the error names its file"
    if case.row is not None:
        assert err.row == case.row, str(err)
    if case.column is not None:
        assert err.column == case.column, str(err)
    assert leaks(err.message.replace(str(tmp_path), "")) == []  # only the user's own file
    assert snapshot(settings) == before
    still_answers(settings)


def test_a_missing_path_is_refused_and_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    before = snapshot(settings)
    with pytest.raises(ImportFileError, match="no such file"):
        ingest_focus([tmp_path / "nope.csv"], settings)
    assert snapshot(settings) == before


# -- what held, kept: restatements replace, copies and duplicates are said out loud --------


def test_a_restated_month_ingested_later_replaces_it_never_adds(tmp_path: Path) -> None:
    settings = load_settings()
    first = write_csv(tmp_path / "oct.csv", [line(), line(ResourceId="i-0b")])  # 0.192 × 2
    again = write_csv(
        tmp_path / "oct-v2.csv",
        [line(BilledCost="0.2", EffectiveCost="0.2"), line(ResourceId="i-0b")],
    )
    ingest_focus([first], settings)
    report = ingest_focus([again], settings)
    assert report.replaced_rows == 2
    # 0.2 + 0.192: the restatement's lines only
    assert stored("SELECT count(*), sum(billed_cost) FROM billing_lines") == [(2, Decimal("0.392"))]


def test_exact_duplicate_lines_are_a_finding_not_silently_summed(tmp_path: Path) -> None:
    rows = [line(), line(), line(), line(ResourceId="i-0other")]
    report = ingest_focus([write_csv(tmp_path / "dup.csv", rows)], load_settings())
    dup = report.finding("duplicate_rows")
    assert dup is not None and dup.count == 2  # rows 2 and 3 repeat row 1
    assert dup.examples[0] == {
        "file": str((tmp_path / "dup.csv").resolve()),
        "row": 2,
        "same_as_row": 1,
        "copies": 3,
    }


def test_two_months_in_one_folder_are_not_mistaken_for_a_copy(tmp_path: Path) -> None:
    nov = {
        "BillingPeriodStart": "2026-11-01 00:00:00",
        "BillingPeriodEnd": "2026-12-01 00:00:00",
        "ChargePeriodStart": "2026-11-05 00:00:00",
        "ChargePeriodEnd": "2026-11-05 01:00:00",
    }
    write_csv(tmp_path / "b" / "oct.csv", [line()])
    write_csv(tmp_path / "b" / "nov.csv", [line(**nov)])
    report = ingest_focus([tmp_path / "b"], load_settings())
    assert report.rows == 2 and report.finding("duplicate_rows") is None
