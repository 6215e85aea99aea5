"""`penny demo`: generate the simulated organisation, load it, and show what Penny can answer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from assistant.cli.app import app
from assistant.config import load_settings
from assistant.core.money import usd
from assistant.errors import InputError

__all__ = ["demo"]


def _parse_end(text: str | None) -> date:
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"--end {text!r} is not a date.", hint="Use YYYY-MM-DD.") from exc


def _exact(v: Decimal) -> str:
    """The reconciliation difference unrounded: '0' only when it is exactly zero."""
    text = format(v, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0") else text


@app.command(rich_help_panel="Setup")
def demo(
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the generated files (default $PENNY_HOME/demo)"
    ),
    end: str | None = typer.Option(
        None, "--end", help="Last day, exclusive, YYYY-MM-DD (default today, UTC)"
    ),
    no_prometheus: bool = typer.Option(
        False,
        "--no-prometheus",
        help="Read the OpenMetrics files directly even when prometheus/promtool are installed",
    ),
    scale: str = typer.Option("default", "--scale", help="small | default"),
) -> None:
    """Generate a simulated organisation (FOCUS bills + OpenMetrics), ingest and allocate it."""
    from assistant.demo.run import build_demo

    if scale not in ("small", "default"):
        raise InputError(f"--scale {scale!r} is not small or default.")
    end_day = _parse_end(end)
    settings = load_settings()
    out_dir = out or settings.home / "demo"
    err = Console(stderr=True)
    err.print(f"Generating the demo organisation into {out_dir} (end {end_day}, {scale})…")
    report = build_demo(
        settings,
        end=end_day,
        out_dir=out_dir,
        use_prometheus=False if no_prometheus else None,
        scale=scale,
    )
    con = Console(soft_wrap=True)
    t = report.truths
    via = (
        "a real Prometheus (promtool backfill + HTTP API)"
        if report.used_prometheus
        else "the OpenMetrics reader"
    )
    con.print(
        f"[bold]Penny demo[/]: {len(report.files.focus)} FOCUS files, "
        f"{len(report.files.metrics)} clusters of metrics loaded through {via}; "
        f"warehouse {settings.db_path}"
    )
    rec = Table(title="Bill reconciled per month (amortized, EffectiveCost)")
    for col in ("month", "bill", "allocated", "idle", "unallocated", "difference"):
        rec.add_column(col, justify="right")
    for r in report.allocation.reconciliation:
        if r.basis == "amortized":
            rec.add_row(
                r.month,
                usd(r.bill),
                usd(r.allocated),
                usd(r.idle),
                usd(r.unallocated),
                _exact(r.difference),
            )
    con.print(rec)
    month = t["generator"]["compare"]["month"]
    teams = Table(title=f"Top teams in {month}")
    teams.add_column("team")
    teams.add_column("cost", justify="right")
    for name, cost in report.top_teams:
        teams.add_row(name, usd(cost))
    con.print(teams)
    share = report.unlabeled_share
    unlabeled = f"{share * 100:.2f}%" if share is not None else "n/a"
    con.print(
        f"Idle in {month}: {usd(report.idle_last_month)}; cost without a team label: {unlabeled}"
    )
    d = t["drivers"]
    con.print(f"\n[bold]Planted for you to find[/] (truths in {report.files.truths_path}):")
    for line in [
        f"new GPU job llm-finetune: {usd(d['new_gpu_job']['bill_effective_cost'])} of "
        f"p4d.24xlarge in {month}",
        f"checkout-api minReplicas 3→6 from {d['replica_scale_up']['from'][:10]}",
        f"batch pool spot→on-demand {d['spot_fallback']['start'][:10]}.."
        f"{d['spot_fallback']['end'][:10]}: +{usd(d['spot_fallback']['extra_cost'])}",
        f"Savings Plan from {d['savings_plan']['start'][:10]}: saved "
        f"{usd(d['savings_plan']['savings'])}",
        f"credit {usd(d['credit']['amount'])} on {d['credit']['date']}",
        *[f"spike: {a['group_by']} {a['group']} on {a['date']}" for a in t["anomalies"]],
        "rightsizing: " + ", ".join(r["workload"] for r in t["rightsizing"]),
        f"idle GPU: {t['idle_gpu']['namespace']}/{t['idle_gpu']['pod']} "
        f"({t['idle_gpu']['idle_hours']} h at ~0%)",
    ]:
        con.print(f"  • {line}")
    con.print("\n[bold]Try:[/]")
    for q in t["example_questions"]:
        con.print(f'  penny ask "{q}"')
    err.print("Timings (s): " + ", ".join(f"{k} {v}" for k, v in report.timings.items()))
