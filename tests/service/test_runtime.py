"""What `penny serve` starts beside HTTP: a snapshot for an old warehouse, the scheduler
thread running the sync job; and `penny sync` on the command line."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.config import load_settings
from assistant.knowledge.names import warehouse_version
from assistant.service.runtime import start_service
from assistant.service.scheduler import ManualClock
from assistant.warehouse.db import reader, writer
from assistant.warehouse.ledger import read_ledger
from assistant.warehouse.snapshots import current_snapshot, is_current, snapshot_dir
from tests.ingest.focus.focus_rows import line, stored, write_csv


def test_serve_publishes_a_snapshot_of_an_old_warehouse_and_runs_the_sync_job(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "bills" / "oct.csv", [line(BilledCost="4.5", EffectiveCost="4.5")])
    s = load_settings(sync={"bills": [{"name": "local", "url": str(tmp_path / "bills")}]})
    with writer(s):  # a warehouse as an older Penny left it: no snapshot
        pass
    for p in snapshot_dir(s).iterdir():
        p.unlink()
    service = start_service(s, clock=ManualClock(datetime(2026, 11, 2, 6, 30)))
    try:
        assert current_snapshot(s) is not None and is_current(s)
        assert service.thread is not None
        deadline = time.monotonic() + 60
        runs: list[tuple[object, ...]] = []
        while time.monotonic() < deadline and not runs:
            runs = read_ledger(
                s, "SELECT job, slot, status FROM job_runs WHERE status != 'running'"
            )
            time.sleep(0.2)
    finally:
        service.stop()
    assert runs == [("sync", datetime(2026, 11, 2, 6), "ok")]
    assert stored("SELECT sum(billed_cost) FROM billing_lines") == [(Decimal("4.5"),)]
    # the names index was brought up to the synced warehouse by the job, not left to the
    # first question that needs it (the version is what refresh_names compares)
    with reader(s) as con:
        version = warehouse_version(con)
    state = json.loads((s.chroma_path / "penny-names-state.json").read_text())
    assert state["version"].startswith(version + "|")
    (detail,) = read_ledger(s, "SELECT detail FROM job_runs WHERE job = 'sync'")[0]
    assert "names index: " in detail


def test_penny_sync_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync"]) == 1
    assert "No sync sources are configured" in capsys.readouterr().err
    write_csv(tmp_path / "bills" / "oct.csv", [line(BilledCost="1.25", EffectiveCost="1.25")])
    config = tmp_path / "penny.yaml"
    config.write_text(
        yaml.safe_dump({"sync": {"bills": [{"name": "local", "url": str(tmp_path / "bills")}]}})
    )
    monkeypatch.setenv("PENNY_CONFIG", str(config))
    assert main(["sync"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == [
        "local",
        "ok",
        "1",
        "export(s)",
        "ingested,",
        "0",
        "unchanged",
    ]
    assert "penny sync: local:" in err
    assert main(["sync", "--source", "nope"]) == 1
    assert "No sync source named nope" in capsys.readouterr().err
