"""One small demo warehouse per test session, shared by the offline engine and eval tests.

Built through the same path `penny eval` uses (``prepare_warehouse``: the small demo,
end 2026-11-27, metrics through the OpenMetrics reader), so 'now' is 2026-11-27 00:00.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from assistant.agent.offline import forget_threads
from assistant.config import Settings, load_settings
from tests.demo_warehouse import EVAL_END, demo_copy


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evals.runner import prepare_warehouse

    home = demo_copy(tmp_path_factory, "offline-demo", EVAL_END)
    now = prepare_warehouse(
        load_settings(home=home, db=home / "penny.duckdb"), log=lambda _line: None
    )
    assert now == datetime(2026, 11, 27)
    return home


@pytest.fixture
def demo_settings(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on the shared demo, 'now' pinned to its end; thread memory cleared."""
    monkeypatch.setenv("PENNY_HOME", str(demo_home))
    forget_threads()
    return load_settings(home=demo_home, db=demo_home / "penny.duckdb", now=datetime(2026, 11, 27))
