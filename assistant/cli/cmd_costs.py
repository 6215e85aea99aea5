"""`penny costs`: allocated cost grouped by any dimension, as a table, JSON or CSV."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from assistant.billing.budget_rows import BUDGET_COLUMNS, budget_cells
from assistant.billing.models import BudgetStatus
from assistant.budgets.applies import budget_month
from assistant.capabilities.context import Ctx
from assistant.capabilities.costs import CostReport, CostsRequest, costs
from assistant.cli.app import app
from assistant.cli.options import engine_option, engine_settings, window_flag
from assistant.config import load_settings
from assistant.core.money import plain
from assistant.core.scope import Scope
from assistant.costs.query import COLUMNS
from assistant.windows import Window


def parse_filters(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise typer.BadParameter(
                f"{item!r} is not KEY=VALUE (e.g. team=payments).", param_hint="--filter"
            )
        out[key.strip()] = value.strip()
    return out


@app.command("costs", rich_help_panel="Answers")
def costs_cmd(
    window: str = typer.Option(
        "last-month",
        "--window",
        "-w",
        help="2026-10, last-month, 7d or START..END (end exclusive).",
    ),
    by: str = typer.Option(
        "namespace",
        "--by",
        help="namespace|team|app|env|cost_center|"
        "controller|pod|container|node|cluster|service|label:KEY",
    ),
    filter_: list[str] = typer.Option([], "--filter", help="KEY=VALUE, repeatable."),
    share_idle: bool | None = typer.Option(
        None, "--share-idle/--no-share-idle", help="Spread idle over workloads (default: config)."
    ),
    share_namespace: list[str] = typer.Option(
        [], "--share-namespace", help="Namespace whose cost is shared; repeatable."
    ),
    share_split: str | None = typer.Option(None, "--share-split", help="weighted | even"),
    overhead: str | None = typer.Option(None, "--overhead", help="Fixed $/hour to share."),
    basis: str = typer.Option("amortized", "--basis", help="amortized | invoice"),
    top: int | None = typer.Option(None, "--top", min=1, help="Show the top N groups."),
    view: str = typer.Option(
        "auto",
        "--view",
        help="auto | allocation | asset. auto: --by node/cluster shows what each cost on "
        "the bill (its idle included); allocation: the pods' cost per node, idle apart.",
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout."),
    engine: str | None = engine_option(),
) -> None:
    """Cost by group over a window, with __idle__, __unallocated__ and __unlabeled__ rows."""
    settings = load_settings()
    if as_json and as_csv:
        raise typer.BadParameter("Choose one of --json and --csv.", param_hint="--json/--csv")
    if basis not in ("amortized", "invoice"):
        raise typer.BadParameter(f"{basis!r} is not amortized or invoice.", param_hint="--basis")
    if view not in ("auto", "allocation", "asset"):
        raise typer.BadParameter(f"{view!r} is not auto, allocation or asset.", param_hint="--view")
    if share_split is not None and share_split not in ("weighted", "even"):
        raise typer.BadParameter(
            f"{share_split!r} is not weighted or even.", param_hint="--share-split"
        )
    window_flag(window, settings)  # a bad window is a BadParameter on --window
    try:
        overhead_value = Decimal(overhead) if overhead is not None else None
    except ArithmeticError as exc:
        raise typer.BadParameter(f"{overhead!r} is not a number.", param_hint="--overhead") from exc
    request = CostsRequest(
        window=window,
        group_by=by,
        filters=parse_filters(filter_),
        share_idle=share_idle,
        shared_namespaces=share_namespace or None,
        share_split=share_split,  # type: ignore[arg-type]
        overhead_hourly=overhead_value,
        basis=basis,  # type: ignore[arg-type]
        top_n=top,
        view=view,  # type: ignore[arg-type]
    )
    settings = engine_settings(settings, engine)
    ctx = Ctx.create(settings, Scope.everything("cli"))
    table = costs(request, ctx)
    if as_csv:
        typer.echo(table.to_csv(), nl=False)
        return
    budgets = table.budgets
    if as_json:
        typer.echo(json.dumps(table.data(), indent=2))
    else:
        # Piped output keeps whole names and figures instead of an 80-column squeeze.
        console = Console(width=None if sys.stdout.isatty() else 200)
        render(table, console)
        month = budget_month(Window(table.start, table.end))
        if budgets and month is not None:
            render_budgets(budgets, month.label(), console)


def render(table: CostReport, console: Console) -> None:
    t = Table(title=f"Cost by {table.group_by}, {table.window} ({table.basis}, {table.currency})")
    t.add_column(table.group_by, overflow="fold")
    shown = [c for c in COLUMNS if any(r.cost(c) for r in table.rows)]
    for col in shown:
        t.add_column(col, justify="right", no_wrap=True)
    t.add_column("total", justify="right", no_wrap=True)
    t.add_column("efficiency", justify="right")
    for row in table.rows:
        t.add_row(
            Text(row.name),  # a name from the data, never Rich markup
            *(plain(row.cost(c)) for c in shown),
            plain(row.total),
            "" if row.efficiency is None else f"{row.efficiency:.0%}",
        )
    t.add_section()
    tot = table.totals
    t.add_row(
        "TOTAL",
        *(plain(tot.cost(c)) for c in shown),
        plain(tot.total),
        "",
        style="bold",
    )
    console.print(t)
    if table.view == "asset":
        console.print(f"View: {escape(str(table.sharing['description']))}.")
    else:
        console.print(f"Sharing: {escape(str(table.sharing['description']))}.")
    if table.estimates:
        console.print(
            f"Estimated, not on the bill and not in TOTAL: {plain(table.estimated_total)} "
            "(priced from the price list: nodes or volumes the bill never mentions, or hours "
            "it does not cover yet):"
        )
        for est in table.estimates:
            console.print(f"  {escape(str(est.name))}: {plain(est.total)}")
    if table.unlabeled_share is not None:
        console.print(
            f"Without a team label: {plain(table.unlabeled_cost)} "
            f"({table.unlabeled_share:.1%} of workload cost)."
        )
    if table.more:
        console.print(
            f"{table.more} smaller groups are folded into the 'and {table.more} more' row."
        )
    if table.ai_apis:
        console.print("AI APIs (outside the cloud bill, not in the total above):")
        for ai in table.ai_apis:
            console.print(f"  {escape(ai.name)} ({escape(ai.service)}): {plain(ai.cost)}")
        console.print(f"  AI APIs total: {plain(table.ai_total)}")


def render_budgets(budgets: list[BudgetStatus], month: str, console: Console) -> None:
    """The month's budgets for this slice (``budget_status``), below the cost table."""
    t = Table(title=f"Budgets, {month} (spent = amortized cost of the budget's slice)")
    for i, col in enumerate(BUDGET_COLUMNS):
        t.add_column(col, justify="right" if 0 < i < len(BUDGET_COLUMNS) - 1 else "left")
    for b in budgets:
        t.add_row(*(Text(c) for c in budget_cells(b)))
    console.print(t)
    for b in budgets:
        if b.note:
            console.print(Text(f"{b.name}: {b.note}"))
