"""On the eval questions (small demo, runs in CI) the offline engine answers >= 95% correctly
or with an honest refusal, and none confident-wrong;
LLM evals run only under the `llm` marker, where a model and key are configured."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.cli import main as cli_main
from assistant.config import Settings
from evals.cases import load_cases
from evals.runner import run_evals, write_report

CASES = load_cases()


def test_at_least_150_cases_each_with_checks() -> None:
    assert len(CASES) >= 150
    for c in CASES:
        # every case checks something: a number, a name, or that it must refuse
        assert c.numbers or c.names or c.names_sql or not c.understood, c.id
        for n in c.numbers:
            assert "allocations" in n.sql or "billing_lines" in n.sql or "gpu_hours" in n.sql


def test_offline_evals_pass_rate(demo_settings: Settings, tmp_path: Path) -> None:
    report = run_evals(demo_settings, engine="offline", log=lambda _line: None)
    json_path, md_path = write_report(report, tmp_path / "report")
    payload = json.loads(json_path.read_text())
    failed = {r.id: r.failures for r in report.results if not r.passed}
    assert payload["totals"]["cases"] == len(CASES)
    totals = payload["totals"]
    assert totals["correct_or_refused_rate"] >= 0.95, failed
    wrong = {r.id: (r.failures, r.answer) for r in report.results if r.outcome == "wrong"}
    assert totals["wrong"] == 0, wrong
    assert (totals["correct"] + totals["refused"] + totals["wrong"]) == len(CASES)
    assert payload["by_category"]["bill_dimensions"]["cases"] >= 20
    assert f"{report.passed}/{len(CASES)} passed" in md_path.read_text()
    # the offline engine spends no tokens
    assert (payload["totals"]["input_tokens"], payload["totals"]["cost_usd"]) == (0, "0")


def test_penny_eval_cli_runs_one_case(
    demo_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["PENNY_DB"] = str(demo_settings.db_path)
    try:
        code = cli_main(
            [
                "eval",
                "--only",
                "01_payments_team_last_month",
                "--out",
                str(tmp_path / "r"),
                "--min-pass",
                "1",
            ]
        )
    finally:
        del os.environ["PENNY_DB"]
    out = capsys.readouterr().out
    assert code == 0
    assert "1/1 passed (100.0%)" in out and "entity_cost" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["results"][0]["passed"] is True


def test_penny_eval_rejects_unknown_engine() -> None:
    result = CliRunner().invoke(app, ["eval", "--engine", "gpt"])
    assert result.exit_code != 0
    assert "not offline or llm" in str(result.exception or result.output)


@pytest.mark.llm
def test_llm_evals(demo_settings: Settings, tmp_path: Path) -> None:
    model = os.environ.get("PENNY_EVAL_MODEL")
    if not model:
        pytest.skip("set PENNY_EVAL_MODEL (and the provider's key) to run LLM evals")
    report = run_evals(demo_settings, engine="llm", model=model, log=print)
    write_report(report, tmp_path / "llm")
    assert report.pass_rate >= 0.80


def test_llm_engine_path_grades_tokens_cost_and_invented_numbers(
    demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`penny eval --engine llm` against a local OpenAI-protocol server: the real SDK calls
    it, the model's answer is graded like any other, tokens and cost are summed."""
    from decimal import Decimal

    from assistant.warehouse.db import reader
    from tests.fakes import OpenAIServer, Reply, ToolUse

    with reader(demo_settings) as con:
        (spent,) = con.execute(
            "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' AND team = "
            "'payments' AND hour >= '2026-10-01' AND hour < '2026-11-01'"
        ).fetchone()
    shown = f"${Decimal(spent).quantize(Decimal('0.01')):,.2f}"
    call = ToolUse(
        "query_costs", {"window": "last-month", "group_by": "team", "filters": {"team": "payments"}}
    )
    server = OpenAIServer(
        [
            # case 1: the model calls the tool and reports its figure
            Reply(tool_calls=[call], input_tokens=1000, output_tokens=20),
            Reply(
                text=f"The payments team spent {shown} last month.",
                input_tokens=1500,
                cached_tokens=1000,
                output_tokens=30,
            ),
            # case 2 (same question): the model adds a figure no tool returned
            Reply(tool_calls=[call], input_tokens=1000, output_tokens=20),
            Reply(
                text=f"The payments team spent {shown}; next month about $999.99.",
                input_tokens=1000,
                output_tokens=20,
            ),
        ]
    )
    server.start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        first = run_evals(
            demo_settings,
            engine="llm",
            model="openai:gpt-4o-mini",
            only="01_payments_team_last_month",
            log=lambda _line: None,
        )
        second = run_evals(
            demo_settings,
            engine="llm",
            model="openai:gpt-4o-mini",
            only="01_payments_team_last_month",
            log=lambda _line: None,
        )
    finally:
        server.stop()
    (ok,) = first.results
    assert (ok.passed, ok.engine, ok.tools) == (True, "llm", ["query_costs"])
    # gpt-4o-mini per 1M tokens: input 0.15, cached 0.075, output 0.60
    # call 1: 1000 x 0.15 + 20 x 0.60 = 162e-6; call 2: 500 x 0.15 + 1000 x 0.075 + 30 x 0.60
    # = 168e-6; total $0.000330
    assert first.totals()["input_tokens"] == 2500 and first.totals()["output_tokens"] == 50
    assert Decimal(first.totals()["cost_usd"]) == Decimal("0.000330")
    (bad,) = second.results
    assert bad.passed is False
    assert bad.failures == ["unsupported money figures: $999.99"]
