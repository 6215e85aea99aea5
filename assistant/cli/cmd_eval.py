"""`penny eval`: run the eval questions over the demo warehouse and report the pass rate."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.config import Settings, load_settings
from assistant.errors import InputError

__all__ = ["eval_command"]


def _coverage(settings: Settings, only: str | None) -> None:
    from evals.coverage import run_coverage
    from evals.runner import prepare_warehouse

    prepare_warehouse(settings, log=lambda line: Console(stderr=True).print(line))
    results = run_coverage(settings, only=only)
    con = Console()
    for r in results:
        if not r.passed:
            con.print(f"FAIL {r.id}: {'; '.join(r.failures)}", highlight=False, markup=False)
    ok = sum(r.passed for r in results)
    con.print(
        f"Tool coverage: {ok}/{len(results)} cases answered by their tool calls (≤ 3 each).",
        highlight=False,
    )
    if ok < len(results):
        raise typer.Exit(1)


@app.command("eval", rich_help_panel="Develop")
def eval_command(
    engine: str = typer.Option("offline", "--engine", help="offline | llm"),
    model: str | None = typer.Option(
        None, "--model", help="provider:model for --engine llm (default PENNY_MODEL)"
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Report path without suffix; writes "
        ".json and .md (default $PENNY_HOME/evals/report-ENGINE)",
    ),
    only: str | None = typer.Option(None, "--only", help="One case id (or prefix) or category"),
    min_pass: float = typer.Option(
        0.0, "--min-pass", min=0.0, max=1.0, help="Exit 1 when the pass rate is below this (0..1)"
    ),
    max_wrong: int | None = typer.Option(
        None, "--max-wrong", min=0, help="Exit 1 when more answers than this are confident-wrong"
    ),
    coverage: bool = typer.Option(
        False,
        "--coverage",
        help="Tool coverage instead: make each case's tool_calls (≤ 3) and check they return "
        "its expected numbers",
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help="Delete the warehouse at PENNY_DB and build the small demo into it again",
    ),
) -> None:
    """Ask every eval question (evals/NN_slug/case.yaml) and grade the answers.

    Uses the warehouse at PENNY_DB (default $PENNY_HOME/penny.duckdb); when it is empty
    the small demo is built into it first. 'Now' is pinned to the end of its data.
    """
    from evals.runner import markdown, run_evals, write_report

    if engine not in ("offline", "llm"):
        raise InputError(f"--engine {engine!r} is not offline or llm.")
    settings = load_settings()
    if coverage:
        _coverage(settings, only)
        return
    err = Console(stderr=True)
    report = run_evals(
        settings,
        engine=engine,
        model=model,
        only=only,
        rebuild=rebuild,
        log=lambda line: err.print(line, highlight=False, markup=False),
    )
    target = out or settings.home / "evals" / f"report-{engine}"
    json_path, md_path = write_report(report, target)
    con = Console()
    t = report.totals()
    table = Table(
        title=f"Evals ({engine}{', ' + report.model if report.model else ''}): "
        f"{t['passed']}/{t['cases']} passed ({t['pass_rate'] * 100:.1f}%); "
        f"{t['correct']} correct, {t['refused']} refused, {t['wrong']} confident-wrong"
    )
    for col in ("category", "correct", "refused", "wrong", "cases"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for cat, row in report.outcomes().items():
        table.add_row(
            cat, str(row["correct"]), str(row["refused"]), str(row["wrong"]), str(row["cases"])
        )
    con.print(table)
    con.print(
        f"tokens {t['input_tokens']:,} in / {t['output_tokens']:,} out · cost "
        f"${t['cost_usd']} · latency p50 {t['latency_ms_p50']} ms, max "
        f"{t['latency_ms_max']} ms",
        highlight=False,
    )
    con.print(f"Report: {json_path} and {md_path}", highlight=False)
    if not md_path.exists():  # pragma: no cover - write_report always writes both
        con.print(markdown(report))
    if report.pass_rate < min_pass or (max_wrong is not None and t["wrong"] > max_wrong):
        raise typer.Exit(1)
