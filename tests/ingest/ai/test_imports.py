"""`penny ingest ai-usage openai|anthropic PATH`: provider exports into ai_usage."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.errors import ImportFileError
from assistant.ingest.ai.files import import_anthropic, import_openai
from assistant.warehouse.ledger import read_ledger

# 2026-10-01T00:00Z = 1790812800, 2026-10-02T00:00Z = 1790899200, 2026-10-03 = 1790985600
D1, D2, D3 = 1790812800, 1790899200, 1790985600

OPENAI_PAGE = {
    "object": "page",
    "data": [
        {
            "object": "bucket",
            "start_time": D1,
            "end_time": D2,
            "results": [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 12.3456, "currency": "usd"},
                    "line_item": "gpt-4o-mini-2024-07-18, input",
                    "project_id": "proj_pay",
                },
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 0.1, "currency": "usd"},
                    "line_item": "gpt-4o-mini-2024-07-18, output",
                    "project_id": "proj_other",
                },
            ],
        },
        {
            "object": "bucket",
            "start_time": D2,
            "end_time": D3,
            "results": [
                {
                    "object": "organization.costs.result",
                    "amount": {"value": 0.2, "currency": "usd"},
                    "line_item": None,
                    "project_id": None,
                },
            ],
        },
    ],
    "has_more": False,
    "next_page": None,
}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _rows(source: str) -> list[tuple]:
    return read_ledger(
        load_settings(),
        "SELECT ts, provider, model, team, project, line_item,"
        " cost, channel FROM ai_usage WHERE source = ? ORDER BY ts, request_id",
        [source],
    )


def test_openai_costs_with_team_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENNY_AGENT__PROJECT_TEAMS", '{"proj_pay": "payments"}')
    summary = import_openai(load_settings(), _write(tmp_path, "costs.json", OPENAI_PAGE))
    # 12.3456 + 0.1 + 0.2 = 12.6456, exactly (JSON numbers parsed as Decimal, not float)
    assert summary.total_cost == Decimal("12.6456")
    assert summary.rows == 3 and summary.replaced_rows == 0
    rows = _rows("openai-import")
    assert [(r[0].day, r[2], r[3], r[4], r[6]) for r in rows] == [
        (1, "gpt-4o-mini-2024-07-18", "payments", "proj_pay", Decimal("12.3456")),
        (1, "gpt-4o-mini-2024-07-18", "__unlabeled__", "proj_other", Decimal("0.1")),
        (2, "openai (all items)", "__unlabeled__", None, Decimal("0.2")),
    ]
    assert rows[0][5] == "gpt-4o-mini-2024-07-18, input" and rows[0][7] == "import"


def test_reimport_replaces_the_period(tmp_path: Path) -> None:
    path = _write(tmp_path, "costs.json", OPENAI_PAGE)
    import_openai(load_settings(), path)
    again = import_openai(load_settings(), path)
    assert again.replaced_rows == 3
    total = read_ledger(load_settings(), "SELECT decimal_sum(cost), COUNT(*) FROM ai_usage")
    assert total == [("12.6456", 3)]  # not doubled: 12.6456 once, exactly


@pytest.mark.parametrize(
    ("mutate", "column"),
    [
        (
            lambda d: d["data"][1]["results"][0]["amount"].update(value="lots"),
            "data[1].results[0].amount.value",
        ),
        (lambda d: d["data"][0].pop("start_time"), "data[0].start_time"),
        (
            lambda d: d["data"][0]["results"][1]["amount"].update(currency="eur"),
            "data[0].results[1].amount.currency",
        ),
        (
            lambda d: d["data"][0]["results"][0].update(
                object="organization.usage.completions.result"
            ),
            "data[0].results[0].object",
        ),
        (lambda d: d.pop("data"), "data"),
    ],
)
def test_bad_openai_export_names_file_and_field_and_changes_nothing(
    tmp_path: Path, mutate, column: str
) -> None:
    import_openai(load_settings(), _write(tmp_path, "good.json", OPENAI_PAGE))
    bad = json.loads(json.dumps(OPENAI_PAGE))
    mutate(bad)
    path = _write(tmp_path, "bad.json", bad)
    with pytest.raises(ImportFileError) as info:
        import_openai(load_settings(), path)
    assert info.value.file == str(path) and info.value.column == column
    assert len(_rows("openai-import")) == 3  # the earlier import is intact


def test_not_json_is_an_import_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportFileError, match="not valid JSON"):
        import_openai(load_settings(), path)


ANTHROPIC_COST = {
    "data": [
        {
            "starting_at": "2026-10-01T00:00:00Z",
            "ending_at": "2026-10-02T00:00:00Z",
            "results": [
                {
                    "currency": "USD",
                    "amount": "123.45",
                    "workspace_id": "wrkspc_ml",
                    "description": "Claude Haiku 4.5 Usage - Input Tokens",
                    "cost_type": "tokens",
                    "context_window": "0-200k",
                    "model": "claude-haiku-4-5-20251001",
                    "service_tier": "standard",
                    "token_type": "uncached_input_tokens",
                },
                {
                    "currency": "USD",
                    "amount": "50",
                    "workspace_id": None,
                    "description": "Web Search",
                    "cost_type": "web_search",
                    "context_window": None,
                    "model": None,
                    "service_tier": None,
                    "token_type": None,
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}


def test_anthropic_cost_report_amounts_are_cents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENNY_AGENT__PROJECT_TEAMS", '{"wrkspc_ml": "ml"}')
    summary = import_anthropic(load_settings(), _write(tmp_path, "c.json", ANTHROPIC_COST))
    # "123.45" cents = $1.2345; "50" cents = $0.50; total $1.7345
    assert summary.kind == "cost_report" and summary.total_cost == Decimal("1.7345")
    rows = _rows("anthropic-import")
    assert [(r[2], r[3], r[6]) for r in rows] == [
        ("claude-haiku-4-5-20251001", "ml", Decimal("1.2345")),
        ("Web Search", "__unlabeled__", Decimal("0.5")),
    ]


ANTHROPIC_USAGE = {
    "data": [
        {
            "starting_at": "2026-10-01T00:00:00Z",
            "ending_at": "2026-10-02T00:00:00Z",
            "results": [
                {
                    "uncached_input_tokens": 1_000_000,
                    "cache_read_input_tokens": 2_000_000,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 400_000,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 100_000,
                    "server_tool_use": {"web_search_requests": 0},
                    "api_key_id": "apikey_1",
                    "workspace_id": None,
                    "model": "claude-haiku-4-5-20251001",
                    "service_tier": "standard",
                    "context_window": "0-200k",
                },
                {
                    "uncached_input_tokens": 10,
                    "cache_read_input_tokens": 0,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 1,
                    "server_tool_use": None,
                    "api_key_id": None,
                    "workspace_id": None,
                    "model": "claude-future-9",
                    "service_tier": "standard",
                    "context_window": "0-200k",
                },
            ],
        }
    ],
    "has_more": False,
    "next_page": None,
}


def test_anthropic_usage_report_is_priced_from_the_table(tmp_path: Path) -> None:
    summary = import_anthropic(load_settings(), _write(tmp_path, "u.json", ANTHROPIC_USAGE))
    assert summary.kind == "usage_report"
    # claude-haiku-4-5: 1,000,000×1.00 + 2,000,000×0.10 + 400,000×1.25 + 100,000×5.00
    #   = 1.00 + 0.20 + 0.50 + 0.50 = $2.20 ; claude-future-9 has no price → NULL
    assert summary.total_cost == Decimal("2.2") and summary.unpriced_rows == 1
    rows = read_ledger(
        load_settings(),
        "SELECT model, input_tokens, cached_input_tokens,"
        " cache_write_tokens, output_tokens, cost, warning FROM ai_usage"
        " ORDER BY request_id",
    )
    assert rows[0][:6] == (
        "claude-haiku-4-5-20251001",
        3_400_000,
        2_000_000,
        400_000,
        100_000,
        Decimal("2.2"),
    )
    assert rows[1][5] is None and "No price for anthropic:claude-future-9" in rows[1][6]


def test_cli_import_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "costs.json", OPENAI_PAGE)
    assert main(["ingest", "ai-usage", "openai", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 3 and out["total_cost"] == "12.6456"
    assert out["source"] == "openai-import"


def test_cli_bad_file_exits_1_with_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path,
        "bad.json",
        {
            "data": [
                {"starting_at": "yesterday", "ending_at": "2026-10-02T00:00:00Z", "results": []}
            ]
        },
    )
    assert main(["ingest", "ai-usage", "anthropic", str(path)]) == 1
    err = capsys.readouterr().err
    assert "data[0].starting_at" in err and "bad.json" in err
