"""`penny allocate` and `penny costs` end to end (CLI → allocation SQL → query → render),
plus AI spend from the ledger as its own section and bad flags failing cleanly."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.warehouse.db import writer
from assistant.warehouse.ledger import ledger
from tests.allocation.alloc_rows import bill, container, h, namespace, node, pod

D = Decimal


@pytest.fixture
def warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    """One day: node $2.40/day ($0.10/h), 2 CPU + 4 GiB with base prices 3/1/30 -> p_cpu
    0.03, p_ram 0.01 per hour; pod 'api' (team payments) requests 1 core + 1 GiB all day
    -> 24·(0.03 + 0.01) = 0.96; pod 'batch' (no team) 1 core for 12 h -> 12·0.03 = 0.36;
    EKS $0.24/day unallocated; idle = 2.40 - 0.96 - 0.36 = 1.08."""
    monkeypatch.setenv("PENNY_ALLOCATION__DEFAULT_PRICES__CPU_CORE_HOUR", "3")
    monkeypatch.setenv("PENNY_ALLOCATION__DEFAULT_PRICES__RAM_GIB_HOUR", "1")
    monkeypatch.setenv("PENNY_ALLOCATION__DEFAULT_PRICES__GPU_HOUR", "30")
    settings = load_settings()
    with writer(settings) as con:
        node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(24))
        bill(con, "i-1", h(0), h(24), "2.40")
        bill(con, "arn:aws:eks:::cluster/c1", h(0), h(24), "0.24", service="AmazonEKS")
        namespace(con, "shop", {})
        pod(con, "shop", "api", {"team": "payments"})
        pod(con, "shop", "batch", {})
        for i in range(24):
            container(con, "shop", "api", "app", "n1", i, cpu_req=1, ram_req_gib=1)
            if i < 12:
                container(con, "shop", "batch", "job", "n1", i, cpu_req=1)
    with ledger(settings) as lcon:
        lcon.execute(
            "INSERT INTO ai_usage (request_id, ts, source, provider, model, team, cost) VALUES "
            "('r1', ?, 'penny', 'openai', 'gpt-4o-mini', 'payments', 0.50), "
            "('r2', ?, 'openai-import', 'openai', 'gpt-4o', 'search', 2.00)",
            [h(3), h(4)],
        )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_allocate_then_costs_by_team(warehouse: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "allocate", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["reconciled"] is True
    assert {r["basis"]: r["difference"] for r in report["reconciliation"]} == {
        "amortized": "0E-12",
        "invoice": "0E-12",
    }

    code, out, _ = _run(
        capsys, "costs", "--window", "2026-10-01..2026-10-02", "--by", "team", "--json"
    )
    assert code == 0
    data = json.loads(out)
    totals = {r["name"]: D(r["total"]) for r in data["rows"]}
    assert totals == {
        "payments": D("0.96"),
        "__unlabeled__": D("0.36"),
        "__idle__": D("1.08"),
        "__unallocated__": D("0.24"),
    }
    assert D(data["totals"]["total"]) == D("2.64")  # the bill: 2.40 + 0.24
    # 0.36 of 1.32 workload cost has no team label = 27.27 %
    assert round(data["unlabeled_share"], 4) == 0.2727
    # AI spend: its own section, by team, never in the cloud totals.
    assert {(a["name"], a["service"]): D(a["cost"]) for a in data["ai_apis"]} == {
        ("payments", "penny-assistant"): D("0.50"),
        ("search", "openai"): D("2.00"),
    }
    assert D(data["ai_total"]) == D("2.50")


def test_costs_table_shows_special_rows_and_sharing(
    warehouse: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "allocate")[0] == 0
    code, out, _ = _run(capsys, "costs", "-w", "2026-10-01..2026-10-02", "--by", "pod")
    assert code == 0
    for text in (
        "shop/api",
        "shop/batch",
        "__idle__",
        "__unallocated__",
        "TOTAL",
        "Sharing: idle not shared",
        "Without a team label: 0.36 (27.3%",
        "AI APIs (outside the cloud bill",
    ):
        assert text in out
    code, out, _ = _run(capsys, "costs", "-w", "2026-10-01..2026-10-02", "--share-idle", "--csv")
    assert code == 0
    lines = {row.split(",")[1]: row.split(",") for row in out.strip().splitlines()[1:]}
    # Idle CPU 24·0.06 - 0.72 - 0.36 = 0.36 and RAM 24·0.04 - 0.24 = 0.72 all go to 'shop'.
    assert D(lines["shop"][-2]) == D("2.40")
    assert "__idle__" not in lines


def test_top_n_folds_the_rest(warehouse: None, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "allocate")
    code, out, _ = _run(
        capsys, "costs", "-w", "2026-10-01..2026-10-02", "--by", "pod", "--top", "1", "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["more"] == 1
    assert [(r["name"], D(r["total"])) for r in data["rows"][:2]] == [
        ("shop/api", D("0.96")),
        ("and 1 more", D("0.36")),
    ]


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["costs", "--basis", "list"], 2, "amortized or invoice"),
        (["costs", "--filter", "team"], 2, "KEY=VALUE"),
        (["costs", "--window", "someday"], 2, "Cannot read window"),
        (["costs", "--share-split", "random"], 2, "weighted or even"),
        (["costs", "--top", "0"], 2, "--top"),
        (["costs", "--by", "colour", "-w", "2026-10"], 1, "Unknown group_by 'colour'"),
        (["allocate", "--window", "nope"], 2, "Cannot read window"),
        (["costs", "-w", "2025-01"], 1, "No cost rows in 2025-01"),
    ],
)
def test_bad_flags_fail_cleanly(
    warehouse: None, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    got, out, err = _run(capsys, *argv)
    assert got == code
    assert message in out + err
