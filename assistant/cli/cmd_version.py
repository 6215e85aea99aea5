"""`penny version` and `penny config`: what is installed and which settings are in force."""

from __future__ import annotations

import json

import typer

from assistant import __version__
from assistant.cli.app import app


@app.command(rich_help_panel="Setup")
def version() -> None:
    """Print Penny's version."""
    typer.echo(__version__)


@app.command("config", rich_help_panel="Setup")
def show_config() -> None:
    """Print the settings in force (secrets hidden) as JSON, after validating them."""
    from assistant.config import load_settings  # pydantic-settings: not for `penny version`

    settings = load_settings()
    data = settings.model_dump(mode="json")
    data["db_path"] = str(settings.db_path)
    typer.echo(json.dumps(data, indent=2, default=str))
