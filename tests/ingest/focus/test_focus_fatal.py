"""Fatal problems name file, row and column, and leave the warehouse exactly as it was."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assistant.config import load_settings
from assistant.errors import ImportFileError
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import COLUMNS_1_0, csv_text, line, write_csv


def snapshot() -> tuple[Any, ...]:
    """Everything an import could change: line count and sums, and the whole ingest log."""
    con = duckdb.connect(str(load_settings().db_path), read_only=True)
    try:
        lines = con.execute(
            "SELECT count(*), sum(billed_cost), sum(effective_cost), "
            "list(DISTINCT ingest_id ORDER BY ingest_id) "
            "FROM billing_lines"
        ).fetchone()
        log = con.execute("SELECT * FROM ingest_log ORDER BY started_at").fetchall()
        return (lines, log)
    finally:
        con.close()


@pytest.fixture
def existing(tmp_path: Path) -> tuple[Any, ...]:
    """A warehouse holding one good October import (2 lines, 0.192 + 0.384 = 0.576)."""
    good = write_csv(
        tmp_path / "good.csv", [line(), line(BilledCost="0.384", EffectiveCost="0.384")]
    )
    ingest_focus([good], load_settings())
    before = snapshot()
    assert before[0][:2] == (2, Decimal("0.576"))  # 0.192 + 0.384
    return before


def fails(paths: list[Path]) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        ingest_focus(paths, load_settings())
    return info.value


def test_missing_mandatory_column(tmp_path: Path, existing: tuple[Any, ...]) -> None:
    columns = [c for c in COLUMNS_1_0 if c != "EffectiveCost"]
    bad = write_csv(tmp_path / "restated.csv", [line(BillingPeriodStart="2026-10-01")], columns)
    err = fails([bad])
    assert (err.file, err.row, err.column) == (str(bad.resolve()), 0, "EffectiveCost")
    assert "missing mandatory FOCUS 1.0 column(s): EffectiveCost" in str(err)
    assert snapshot() == existing


def test_unparsable_mandatory_value_names_the_first_bad_row(
    tmp_path: Path, existing: tuple[Any, ...]
) -> None:
    rows = [line(), line(), line(BilledCost="12,50"), line(ListCost="n/a")]
    bad = write_csv(tmp_path / "october.csv", rows)
    err = fails([bad])
    # Row 3 (BilledCost '12,50') comes before row 4 (ListCost 'n/a').
    assert (err.row, err.column) == (3, "BilledCost")
    assert "'12,50' is not a valid number" in str(err)
    assert snapshot() == existing


def test_unparsable_date_and_missing_charge_period(
    tmp_path: Path, existing: tuple[Any, ...]
) -> None:
    bad = write_csv(tmp_path / "a.csv", [line(), line(ChargePeriodEnd="05/10/2026 1am")])
    err = fails([bad])
    assert (err.row, err.column) == (2, "ChargePeriodEnd")
    empty = write_csv(tmp_path / "b.csv", [line(ChargePeriodStart=None)])
    err = fails([empty])
    assert (err.row, err.column) == (1, "ChargePeriodStart")
    assert "a charge must have a period" in str(err)
    assert snapshot() == existing


def test_second_file_failing_rolls_back_the_first(
    tmp_path: Path, existing: tuple[Any, ...]
) -> None:
    november = [
        line(
            BillingPeriodStart="2026-11-01",
            BillingPeriodEnd="2026-12-01",
            ChargePeriodStart="2026-11-02",
            ChargePeriodEnd="2026-11-02 01:00",
        )
    ]
    ok = write_csv(tmp_path / "a" / "november.csv", november)
    bad = write_csv(tmp_path / "b" / "broken.csv", [line(EffectiveCost="abc")])
    err = fails([ok, bad])
    assert (err.file, err.row, err.column) == (str(bad.resolve()), 1, "EffectiveCost")
    assert snapshot() == existing


def test_empty_garbled_and_header_only_files(tmp_path: Path, existing: tuple[Any, ...]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    err = fails([empty])
    assert (err.file, err.row) == (str(empty.resolve()), 0)
    assert "empty" in str(err)
    not_focus = tmp_path / "invoice.csv"
    not_focus.write_text("Date,Amount\n2026-10-01,12.50\n")
    assert "no FOCUS columns in the header" in str(fails([not_focus]))
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(COLUMNS_1_0) + "\n")
    err = fails([header_only])
    assert "no data rows" in str(err)
    garbled = tmp_path / "garbled.csv.gz"
    garbled.write_bytes(gzip.compress(csv_text([line()]).encode())[:40])
    assert "unreadable or garbled" in str(fails([garbled]))
    binary = tmp_path / "binary.parquet"
    binary.write_bytes(b"PAR1 not really parquet")
    assert "unreadable or garbled" in str(fails([binary]))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(csv_text([line(), line()]) + "only,three,fields\n")
    err = fails([ragged])
    # Data row 3 is line 4 of the file (after the header).
    assert (err.file, err.row) == (str(ragged.resolve()), 3)
    assert "Expected Number of Columns: 43 Found: 3" in str(err)
    assert snapshot() == existing


def test_bad_paths(tmp_path: Path, existing: tuple[Any, ...]) -> None:
    assert "no such file" in str(fails([tmp_path / "nope.csv"]))
    other = tmp_path / "bill.xlsx"
    other.write_text("x")
    assert "not a FOCUS data file" in str(fails([other]))
    folder = tmp_path / "nothing"
    folder.mkdir()
    (folder / "README.md").write_text("no data here")
    assert "no FOCUS data files" in str(fails([folder]))
    assert snapshot() == existing
