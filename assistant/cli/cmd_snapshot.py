"""`penny snapshot`: store the Kubernetes API's current objects for cluster_state's fallback."""

from __future__ import annotations

import json

import typer

from assistant.cli.app import app
from assistant.config import load_settings
from assistant.kube.snapshot import take_snapshot


@app.command(rich_help_panel="Data")
def snapshot(
    context: str | None = typer.Option(
        None, "--context", "-c", help="Kubeconfig context (default: the current one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Take a cluster snapshot (nodes, pods, workloads, HPAs, namespaces) into the warehouse.

    Uses $KUBECONFIG (or kubernetes.kubeconfig, or the in-cluster service account).
    """
    info = take_snapshot(load_settings(), context)
    if as_json:
        typer.echo(json.dumps(info.to_dict(), indent=2))
        return
    counts = ", ".join(f"{kind} {n}" for kind, n in info.counts.items())
    typer.echo(
        f"Snapshot {info.snapshot_id} of cluster {info.cluster} at "
        f"{info.taken_at.isoformat()}Z: {counts}"
    )
