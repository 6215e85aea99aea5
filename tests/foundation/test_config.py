"""Settings: file + environment, precedence, and one clear error listing every bad value."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigError


def test_defaults_are_opencost_prices_and_db_under_home(penny_env: Path) -> None:
    s = load_settings()
    assert s.db_path == penny_env / "penny.duckdb"
    assert s.allocation.prices.cpu_core_hour == Decimal("0.031611")
    assert s.allocation.prices.ram_gib_hour == Decimal("0.004237")
    assert s.allocation.prices.gpu_hour == Decimal("0.95")
    assert s.allocation.prices.storage_gb_hour == Decimal("0.00005479452")
    assert s.llm_model is None


def test_penny_db_overrides_the_warehouse_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PENNY_DB", str(tmp_path / "x.duckdb"))
    assert load_settings().db_path == tmp_path / "x.duckdb"


def test_yaml_file_then_env_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "penny.yaml"
    cfg.write_text(
        "allocation:\n  share_idle: true\n  shared_namespaces: [kube-system]\n"
        "agent:\n  max_tool_calls: 7\n"
    )
    monkeypatch.setenv("PENNY_CONFIG", str(cfg))
    s = load_settings()
    assert s.allocation.share_idle is True
    assert s.allocation.shared_namespaces == ["kube-system"]
    assert s.agent.max_tool_calls == 7
    monkeypatch.setenv("PENNY_AGENT__MAX_TOOL_CALLS", "9")
    assert load_settings().agent.max_tool_calls == 9


def test_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "penny.toml"
    cfg.write_text('[allocation]\nshare_split = "even"\n')
    monkeypatch.setenv("PENNY_CONFIG", str(cfg))
    assert load_settings().allocation.share_split == "even"


def test_every_invalid_setting_is_named_with_its_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "penny.yaml"
    cfg.write_text("allocation:\n  share_split: sideways\n  labels:\n    team: ['label:team']\n")
    monkeypatch.setenv("PENNY_CONFIG", str(cfg))
    monkeypatch.setenv("PENNY_QUERY_TIME_LIMIT_MS", "1")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert "allocation.share_split = 'sideways'" in text
    assert "query_time_limit_ms = '1'" in text
    assert "'label:team' must look like 'pod:KEY' or 'namespace:KEY'" in text
    assert len(info.value.context["errors"]) == 3


def test_unknown_key_in_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "penny.yaml"
    cfg.write_text("shre_idle: true\n")
    monkeypatch.setenv("PENNY_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="shre_idle"):
        load_settings()


def test_missing_or_garbled_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PENNY_CONFIG", str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()
    bad = tmp_path / "bad.yaml"
    bad.write_text("allocation: [unclosed\n")
    monkeypatch.setenv("PENNY_CONFIG", str(bad))
    with pytest.raises(ConfigError, match="Cannot read config file"):
        load_settings()
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    monkeypatch.setenv("PENNY_CONFIG", str(listy))
    with pytest.raises(ConfigError, match="mapping at the top level, not list"):
        load_settings()


def test_pinned_now_is_hour_aligned_naive_utc() -> None:
    s = load_settings(now="2026-11-15T10:30:00+02:00")
    assert s.current_time() == datetime(2026, 11, 15, 8, 0)
