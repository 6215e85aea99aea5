"""`penny ingest ai-usage openai|anthropic PATH`: the organisation's AI API spend."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli.app import ingest_app
from assistant.config import load_settings
from assistant.core.money import usd
from assistant.ingest.ai.files import ImportSummary, import_anthropic, import_openai

ai_app = typer.Typer(
    help="Import OpenAI/Anthropic admin API cost exports into Penny's AI spend ledger.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
ingest_app.add_typer(ai_app, name="ai-usage")

_PATH = typer.Argument(
    ...,
    exists=True,
    dir_okay=False,
    readable=True,
    show_default=False,
    help="JSON file saved from the provider's admin API (one page or a JSON list of pages).",
)
_JSON = typer.Option(False, "--json", help="Print the import summary as JSON on stdout.")


@ai_app.command("openai")
def openai_command(path: Path = _PATH, as_json: bool = _JSON) -> None:
    """Import an OpenAI organization costs response (GET /v1/organization/costs).

    Save it with group_by=project_id and group_by=line_item for team attribution and
    per-model lines.

    Example:  penny ingest ai-usage openai openai-costs.json
    """
    _show(import_openai(load_settings(), path), as_json)


@ai_app.command("anthropic")
def anthropic_command(path: Path = _PATH, as_json: bool = _JSON) -> None:
    """Import an Anthropic cost report or messages usage report response.

    Cost report: GET /v1/organizations/cost_report with group_by[]=workspace_id and
    group_by[]=description. Usage report: GET /v1/organizations/usage_report/messages with
    group_by[]=model (priced from Penny's price table).

    Example:  penny ingest ai-usage anthropic anthropic-costs.json
    """
    _show(import_anthropic(load_settings(), path), as_json)


def _show(summary: ImportSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(summary), indent=2, default=str))
        return
    console = Console()
    window = (
        f"{summary.start:%Y-%m-%d} – {summary.end:%Y-%m-%d} UTC"
        if summary.start and summary.end
        else "no buckets"
    )
    console.print(
        f"[bold]Imported {summary.rows:,} {summary.source} rows[/] ({summary.kind}) from "
        f"{escape(str(summary.file))}; {window}; total {usd(summary.total_cost)}"
        + (f"; {summary.unpriced_rows} row(s) without a price" if summary.unpriced_rows else "")
        + (f"; replaced {summary.replaced_rows} earlier row(s)" if summary.replaced_rows else ""),
        highlight=False,
    )
    for w in summary.warnings:
        console.print(f"[yellow]Warning:[/] {escape(w)}", highlight=False)
