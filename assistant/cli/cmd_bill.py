"""`penny bill` (a month's bill explained) and `penny anomalies` (unusual days)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.billing.anomalies import ANOMALY_BY
from assistant.billing.explain import parse_month
from assistant.billing.render import render_bill
from assistant.capabilities.bill import AnomaliesRequest, BillRequest, anomalies, bill
from assistant.capabilities.context import Ctx
from assistant.cli.app import app
from assistant.cli.options import one_of, window_flag
from assistant.config import Settings, load_settings
from assistant.core.money import usd, usd_change
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.windows import Window

_REPORT_SUFFIXES = {".md": "md", ".html": "html", ".json": "json"}


def _month(text: str, settings: Settings, flag: str) -> Window:
    try:
        return parse_month(text, settings.current_time(), flag)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from exc


@app.command("bill", rich_help_panel="Reports")
def bill_cmd(
    month: str = typer.Argument(..., help="YYYY-MM, last-month or this-month."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, html or json."),
    compare: str | None = typer.Option(
        None, "--compare", "-c", help="Month to compare with (default: the previous one)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Directory for the report and PNG/SVG charts, or a .md/.html/.json file path.",
    ),
) -> None:
    """Explain a month's bill: totals, reconciliation, drivers of the change, forecast.

    Example: penny bill 2026-10 --format html --out reports/
    """
    if fmt not in ("md", "html", "json"):
        raise typer.BadParameter(f"{fmt!r} is not md, html or json.", param_hint="--format")
    settings = load_settings()
    window = _month(month, settings, "MONTH")
    if compare:
        _month(compare, settings, "--compare")
    report = bill(
        BillRequest(month=month, compare=compare), Ctx.create(settings, Scope.everything("cli"))
    )
    expl = report.explanation
    out_dir = out
    if out is not None and out.suffix in _REPORT_SUFFIXES:
        out_dir = out.parent
        fmt = _REPORT_SUFFIXES[out.suffix]
    text = render_bill(expl, fmt, out_dir)  # type: ignore[arg-type]
    if out is not None and out_dir is not None:
        written = out_dir / f"bill-{window.label()}.{fmt}"
        if out.suffix in _REPORT_SUFFIXES and written != out:
            written.replace(out)
            written = out
        typer.echo(f"Wrote {written} and charts in {out_dir}", err=True)
        return
    typer.echo(text)


@app.command("anomalies", rich_help_panel="Reports")
def anomalies_cmd(
    window: str = typer.Option(
        "30d", "--window", "-w", help="Days to check: 30d, 2w, 2026-10 or START..END."
    ),
    by: str = typer.Option("team", "--by", "-b", help=" | ".join(ANOMALY_BY)),
    as_json: bool = typer.Option(False, "--json", help="Print the anomalies as JSON."),
) -> None:
    """Days whose cost per group is far from its weekday-aware baseline."""
    settings = load_settings()
    one_of(by, ANOMALY_BY, "--by")
    win = window_flag(window, settings)
    report = anomalies(
        AnomaliesRequest(window=window, by=by),  # type: ignore[arg-type]
        Ctx.create(settings, Scope.everything("cli")),
    )
    found = report.anomalies
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") for a in found], indent=2))
        return
    if not found:
        typer.echo(
            f"No anomalies by {by} in {win.label()} "
            f"(threshold {settings.anomalies.threshold_mads:g} MADs, minimum "
            f"{usd(settings.anomalies.min_impact_usd)})."
        )
        return
    typer.echo(f"{len(found)} anomal{'y' if len(found) == 1 else 'ies'} by {by} in {win.label()}:")
    for a in found:
        causes = (
            ", ".join(f"{c['workload']} {usd_change(c['excess'])}" for c in a.workloads[:3])
            or "no single workload"
        )
        when = a.day if a.days == 1 else f"{a.day}..{a.last_day} ({a.days} days)"
        shift = " [level shift: new baseline]" if a.level_shift else ""
        typer.echo(
            f"- {when} {a.group}: {a.direction}{shift} {usd(a.actual)} vs expected "
            f"{usd(a.expected)} ({usd_change(a.excess)}, {a.score} scale "
            f"units); caused by {causes}"
        )
    typer.echo(f"Method: {found[0].method}.")
