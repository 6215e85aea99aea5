"""`penny ingest prometheus` and `penny ingest openmetrics`: cluster metrics into the warehouse."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from assistant.allocation.touched import allocate_touched_in
from assistant.cli.app import ingest_app
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.ingest.metrics.store import MetricsIngestReport

_CLUSTER = typer.Option(
    ..., "--cluster", help="Cluster name the rows are keyed by.", show_default=False
)
_STEP = typer.Option("5m", "--step", help="Sample step; must divide an hour (30s, 1m, 5m…).")
_JSON = typer.Option(False, "--json", help="Print the ingest report as JSON on stdout.")
_NO_ALLOCATE = typer.Option(
    False,
    "--no-allocate",
    help="Do not re-allocate the ingested hours (bulk loads: run `penny allocate` after).",
)
_REL_RE = re.compile(r"^(\d{1,4})([hd])$")


def parse_instant(text: str, *, now: datetime | None = None) -> datetime:
    """ISO 8601 (``2026-10-01``, ``2026-10-01T10:00Z``), ``now`` or ``7d``/``12h`` ago → UTC."""
    value = text.strip()
    current = now or datetime.now(UTC).replace(tzinfo=None)
    if value == "now":
        return current
    if m := _REL_RE.match(value):
        return current - timedelta(**{"hours" if m[2] == "h" else "days": int(m[1])})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"Cannot read time {text!r}.",
            hint="Use ISO 8601 UTC like 2026-10-01 or 2026-10-01T10:00Z, "
            "'now', or '7d' (7 days ago).",
        ) from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _show(report: MetricsIngestReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        typer.echo(report.summary())


@ingest_app.command("prometheus", rich_help_panel="Metrics")
def prometheus_command(
    url: str = typer.Option(
        ..., "--url", help="Prometheus server root, e.g. http://prometheus:9090", show_default=False
    ),
    start: str = typer.Option(
        ..., "--start", help="Window start, UTC (widened to the hour).", show_default=False
    ),
    end: str = typer.Option(..., "--end", help="Window end, UTC, exclusive.", show_default=False),
    cluster: str = _CLUSTER,
    step: str = _STEP,
    token_env: str | None = typer.Option(
        None, "--token-env", help="Name of the environment variable holding a bearer token."
    ),
    chunk_hours: int = typer.Option(
        24,
        "--chunk-hours",
        help="Hours fetched per range query (1-744); smaller bounds memory at fine steps.",
    ),
    as_json: bool = _JSON,
    no_allocate: bool = _NO_ALLOCATE,
) -> None:
    """Range-query kube-state-metrics, cAdvisor and DCGM series and store hourly rows.

    Re-ingesting an overlapping window replaces those hours, and those hours are
    re-allocated in the same transaction (unless --no-allocate). The window is fetched
    --chunk-hours at a time; every chunk's series are held in memory while it is mapped,
    so at --step 5m a 20k-pod cluster wants chunks of a few hours. The rows do not
    depend on it.

    Example:  penny ingest prometheus --url http://localhost:9090 --start 2026-10-01
    --end 2026-11-01 --cluster prod
    """
    from assistant.ingest.metrics.prometheus import ingest_prometheus

    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise InputError(
                f"Environment variable {token_env} is not set or empty.",
                hint=f"export {token_env}=<bearer token>, or drop --token-env.",
            )
    settings = load_settings()
    now = settings.current_time() if settings.now else None
    report = ingest_prometheus(
        url,
        parse_instant(start, now=now),
        parse_instant(end, now=now),
        cluster,
        settings,
        step=step,
        bearer_token=token,
        progress=not as_json,
        chunk_hours=chunk_hours,
        allocate=None if no_allocate else allocate_touched_in,
    )
    _show(report, as_json)


@ingest_app.command("openmetrics", rich_help_panel="Metrics")
def openmetrics_command(
    files: list[Path] = typer.Argument(
        ...,
        help="OpenMetrics / Prometheus text files with "
        "timestamps (.gz ok), or directories of them.",
        show_default=False,
    ),
    cluster: str = _CLUSTER,
    step: str = _STEP,
    start: str | None = typer.Option(None, "--start", help="Only from this time (UTC)."),
    end: str | None = typer.Option(None, "--end", help="Only before this time (UTC)."),
    as_json: bool = _JSON,
    no_allocate: bool = _NO_ALLOCATE,
) -> None:
    """Read the same series from files (what promtool's backfill accepts), no Prometheus needed.

    Example:  penny ingest openmetrics metrics.om --cluster prod
    """
    from assistant.ingest.metrics.openmetrics import ingest_openmetrics

    report = ingest_openmetrics(
        files,
        cluster,
        load_settings(),
        step=step,
        start=parse_instant(start) if start else None,
        end=parse_instant(end) if end else None,
        allocate=None if no_allocate else allocate_touched_in,
    )
    _show(report, as_json)
