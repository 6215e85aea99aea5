"""`penny rightsize` and `penny gpu`: recommendations in dollars, drafts, GPU waste."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.capabilities.context import Ctx
from assistant.capabilities.rightsizing import (
    DraftRequest,
    GpuRequest,
    RightsizingRequest,
    draft,
    gpu,
    rightsizing,
)
from assistant.cli.app import app
from assistant.cli.options import one_of, window_flag
from assistant.config import load_settings
from assistant.core.money import plain, usd
from assistant.core.scope import Scope
from assistant.errors import DataGap, InputError
from assistant.rightsizing.drafts import FORMATS
from assistant.rightsizing.gpu import GROUP_BY
from assistant.rightsizing.manifests import format_cpu, format_memory
from assistant.rightsizing.recommend import Recommendation
from assistant.rightsizing.strategies import STRATEGIES
from assistant.rightsizing.validate import validate_draft

PANEL = "Answers"


def _q(kind: str, value: Any) -> str:
    if value is None:
        return "—"
    return format_cpu(float(value)) if kind == "cpu" else format_memory(float(value))


def _table(recs: list[Recommendation], limit: int) -> Table:
    table = Table(title="Rightsizing (monthly, at the allocation's unit prices)")
    for col in (
        "workload",
        "container",
        "sev",
        "repl",
        "CPU req",
        "mem req/limit",
        "$ now",
        "$ after",
        "$ saved",
        "nodes",
        "notes",
    ):
        table.add_column(col, justify="right" if col.startswith(("$", "repl", "nodes")) else "left")
    many = len({r.cluster for r in recs}) > 1
    for rec in recs[:limit]:
        for i, c in enumerate(rec.containers):
            first = i == 0
            cur, new = c.current, c.proposed
            notes = list(c.notes) + ([n for n in rec.notes] if first else [])
            if c.status != "ok":
                notes.insert(0, c.status.replace("_", " "))
            table.add_row(
                Text((rec.qualified if many else rec.workload) if first else ""),
                Text(c.container),
                rec.severity if first else "",
                f"{rec.replicas:.1f}" if first else "",
                f"{_q('cpu', cur['cpu_request'])} → {_q('cpu', new['cpu_request'])}",
                f"{_q('mem', cur['ram_request'])}/{_q('mem', cur['ram_limit'])} → "
                f"{_q('mem', new['ram_request'])}/{_q('mem', new['ram_limit'])}",
                plain(c.current_monthly),
                plain(c.proposed_monthly),
                plain(c.monthly_savings),
                str(rec.nodes_freed) if first else "",
                Text("; ".join(notes)),
            )
    return table


@app.command("rightsize", rich_help_panel=PANEL)
def rightsize_cmd(
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="Only this namespace."),
    strategy: str | None = typer.Option(
        None, "--strategy", "-s", help=f"{' | '.join(STRATEGIES)} (default: config)."
    ),
    days: int = typer.Option(14, "--days", min=1, max=400, help="Days of usage history."),
    top: int = typer.Option(25, "--top", min=1, help="Workloads to show in the table."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
    as_yaml: bool = typer.Option(False, "--yaml", help="YAML on stdout."),
    spot: bool = typer.Option(False, "--spot", help="Also list spot candidates."),
    commitments: bool = typer.Option(
        False, "--commitments", help="Also show commitment coverage of the steady baseline."
    ),
    orphaned: bool = typer.Option(False, "--orphans", help="Also list orphaned resources."),
    draft: str | None = typer.Option(
        None,
        "--draft",
        help="Draft the change for WORKLOAD "
        "(NAME, KIND/NAME, NAMESPACE/KIND/NAME or "
        "CLUSTER:NS/KIND/NAME).",
    ),
    manifests: Path | None = typer.Option(
        None, "--manifests", help="Folder with the YAML to diff against (with --draft)."
    ),
    fmt: str = typer.Option("patch", "--format", help="patch | kustomize | diff | pr"),
    validate: bool = typer.Option(
        False, "--validate", help="Server-side dry run of the draft (needs a kubeconfig)."
    ),
) -> None:
    """Recommend requests from usage history, priced in dollars; draft the change to merge.

    WORKLOAD for --draft is NAME, KIND/NAME, NAMESPACE/KIND/NAME or CLUSTER:NAMESPACE/KIND/NAME.

    Example: penny rightsize -n shop && penny rightsize --draft shop/Deployment/api
    --manifests ./k8s --format diff
    """
    if as_json and as_yaml:
        raise typer.BadParameter("Choose one of --json and --yaml.", param_hint="--json/--yaml")
    if strategy is not None:
        one_of(strategy, STRATEGIES, "--strategy")
    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not one of {', '.join(FORMATS)}.", param_hint="--format"
        )
    if draft is None and (manifests is not None or validate or fmt != "patch"):
        raise typer.BadParameter(
            "--manifests, --format and --validate go with --draft.", param_hint="--draft"
        )
    settings = load_settings()
    ctx = Ctx.create(settings, Scope.everything("cli"))
    if draft is not None:
        _draft(ctx, draft, namespace, strategy, days, fmt, manifests, validate, as_json or as_yaml)
        return
    include = [
        k for k, on in (("spot", spot), ("commitments", commitments), ("orphans", orphaned)) if on
    ]
    request = RightsizingRequest(
        namespace=namespace,
        strategy=strategy,  # type: ignore[arg-type]
        history_days=days,
        include=include,  # type: ignore[arg-type]
    )
    try:
        report = rightsizing(request, ctx)
    except DataGap as exc:
        raise InputError(exc.message, hint=exc.hint) from exc
    recs = report.all_recommendations
    if as_json or as_yaml:
        payload = report.data()
        text = (
            json.dumps(payload, indent=2) if as_json else yaml.safe_dump(payload, sort_keys=False)
        )
        typer.echo(text)
        return
    console = Console(width=200)
    console.print(_table(recs, top))
    ok = [r for r in recs if r.status == "ok"]
    total = sum((r.monthly_savings for r in ok), Decimal(0))
    console.print(
        f"{len(ok)} workloads with a recommendation; total {usd(total)}/month. "
        f"{len(recs) - len(ok)} without enough history.",
        highlight=False,
    )
    for cluster, eff in (report.fleet_effect or {}).items():
        console.print(
            f"{cluster}: frees {eff['cpu_freed_cores']} cores and "
            f"{eff['ram_freed_gib']} GiB of requests ≈ {eff['nodes_freed']} of "
            f"{eff['nodes']} nodes at today's packing.",
            highlight=False,
        )
    extras = {
        "spot_candidates": report.spot_candidates,
        "commitments": report.commitments,
        "orphans": report.orphans,
    }
    for key, value in extras.items():
        if value is not None:
            console.print(f"\n[bold]{key.replace('_', ' ')}[/]")
            console.print_json(json.dumps(value, default=str))


def _draft(
    ctx: Ctx,
    ident: str,
    namespace: str | None,
    strategy: str | None,
    days: int,
    fmt: str,
    manifests: Path | None,
    validate: bool,
    structured: bool,
) -> None:
    request = DraftRequest(
        workload=ident,
        namespace=namespace,
        format=fmt,  # type: ignore[arg-type]
        strategy=strategy,  # type: ignore[arg-type]
        history_days=days,
    )
    report = draft(request, ctx, manifests_dir=manifests)
    result = report.draft
    if structured:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        typer.echo(result.text, nl=False)
    if validate:
        outcome = validate_draft(report.recommendation, result, settings=ctx.settings)
        if outcome.ok:
            typer.echo(f"Dry run at {outcome.server}: accepted; nothing was changed.", err=True)
        else:
            typer.echo(
                f"Dry run at {outcome.server} rejected the patch (HTTP "
                f"{outcome.status}): {outcome.message}",
                err=True,
            )
            raise typer.Exit(1)


@app.command("gpu", rich_help_panel=PANEL)
def gpu_cmd(
    window: str = typer.Option("7d", "--window", "-w", help="7d, 24h, 2026-10 or START..END."),
    by: str = typer.Option("workload", "--by", help=" | ".join(GROUP_BY)),
    idle: bool = typer.Option(False, "--idle", help="List the idle GPUs themselves."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout."),
) -> None:
    """GPU-hours, activity and idle GPU cost (MIG/time-slices by their share)."""
    settings = load_settings()
    one_of(by, GROUP_BY, "--by")
    win = window_flag(window, settings)
    request = GpuRequest(window=window, by=by, idle_only=idle)  # type: ignore[arg-type]
    try:
        rows = gpu(request, Ctx.create(settings, Scope.everything("cli"))).rows
    except DataGap:
        rows = []
    if as_json:
        typer.echo(json.dumps({"window": win.to_dict(), "rows": rows}, indent=2, default=str))
        return
    console = Console(width=200)
    if not rows:
        console.print(f"No GPU {'idle time' if idle else 'metrics'} in {win.label()}.")
        return
    cols = (
        [
            "node",
            "gpu",
            "mig_profile",
            "workload",
            "team",
            "signal",
            "idle_hours",
            "idle_gpu_hours",
            "idle_cost",
            "power_confirms",
        ]
        if idle
        else [by, "gpu_hours", "avg_activity_pct", "idle_gpu_hours", "cost", "idle_cost"]
    )
    table = Table(
        title=f"GPU {'idle' if idle else 'use'} {win.label()} (cost in {settings.currency})"
    )
    for col in cols:
        table.add_column(col)
    for row in rows:
        table.add_row(*[Text("—" if row.get(c) is None else str(row.get(c))) for c in cols])
    console.print(table)
