"""The demo organisation (small, to 2026-11-20) for notices, and an independent SQL sum.

Expected figures in these tests are sums over ``allocations`` written in the test, never
read back from the capability under test.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings, load_settings
from assistant.core.money import cents
from assistant.warehouse.db import reader
from tests.demo_warehouse import SMALL_END, demo_copy


@pytest.fixture(scope="session")
def notify_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_copy(tmp_path_factory, "notify-demo", SMALL_END)


@pytest.fixture
def settings(notify_home: Path, penny_env: Path) -> Settings:
    return load_settings(home=notify_home)


def allocated(settings: Settings, where: str, *params: Any) -> Decimal:
    """Σ total_cost of ``allocations`` rows matching ``where``, exact."""
    with reader(settings) as con:
        (total,) = con.execute(
            f"SELECT coalesce(sum(total_cost), 0) FROM allocations WHERE {where}", list(params)
        ).fetchone()
    return Decimal(total)


def dollars(value: Decimal) -> str:
    """'$1,234.57': how every Penny message writes money (half-up to the cent)."""
    return f"${cents(value):,}"
