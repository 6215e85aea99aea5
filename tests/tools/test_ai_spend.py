"""ai_spend over fixed ledger rows: grouping, sources, scope, and unpriced calls kept apart."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.warehouse.ledger import ledger
from tools.registry import ToolContext, call
from tools.result import ToolResult

# request, ts, source, provider, model, user, team, input, cached, output, cost
ROWS = [
    (
        "r1",
        datetime(2026, 10, 2, 9),
        "penny",
        "openai",
        "gpt-4o-mini",
        "alice",
        "ml",
        1000,
        200,
        100,
        Decimal("0.0012"),
    ),
    (
        "r2",
        datetime(2026, 10, 3, 9),
        "penny",
        "openai",
        "gpt-4o-mini",
        "bob",
        "payments",
        3000,
        0,
        300,
        Decimal("0.0034"),
    ),
    (
        "r3",
        datetime(2026, 10, 4, 9),
        "penny",
        "anthropic",
        "claude-unpriced",
        "alice",
        "ml",
        500,
        0,
        50,
        None,
    ),
    (
        "r4",
        datetime(2026, 10, 10),
        "openai-import",
        "openai",
        "gpt-4o",
        None,
        "ml",
        2_000_000,
        0,
        500_000,
        Decimal("12.5"),
    ),
    (
        "r5",
        datetime(2026, 10, 11),
        "anthropic-import",
        "anthropic",
        "claude-sonnet-4",
        None,
        "payments",
        1_000_000,
        0,
        100_000,
        Decimal("7.25"),
    ),
    (
        "r6",
        datetime(2026, 9, 30, 23),
        "penny",
        "openai",
        "gpt-4o-mini",
        "alice",
        "ml",
        10,
        0,
        1,
        Decimal("5"),
    ),  # September: outside every 2026-10 window
]


@pytest.fixture
def usage(settings: Settings) -> Settings:
    with ledger(settings) as con:
        for r in ROWS:
            con.execute(
                "INSERT INTO ai_usage (request_id, ts, source, provider, model, user_id, team, "
                "input_tokens, cached_input_tokens, output_tokens, cost) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(r),
            )
    return settings


def _call(settings: Settings, args: dict[str, Any], scope: Scope | None = None) -> ToolResult:
    result, _ = call("ai_spend", args, ToolContext.create(settings, scope))
    return result


def test_by_model_all_sources(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-10", "group_by": "model"})
    assert result.ok and result.status == "success"
    groups = {g["model"]: g for g in result.data["groups"]}
    assert [g["model"] for g in result.data["groups"]] == [
        "gpt-4o",
        "claude-sonnet-4",
        "gpt-4o-mini",
        "claude-unpriced",
    ]
    assert groups["gpt-4o-mini"]["cost"] == Decimal("0.004600")  # 0.0012 + 0.0034
    assert groups["gpt-4o-mini"]["calls"] == 2
    assert groups["claude-unpriced"]["cost"] is None  # unknown, not $0
    assert groups["claude-unpriced"]["unpriced_calls"] == 1
    total = result.data["total"]
    # 12.5 + 7.25 + 0.0046 = 19.7546; the unpriced call is counted, not priced
    assert total["cost"] == Decimal("19.754600")
    assert (total["calls"], total["priced_calls"], total["unpriced_calls"]) == (5, 4, 1)
    assert total["input_tokens"] == 1000 + 3000 + 500 + 2_000_000 + 1_000_000
    assert any("no price" in n for n in result.provenance.notes)
    assert result.to_json()["data"]["total"]["cost"] == "19.754600"


def test_penny_only_by_team(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-10", "group_by": "team", "source": "penny"})
    groups = {g["team"]: g for g in result.data["groups"]}
    assert groups["ml"]["cost"] == Decimal("0.0012") and groups["ml"]["unpriced_calls"] == 1
    assert groups["payments"]["cost"] == Decimal("0.0034")
    imports = _call(usage, {"window": "2026-10", "group_by": "source", "source": "imports"})
    assert {g["source"]: g["cost"] for g in imports.data["groups"]} == {
        "openai-import": Decimal("12.5"),
        "anthropic-import": Decimal("7.25"),
    }


def test_by_day_in_date_order(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-10-01..2026-10-05", "group_by": "day"})
    assert [(g["day"], g["calls"]) for g in result.data["groups"]] == [
        ("2026-10-02", 1),
        ("2026-10-03", 1),
        ("2026-10-04", 1),
    ]


def test_team_scope_sees_its_team_and_own_calls(usage: Settings) -> None:
    result = _call(
        usage, {"window": "2026-10", "group_by": "model"}, Scope(teams=["payments"], user="bob")
    )
    # bob's gpt-4o-mini call 0.0034 + payments' imported claude-sonnet-4 7.25 = 7.2534
    assert result.data["total"]["cost"] == Decimal("7.253400")
    assert {g["model"] for g in result.data["groups"]} == {"claude-sonnet-4", "gpt-4o-mini"}


def test_top_n_counts_the_rest(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-10", "top_n": 1})
    assert len(result.data["groups"]) == 1 and result.data["more"] == 3
    assert result.provenance.truncated is True
    assert result.data["total"]["cost"] == Decimal("19.754600")  # totals cover every group


def test_empty_window_is_no_data(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-08"})
    assert result.status == "no_data" and "penny ingest ai-usage" in (result.error or "")


def test_bad_arguments(usage: Settings) -> None:
    result = _call(usage, {"window": "2026-10", "group_by": "namespace"})
    assert result.ok is False and "'model'" in (result.error or "")
    bad = _call(usage, {"window": "last quarter"})
    assert bad.ok is False and "last-month" in (bad.error or "")
