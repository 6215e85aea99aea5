"""`penny rightsize` and `penny gpu`: recommendations in dollars, drafts, GPU waste."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.cli.app import app
from assistant.cli.options import one_of, window_flag
from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.rightsizing.beyond import commitment_coverage, orphans, spot_candidates
from assistant.rightsizing.drafts import FORMATS, draft_change
from assistant.rightsizing.gpu import GROUP_BY, gpu_utilization, idle_gpus
from assistant.rightsizing.lookup import find_recommendation
from assistant.rightsizing.manifests import format_cpu, format_memory
from assistant.rightsizing.recommend import Recommendation, fleet_effect, recommend
from assistant.rightsizing.savings import to_cents
from assistant.rightsizing.strategies import STRATEGIES
from assistant.rightsizing.validate import validate_draft
from assistant.warehouse.db import reader
from assistant.windows import Window

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
                f"{to_cents(c.current_monthly)}",
                f"{to_cents(c.proposed_monthly)}",
                f"{to_cents(c.monthly_savings)}",
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
    now = settings.current_time()
    window = Window(now - timedelta(days=days), now)
    scope = Scope.everything()
    with reader(settings) as con:
        recs = recommend(
            con,
            scope=scope,
            settings=settings,
            namespace=namespace,
            strategy=strategy,
            window=window,
        )
        if draft is not None:
            _draft(recs, draft, namespace, fmt, manifests, validate, as_json or as_yaml)
            return
        if not recs:
            raise InputError(
                f"No container usage{' in namespace ' + namespace if namespace else ''} in "
                f"{window.label()}.",
                hint="Run `penny ingest metrics` (or `penny demo`).",
            )
        extra: dict[str, Any] = {"fleet_effect": fleet_effect(con, recs)}
        if spot:
            extra["spot_candidates"] = [
                c.to_dict()
                for c in spot_candidates(con, window=window, scope=scope, settings=settings)
            ]
        if commitments:
            extra["commitments"] = commitment_coverage(con, window=window)
        if orphaned:
            extra["orphans"] = [
                o.to_dict() for o in orphans(con, window=window, scope=scope, settings=settings)
            ]
    if as_json or as_yaml:
        payload = {
            "window": window.to_dict(),
            "recommendations": [r.to_dict() for r in recs],
            **extra,
        }
        text = (
            json.dumps(payload, indent=2, default=str)
            if as_json
            else yaml.safe_dump(json.loads(json.dumps(payload, default=str)), sort_keys=False)
        )
        typer.echo(text)
        return
    console = Console(width=200)
    console.print(_table(recs, top))
    ok = [r for r in recs if r.status == "ok"]
    total = sum((r.monthly_savings for r in ok), Decimal(0))
    console.print(
        f"{len(ok)} workloads with a recommendation; total ${to_cents(total)}/month. "
        f"{len(recs) - len(ok)} without enough history.",
        highlight=False,
    )
    for cluster, eff in extra["fleet_effect"].items():
        console.print(
            f"{cluster}: frees {eff['cpu_freed_cores']} cores and "
            f"{eff['ram_freed_gib']} GiB of requests ≈ {eff['nodes_freed']} of "
            f"{eff['nodes']} nodes at today's packing.",
            highlight=False,
        )
    for key in ("spot_candidates", "commitments", "orphans"):
        if key in extra:
            console.print(f"\n[bold]{key.replace('_', ' ')}[/]")
            console.print_json(json.dumps(extra[key], default=str))


def _draft(
    recs: list[Recommendation],
    ident: str,
    namespace: str | None,
    fmt: str,
    manifests: Path | None,
    validate: bool,
    structured: bool,
) -> None:
    rec = find_recommendation(recs, ident, namespace)
    result = draft_change(rec, fmt=fmt, manifests_dir=manifests)
    if structured:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        typer.echo(result.text, nl=False)
    if validate:
        outcome = validate_draft(rec, result, settings=load_settings())
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
    with reader(settings) as con:
        if idle:
            rows: list[dict[str, Any]] = [
                g.to_dict()
                for g in idle_gpus(con, window=win, scope=Scope.everything(), settings=settings)
            ]
        else:
            rows = gpu_utilization(
                con, window=win, by=by, scope=Scope.everything(), settings=settings
            )
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
