"""`penny export-lake`: copy the DuckDB warehouse into the Parquet lake the Spark engine reads."""

from __future__ import annotations

import json

import typer

from assistant.cli.app import app
from assistant.config import load_settings


@app.command("export-lake", rich_help_panel="Data")
def export_lake_cmd(
    to: str | None = typer.Option(
        None, "--to", help="Lake folder (default: warehouse.lake or $PENNY_HOME/lake)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Rows per table as JSON."),
) -> None:
    """Write every warehouse table to the lake, partitioned by cluster and day."""
    from assistant.spark.export import export_lake

    report = export_lake(load_settings(), to)
    if as_json:
        typer.echo(json.dumps({"lake": report.lake, "rows": report.rows}, indent=2))
        return
    total = sum(report.rows.values())
    typer.echo(f"Exported {total:,} rows in {len(report.rows)} tables to {report.lake}.")
