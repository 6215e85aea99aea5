"""`penny ingest focus PATH…`: import FOCUS billing exports and show what was found."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from assistant.allocation.touched import allocate_touched_in
from assistant.cli.app import ingest_app
from assistant.core.money import plain
from assistant.core.timestamps import minute
from assistant.ingest.focus.run import FocusIngestReport, ingest_focus


@ingest_app.command("focus")
def ingest_focus_command(
    paths: list[str] = typer.Argument(
        ...,
        help="FOCUS .csv/.csv.gz/.parquet files, folders, or export manifests "
        "(AWS Data Exports *-Manifest.json, Azure manifest.json); local paths or "
        "object-store URLs: s3://bucket/prefix/, az://container/prefix/, abfs://…, gs://….",
        show_default=False,
        metavar="PATH",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    no_allocate: bool = typer.Option(
        False,
        "--no-allocate",
        help="Do not re-allocate the hours the import touched (bulk loads: run "
        "`penny allocate` after).",
    ),
) -> None:
    """Import FOCUS 1.0–1.3 billing exports; a re-imported billing period replaces the old one.

    The hours the import touched are re-allocated in the same transaction, so every answer
    matches the bill just imported (unless --no-allocate).

    Examples:  penny ingest focus exports/focus/ --json
               penny ingest focus s3://billing/focus-export/
    """
    # Progress goes to stderr (a spinner only on a terminal); data to stdout.
    with Console(stderr=True).status("Importing FOCUS files…"):
        report = ingest_focus(paths, allocate=None if no_allocate else allocate_touched_in)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    render(report, Console())


def render(report: FocusIngestReport, console: Console) -> None:
    """The human summary: files, billing periods (and what they replaced), totals, findings."""
    console.print(
        f"[bold]Imported {report.rows:,} billing lines[/] from {len(report.files)} file(s) "
        f"(ingest {report.ingest_id[:8]}); "
        + (
            f"window {minute(report.window_start)} – {minute(report.window_end)} UTC."
            if report.window_start and report.window_end
            else "no charge period (no lines)."
        ),
        highlight=False,
    )
    periods = Table(title="Billing periods", title_justify="left")
    for col in (
        "Provider",
        "Account",
        "Period",
        "Currency",
        "Rows",
        "Billed",
        "Effective",
        "Replaced rows",
    ):
        periods.add_column(
            col,
            justify="right" if col in {"Rows", "Billed", "Effective", "Replaced rows"} else "left",
        )
    for p in report.periods:
        periods.add_row(
            Text(p.provider_name or "-"),
            Text(p.billing_account_id or "-"),
            f"{p.billing_period_start:%Y-%m}" if p.billing_period_start else "-",
            Text(p.billing_currency or "-"),
            f"{p.rows:,}",
            plain(p.billed_cost),
            plain(p.effective_cost),
            f"{p.replaced_rows:,}" if p.replaced_rows else "",
        )
    console.print(periods)
    totals = Table(title="Totals by provider", title_justify="left")
    for col in ("Provider", "Currency", "Rows", "Billed", "Effective", "List"):
        totals.add_column(col, justify="left" if col in {"Provider", "Currency"} else "right")
    for provider, by_currency in report.totals_by_provider().items():
        for currency, t in by_currency.items():
            totals.add_row(
                Text(provider),
                Text(currency),
                f"{t['rows']:,}",
                plain(t["billed_cost"]),
                plain(t["effective_cost"]),
                plain(t["list_cost"]),
            )
    console.print(totals)
    kept = sorted({c for f in report.files for c in f.extra_columns})
    if kept:
        console.print(f"Kept in extra_columns: {escape(', '.join(kept))}", highlight=False)
    if not report.findings:
        console.print("No findings: every check passed.")
    else:
        findings = Table(
            title="Findings (rows kept; questionable, not fatal)", title_justify="left"
        )
        for col in ("Check", "Column", "Count", "Example"):
            findings.add_column(col, justify="right" if col == "Count" else "left")
        for f in report.findings:
            example = ""
            if f.examples:
                e = f.examples[0]
                example = f"{Path(str(e['file'])).name} row {e['row']}"
            elif f.code == "non_standard_columns":
                example = ", ".join(sorted(f.details.get("columns", {}))[:5])
            findings.add_row(f.code, Text(f.column or ""), f"{f.count:,}", Text(example))
        console.print(findings)
        for f in report.findings:
            for v in f.details.get("values", []):
                if "to" in v:
                    console.print(
                        escape(f"  {f.column}: {v['from']!r} → {v['to']!r} ({v['count']:,} rows)"),
                        highlight=False,
                    )
    for path, reason in report.skipped:
        console.print(
            f"[dim]skipped {escape(str(path))}: {escape(str(reason))}[/]", highlight=False
        )
    if report.allocation is not None:
        a = report.allocation
        console.print(
            f"Allocated the hours this import touched ({a.window.label()}): "
            + (
                "every month reconciles to the bill."
                if a.reconciled
                else "NOT reconciled — run `penny allocate` and see its report."
            ),
            highlight=False,
        )
