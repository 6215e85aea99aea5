"""The acceptance scenario of issue 14 as a test (not timed): a server answering a loop of
chats while sync (in the server), `penny ingest focus`, `penny allocate`, `penny sync`,
`penny ask` and `penny costs` (CLI processes) run on the same home. 0 failed chats and 0
failed CLI commands; the numbers with latency are in `make bench` (bench/service_load.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from assistant.config import load_settings
from assistant.warehouse.ledger import read_ledger
from bench.service_load import run_scenario
from tests.demo_warehouse import SMALL_END, demo_copy
from tests.fakes.admin_costs_server import AdminCostsServer

pytestmark = pytest.mark.slow


def test_chats_and_cli_commands_never_fail_while_writers_run(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = demo_copy(tmp_path_factory, "service-load", SMALL_END)
    monkeypatch.setenv("PENNY_HOME", str(home))
    with AdminCostsServer("openai", "sk-admin-load") as api:
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        api.costs[yesterday] = [("p", "gpt-4o, input", Decimal("1.5"))]
        result = run_scenario(home, clients=2, max_chats=300, ai_url=api.url)
    assert result["failures"] == [] and result["failed_chats"] == 0
    assert [(c["command"], c["rc"], c["stderr"]) for c in result["cli"] if c["rc"]] == []
    assert result["cli_commands"] == 8
    assert result["server_sync"]["ok"] is True
    assert result["chats"] >= 2
    # every chat and every CLI `ask` left its conversation row in the shared ledger
    settings = load_settings()
    asked = read_ledger(settings, "SELECT channel, count(*) FROM conversations GROUP BY 1")
    assert dict(asked) == {"api": result["chats"], "cli": 4}
