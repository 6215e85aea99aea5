"""The offline engine passes >= 90% of the eval questions on the small demo (runs in CI);
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


def test_at_least_sixty_cases_each_with_checks() -> None:
    assert len(CASES) >= 60
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
    assert report.pass_rate >= 0.90, failed
    assert f"{report.passed}/{len(CASES)} passed" in md_path.read_text()
    # the offline engine spends no tokens
    assert (payload["totals"]["input_tokens"], payload["totals"]["cost_usd"]) == (0, "0")


def test_penny_eval_cli_runs_one_case(demo_settings: Settings, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["PENNY_DB"] = str(demo_settings.db_path)
    try:
        code = cli_main(["eval", "--only", "01_payments_team_last_month", "--out",
                         str(tmp_path / "r"), "--min-pass", "1"])
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
