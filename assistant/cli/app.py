"""The Typer application objects; command modules attach themselves to these."""

from __future__ import annotations

import typer

HELP = """Penny: ask what your Kubernetes cluster costs, who spent it, and what to change.

Example:  penny demo && penny ask "top 5 namespaces last month"

Docs: README.md and docs/ in the repository.
"""

app = typer.Typer(
    name="penny",
    help=HELP,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_app = typer.Typer(
    help="Load bills, metrics and AI usage into the warehouse.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(ingest_app, name="ingest", rich_help_panel="Data")
