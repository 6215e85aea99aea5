"""`penny ingest focus`: summary, --json report, and clean errors with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from tests.ingest.focus.focus_rows import line, write_csv


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at the terminal width; a wide one keeps paths and messages on one line."""
    monkeypatch.setenv("COLUMNS", "400")


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(
        tmp_path / "oct.csv",
        [
            line(),
            line(BilledCost="0.008", ChargeCategory="tax", ListCost="0.008", ListUnitPrice=None),
        ],
    )
    assert main(["ingest", "focus", str(f), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 2
    # 0.192 + 0.008 = 0.2, as an exact decimal string.
    assert report["totals_by_provider"] == {
        "AWS": {
            "USD": {"rows": 2, "billed_cost": "0.2", "effective_cost": "0.384", "list_cost": "0.2"}
        }
    }
    assert [(x["code"], x["column"], x["count"]) for x in report["findings"]] == [
        ("value_spelling", "ChargeCategory", 1)
    ]
    assert report["files"][0]["focus_version"] == "1.0"
    assert report["periods"][0]["billing_period_start"] == "2026-10-01T00:00:00Z"


def test_human_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write_csv(tmp_path / "oct.csv", [line(ChargeFrequency="usage-based")])
    assert main(["ingest", "focus", str(f)]) == 0
    assert main(["ingest", "focus", str(f)]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 billing lines from 1 file(s)" in out
    assert "value_spelling" in out
    assert "ChargeFrequency: 'usage-based' → 'Usage-Based' (1 rows)" in out
    assert "Totals by provider" in out and "0.19" in out


def test_bad_path_exits_1_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["ingest", "focus", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: no such file or directory" in err
    bad = write_csv(tmp_path / "bad.csv", [line(EffectiveCost="1.2.3")])
    assert main(["ingest", "focus", str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        f"{bad.resolve()}, row 1, column 'EffectiveCost': value '1.2.3' is not a valid "
        "number" in captured.err
    )
