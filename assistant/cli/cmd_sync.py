"""`penny sync`: pull every source declared under ``sync`` once, then allocate what changed."""

from __future__ import annotations

import json

import typer

from assistant.cli.app import app
from assistant.config import load_settings
from assistant.core.timestamps import minute


@app.command("sync", rich_help_panel="Data")
def sync_cmd(
    source: list[str] = typer.Option(
        [], "--source", "-s", help="Only this source (repeatable); default: every source."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Pull Prometheus up to the last complete hour, changed bill exports and AI provider
    costs, each from its watermark; then allocate the hours that changed.

    Sources live in the config file under sync.prometheus, sync.bills and sync.ai
    (docs/deploy.md). `penny serve` runs the same sync on a schedule.

    Example:  penny sync --source prod-prometheus
    """
    from assistant.service.scheduler import SystemClock
    from assistant.sync.run import sync

    settings = load_settings()
    if not (settings.sync.prometheus or settings.sync.bills or settings.sync.ai):
        from assistant.errors import ConfigError

        raise ConfigError(
            "No sync sources are configured.",
            hint="Declare sync.prometheus, sync.bills or sync.ai in the config file "
            "(PENNY_CONFIG); see docs/deploy.md.",
        )
    report = sync(
        settings,
        SystemClock().now(),
        only=source or None,
        progress=lambda msg: typer.echo(f"penny sync: {msg}", err=True),
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        for s in report.sources:
            typer.echo(f"{s.source:<24} {'ok' if s.ok else 'FAILED':<7} {s.error or s.detail}")
        if report.allocated:
            a, b = report.allocated[0]
            typer.echo(f"allocated {minute(a)} → {minute(b)} UTC")
        if report.allocation_error:
            typer.echo(f"allocation FAILED: {report.allocation_error}")
    if not report.ok:
        raise typer.Exit(1)
