"""The two warehouses the consistency suite reads, each built once per session.

* ``demo``: the demo organisation (small scale, to 2026-11-20), from tests/demo_warehouse;
  its bills per month come from its truths.json (computed by the generator).
* ``churn``: the second scenario (tests/consistency/scenario.py), loaded the way a user
  would — ``penny ingest openmetrics`` then ``penny ingest focus`` for August–September,
  then the restated August — each ingest allocating the hours it touched; no ``penny
  allocate`` anywhere. Its bills come from the lines the generator wrote.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from assistant.cli import main
from tests.consistency.scenario import CLUSTER, generate
from tests.consistency.views import Warehouse, slack_app
from tests.demo_warehouse import SMALL_END, demo_copy, truths

CHURN_NOW = "2026-10-05T00:00:00Z"


def _closed_months(facts: dict) -> dict[str, dict[str, Decimal]]:
    end = datetime.fromisoformat(facts["generator"]["end"].rstrip("Z"))
    out = {}
    for month, b in facts["bill"].items():
        if datetime.fromisoformat(b["window"]["end"].rstrip("Z")) <= end:
            out[month] = {
                "amortized": Decimal(b["effective_cost"]),
                "invoice": Decimal(b["billed_cost"]),
            }
    return out


@pytest.fixture(scope="session")
def demo_wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    home = demo_copy(tmp_path_factory, "consistency-demo", SMALL_END)
    return Warehouse("demo", home, f"{SMALL_END}T00:00:00Z", _closed_months(truths(home)))


@pytest.fixture(scope="session")
def churn_wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    root = tmp_path_factory.mktemp("churn")
    files = generate(root / "files")
    home = root / "home"
    home.mkdir()
    saved = {k: os.environ.get(k) for k in ("PENNY_HOME", "PENNY_DB", "PENNY_NOW")}
    os.environ.update(PENNY_HOME=str(home), PENNY_DB=str(home / "penny.duckdb"),
                      PENNY_NOW=CHURN_NOW)  # fmt: skip
    try:
        for argv in (
            ["ingest", "openmetrics", str(files.metrics), "--cluster", CLUSTER, "--step", "1h"],
            ["ingest", "focus", str(files.bill_v1)],
            ["ingest", "focus", str(files.bill_august_restated)],
        ):
            assert main(argv) == 0, argv
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Warehouse("churn", home, CHURN_NOW, files.truth.bill, extra={"truth": files.truth})


@pytest.fixture(scope="session", params=["demo", "churn"])
def warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    wh: Warehouse = request.getfixturevalue(f"{request.param}_wh")
    slack, server, stub = slack_app(wh)
    wh.extra["slack"] = slack
    try:
        yield wh
    finally:
        server.__exit__(None, None, None)
        stub.close()
        wh.extra.pop("slack", None)
