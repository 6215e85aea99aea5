"""The hand-built warehouse most billing tests read (tests/billing/bill_rows.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.warehouse.db import writer
from tests.billing.bill_rows import two_months


@pytest.fixture
def settings(penny_env: Path) -> Settings:
    """September and November 2026 of cluster `prod`, 'now' pinned to 2026-12-05."""
    s = load_settings(now=datetime(2026, 12, 5))
    with writer(s) as con:
        two_months(con)
    return s
