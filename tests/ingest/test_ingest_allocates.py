"""Ingest leaves the warehouse consistent (issue 10, defect 4).

Before: after ``penny ingest`` of a bill and metrics but before ``penny allocate``,
``penny costs`` printed a few rows summing to a fraction of the bill with exit 0; after a
restated bill, answers still called the old total "the whole bill". Now every ``penny
ingest focus|openmetrics|prometheus`` allocates the hours it touched in the same
transaction, and with ``--no-allocate`` every reader refuses until ``penny allocate``.

The cluster is tests/ingest/metrics/cluster_file.py (node-a = i-0abc123, 2026-10-01
10:00–12:00); its bill is one EC2 line per hour for node-a (plus, in the restated
version, different amounts). Its PVC has no bill line, so the volume is an estimate,
listed apart and never in the total.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.cli import main
from tests.ingest.focus.focus_rows import line, write_csv
from tests.ingest.metrics.cluster_file import write as write_metrics_file

WINDOW = "2026-10-01T10:00..2026-10-01T12:00"
PERIOD = {"BillingPeriodStart": "2026-10-01 00:00:00", "BillingPeriodEnd": "2026-11-01 00:00:00"}


def _bill(tmp_path: Path, name: str, amounts: tuple[str, str]) -> Path:
    rows = [
        line(
            **PERIOD,
            ResourceId="i-0abc123",
            ChargePeriodStart=f"2026-10-01 {10 + i}:00:00",
            ChargePeriodEnd=f"2026-10-01 {11 + i}:00:00",
            BilledCost=amount,
            EffectiveCost=amount,
            ListCost=amount,
            ContractedCost=amount,
        )
        for i, amount in enumerate(amounts)
    ]
    return write_csv(tmp_path / name, rows)


def _costs(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object] | str]:
    code = main(["costs", "--window", WINDOW, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else " ".join(captured.err.split())


def _ingest_metrics(tmp_path: Path, *extra: str) -> int:
    path = write_metrics_file(tmp_path / "c.om")
    return main(["ingest", "openmetrics", str(path), "--cluster", "lab", *extra])


def test_each_ingest_allocates_the_hours_it_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _ingest_metrics(tmp_path) == 0
    # the file's samples run to 12:00, so its hours are 10:00–13:00
    assert "Allocated 2026-10-01T10:00..2026-10-01T13:00" in capsys.readouterr().out
    assert main(["ingest", "focus", str(_bill(tmp_path, "v1.csv", ("0.192", "0.192")))]) == 0
    assert "every month reconciles to the bill" in capsys.readouterr().out
    code, data = _costs(capsys)
    assert code == 0 and isinstance(data, dict)
    # 0.192 + 0.192 = 0.384 — the bill, with no `penny allocate` in between
    assert Decimal(data["totals"]["total"]) == Decimal("0.384")  # type: ignore[index]
    assert Decimal(data["estimated_total"]) > 0  # the unbilled volume: apart  # type: ignore[arg-type]
    # the provider restates October: the same hours, new amounts; answers follow at once
    assert main(["ingest", "focus", str(_bill(tmp_path, "v2.csv", ("0.20", "0.25")))]) == 0
    capsys.readouterr()
    code, data = _costs(capsys)
    assert code == 0 and isinstance(data, dict)
    assert Decimal(data["totals"]["total"]) == Decimal("0.45")  # type: ignore[index]


def test_no_allocate_leaves_readers_refusing_until_penny_allocate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _ingest_metrics(tmp_path, "--no-allocate") == 0
    bill = _bill(tmp_path, "v1.csv", ("0.192", "0.192"))
    assert main(["ingest", "focus", str(bill), "--no-allocate"]) == 0
    capsys.readouterr()
    code, err = _costs(capsys)
    assert code == 1
    assert "would not add up to the bill" in str(err)
    assert "2 hour(s) with data were never allocated" in str(err)
    assert f"penny allocate --window {WINDOW}" in str(err)
    assert main(["allocate"]) == 0
    capsys.readouterr()
    code, data = _costs(capsys)
    assert code == 0 and Decimal(data["totals"]["total"]) == Decimal("0.384")  # type: ignore[index]
    # a restatement ingested with --no-allocate: refused again, naming the bill
    assert (
        main(["ingest", "focus", str(_bill(tmp_path, "v2.csv", ("0.2", "0.25"))), "--no-allocate"])
        == 0
    )
    capsys.readouterr()
    code, err = _costs(capsys)
    assert code == 1 and "the bill changed (restated or new lines) for 2 hour(s)" in str(err)
