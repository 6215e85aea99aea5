"""`penny assets`: what each node or cluster cost on the bill (the asset view)."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.cli.cmd_costs import parse_filters
from assistant.cli.options import window_flag
from assistant.config import load_settings
from assistant.core.money import plain
from assistant.costs.assets import AssetTable, asset_costs
from assistant.warehouse.db import reader


@app.command("assets", rich_help_panel="Answers")
def assets_cmd(
    window: str = typer.Option(
        "last-month", "--window", "-w", help="2026-10, last-month, 7d or START..END."
    ),
    by: str = typer.Option("node", "--by", help="node | cluster"),
    filter_: list[str] = typer.Option([], "--filter", help="cluster=… or node=…, repeatable."),
    basis: str = typer.Option("amortized", "--basis", help="amortized | invoice"),
    top: int | None = typer.Option(None, "--top", min=1, help="Show the top N."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """Each node's (or cluster's) cost on the bill: its pods, its idle, its pods' PV/LB.

    Example:  penny assets --by cluster --window last-month
    """
    settings = load_settings()
    if by not in ("node", "cluster"):
        raise typer.BadParameter(f"{by!r} is not node or cluster.", param_hint="--by")
    if basis not in ("amortized", "invoice"):
        raise typer.BadParameter(f"{basis!r} is not amortized or invoice.", param_hint="--basis")
    win = window_flag(window, settings)
    with reader(settings) as con:
        table = asset_costs(
            con,
            window=win,
            by=by,  # type: ignore[arg-type]
            filters=parse_filters(filter_),
            basis=basis,  # type: ignore[arg-type]
            top_n=top,
            settings=settings,
        )
    if as_json:
        typer.echo(json.dumps(table.to_dict(), default=str, indent=2))
        return
    render(table, Console(width=None if sys.stdout.isatty() else 200))


def render(table: AssetTable, console: Console) -> None:
    t = Table(
        title=f"What each {table.by} cost on the bill, {table.window.label()} "
        f"({table.basis}, {table.currency})"
    )
    cols = ("pods", "idle", "pv", "lb", "other", "total")
    t.add_column(table.by, overflow="fold")
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)
    for r in table.rows:
        t.add_row(
            r.name,
            plain(r.allocated),
            plain(r.idle),
            plain(r.parts.get("pv", Decimal(0))),
            plain(r.parts.get("lb", Decimal(0))),
            plain(r.parts.get("other", Decimal(0)) + r.parts.get("network", Decimal(0))),
            plain(r.total),
        )
    t.add_section()
    t.add_row("TOTAL", "", "", "", "", "", plain(table.total), style="bold")
    console.print(t)
    console.print(
        "pods = the CPU/RAM/GPU its pods were charged; idle = its capacity no pod used; "
        "pv/lb = its pods' volumes and load balancers; other = its bill lines for hours no "
        "metrics saw it (by node) or its unallocated lines (by cluster)."
    )
    if table.estimates:
        console.print(
            f"Estimated, not on the bill and not in TOTAL: {plain(table.estimated_total)}:"
        )
        for r in table.estimates:
            console.print(f"  {r.name}: {plain(r.total)}")
