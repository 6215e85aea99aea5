"""`penny allocate`: recompute pod × hour costs from the bill and the cluster metrics."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from assistant.allocation.allocate import AllocationReport, allocate
from assistant.cli.app import app
from assistant.cli.options import engine_flag, engine_option, window_flag
from assistant.config import load_settings
from assistant.core.money import plain
from assistant.windows import Window


@app.command("allocate", rich_help_panel="Data")
def allocate_cmd(
    window: str | None = typer.Option(
        None,
        "--window",
        "-w",
        help="2026-10, last-month, 7d or START..END (end exclusive); default: all data.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    engine: str | None = engine_option(),
) -> None:
    """Allocate the bill to containers, idle and unallocated, and check it reconciles."""
    settings = load_settings()
    win: Window | None = None
    if window is not None:
        win = window_flag(window, settings)
    report = allocate(settings, win, engine=engine_flag(engine, settings))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str, indent=2))
        return
    render_report(report, Console())


def render_report(report: AllocationReport, console: Console) -> None:
    console.print(
        f"Allocated {report.window.label()}: {report.rows:,} rows from "
        f"{report.container_hours:,} container-hours and {report.node_hours:,} node-hours "
        f"in {report.seconds:.2f} s. Node prices: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(report.price_sources.items()))
        + (
            f" (of which {report.unbilled_node_hours:,} billed nodes' hours with no bill line, "
            "at the bill's $0)"
            if report.unbilled_node_hours
            else ""
        )
    )
    table = Table(title="Reconciliation (bill = allocated + idle + unallocated)")
    for col in (
        "month",
        "basis",
        "bill",
        "allocated",
        "idle",
        "unallocated",
        "difference",
        "estimated*",
    ):
        table.add_column(col, justify="left" if col in ("month", "basis") else "right")
    for r in report.reconciliation:
        table.add_row(
            r.month,
            r.basis,
            *(
                plain(v)
                for v in (r.bill, r.allocated, r.idle, r.unallocated, r.difference, r.estimated)
            ),
        )
    console.print(table)
    console.print(
        "* estimated: priced from the price list (a node or volume the bill never mentions, "
        "or hours it does not cover yet); not on the bill, never in a bill total."
    )
