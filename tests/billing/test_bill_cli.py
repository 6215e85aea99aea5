"""`penny bill` and `penny anomalies` end to end on the hand-built warehouse."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.warehouse.db import writer
from tests.billing.bill_rows import anomaly_days, two_months


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENNY_NOW", "2026-12-05T00:00:00")
    with writer(load_settings()) as con:
        two_months(con)


def test_bill_markdown_names_drivers_and_reconciles(warehouse, capsys) -> None:
    assert main(["bill", "2026-11", "--compare", "2026-09"]) == 0
    out = capsys.readouterr().out
    assert "| Amortized (EffectiveCost) | $1,868.16 |" in out
    assert "| prod | $1,736.08 | $100.08 | $0.00 | $32.00 | $1,868.16 |" in out
    assert "allocation matches the bill to the cent" in out
    assert "| New workloads | ml/Job/train-llm (prod) | ml | +$1,600.00 | +107.63% |" in out
    # 1600 / 1486.64 = 107.63 %
    # web's fallback 40.32 + idle's shift to on-demand 0.57 (see test_bill_explain)
    assert "| Spot / on-demand / instance mix | +$40.89 |" in out


def test_bill_json_and_files(warehouse, capsys, tmp_path) -> None:
    assert main(["bill", "2026-11", "-c", "2026-09", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["variance"]["change"] == "1486.640000000000"
    out = tmp_path / "reports"
    assert main(["bill", "2026-11", "-c", "2026-09", "--format", "html", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "bill-2026-11-daily_by_team.png",
        "bill-2026-11-daily_by_team.svg",
        "bill-2026-11-waterfall.png",
        "bill-2026-11-waterfall.svg",
        "bill-2026-11.html",
    ]
    assert (out / "bill-2026-11-waterfall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "bill-2026-11-daily_by_team.svg").read_text()
    html = (out / "bill-2026-11.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2 and "http" not in html
    single = tmp_path / "nov.md"
    assert main(["bill", "2026-11", "-c", "2026-09", "--out", str(single)]) == 0
    assert "![bill-2026-11-daily_by_team.png](bill-2026-11-daily_by_team.png)" in single.read_text()


def test_bad_input_fails_cleanly(warehouse, capsys) -> None:
    assert main(["bill", "2026-13"]) == 2
    assert "Month 13 is not 1..12" in capsys.readouterr().err
    assert main(["bill", "7d"]) == 2
    assert "not a calendar month" in capsys.readouterr().err
    assert main(["bill", "2026-11", "--format", "pdf"]) == 2
    assert main(["bill", "2026-08"]) == 1
    err = capsys.readouterr().err
    assert "No cost data for 2026-08" in err and "penny ingest" in err
    assert main(["anomalies", "--by", "pod"]) == 2


def test_anomalies_command(monkeypatch, capsys) -> None:
    monkeypatch.setenv("PENNY_NOW", "2026-09-14T00:00:00")
    with writer(load_settings()) as con:
        anomaly_days(con)
    assert main(["anomalies", "--window", "14d"]) == 0
    out = capsys.readouterr().out
    assert "1 anomaly by team in 2026-08-31..2026-09-14" in out
    # flat history: MAD 0, so the scale is the 1% floor, 0.24; score = 150 / 0.24 = 625
    assert (
        "- 2026-09-10 ml: spike $174.00 vs expected $24.00 (+$150.00, 625.00 scale "
        "units); caused by ml/Job/train-x +$150.00"
    ) in out
    assert main(["anomalies", "--window", "14d", "--by", "namespace", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(a["group"], a["day"]) for a in found] == [("ml", "2026-09-10")]
