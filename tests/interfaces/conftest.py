"""Fixtures for the HTTP and Slack tests: the demo warehouse (built once), tokens, and the
real app served by uvicorn on a free loopback port."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.interfaces.auth import hash_token
from assistant.interfaces.live_server import LiveServer  # noqa: F401  (re-exported for tests)
from assistant.warehouse.db import reader
from tests.demo_warehouse import SMALL_END, demo_copy

END = SMALL_END
NOW = datetime(2026, 11, 20)
ADMIN_TOKEN = "pny_admin-test-token"
PAYMENTS_TOKEN = "pny_payments-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo organisation (small scale), ingested and allocated once per session."""
    return demo_copy(tmp_path_factory, "interfaces-demo", END)


def tokens(admin_rate: int = 600, payments_rate: int = 600) -> list[dict[str, Any]]:
    return [
        {
            "sha256": hash_token(ADMIN_TOKEN),
            "user": "ada",
            "scope": ["*"],
            "rate_per_minute": admin_rate,
        },
        {
            "sha256": hash_token(PAYMENTS_TOKEN),
            "user": "pat",
            "scope": ["team:payments"],
            "rate_per_minute": payments_rate,
        },
    ]


@pytest.fixture
def demo_settings(demo_home: Path, penny_env: Path) -> Settings:
    """Settings over the shared demo warehouse (and its ledger: filter rows by question_id)."""
    return load_settings(home=demo_home, now=NOW, server={"tokens": tokens()})


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def team_month(settings: Settings, team: str, month: str) -> str:
    """'$1,234.56': Σ total_cost of the team's workload rows in the month, to the cent."""
    with reader(settings) as con:
        (total,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND team = ? "
            "AND strftime(hour, '%Y-%m') = ?",
            [team, month],
        ).fetchone()
    return f"${Decimal(total).quantize(Decimal('0.01')):,}"
