"""`penny review BASE HEAD`: the monthly cost of a manifest change, as a PR comment."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from assistant.cli.app import app
from assistant.cli.options import one_of
from assistant.config import load_settings
from assistant.errors import InputError
from assistant.review import DEFAULT_WINDOW, FORMATS, render, review_change
from assistant.windows import parse_window

PANEL = "Answers"
#: exit code when the monthly increase is above --fail-above (errors are 1, bad usage 2)
EXIT_OVER_BUDGET = 3


def _side(value: str, flag: str) -> str:
    if value != "-" and not Path(value).exists():
        raise typer.BadParameter(
            f"{value} does not exist (use an empty directory for a side without workloads).",
            param_hint=flag,
        )
    return value


def _usd(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value.strip().lstrip("$"))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise typer.BadParameter(
            f"{value!r} is not an amount of dollars >= 0 (e.g. 100 or 250.50).",
            param_hint="--fail-above",
        )
    return amount


@app.command("review", rich_help_panel=PANEL)
def review_cmd(
    base: str = typer.Argument(
        ...,
        metavar="BASE",
        help="Rendered manifests before the "
        "change: a file, a directory of .yaml/.yml, or - for stdin.",
    ),
    head: str = typer.Argument(
        ..., metavar="HEAD", help="Rendered manifests after the change (same forms)."
    ),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        "-c",
        help="Cluster the change goes to (default: the one holding its namespaces).",
    ),
    namespace: str = typer.Option(
        "default", "--namespace", "-n", help="Namespace of documents without metadata.namespace."
    ),
    fmt: str = typer.Option("md", "--format", "-f", help=f"{' | '.join(FORMATS)}."),
    fail_above: str | None = typer.Option(
        None,
        "--fail-above",
        metavar="USD",
        help="Exit 3 when the monthly increase (at HPA maximums) is above USD.",
    ),
    window: str = typer.Option(
        DEFAULT_WINDOW,
        "--window",
        "-w",
        help="Price window; 30d = the 30 days before the latest allocated hour.",
    ),
) -> None:
    """Price a Kubernetes manifest change with the cluster's real unit prices.

    Render charts and overlays first (helm template, kustomize build).
    A workload only in HEAD is new; one only in BASE is removed.
    Exit codes: 0 priced, 1 error, 2 bad usage, 3 above --fail-above.

    Example: penny review base/ head/ --fail-above 100 > comment.md
    """
    one_of(fmt, FORMATS, "--format")
    limit = _usd(fail_above)
    _side(base, "BASE")
    _side(head, "HEAD")
    if base == "-" and head == "-":
        raise typer.BadParameter("only one side can be read from stdin.", param_hint="HEAD")
    try:
        parse_window(window)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--window") from exc
    settings = load_settings()
    review = review_change(
        base, head, settings=settings, cluster=cluster, namespace=namespace, window=window
    )
    typer.echo(render(review, fmt), nl=False)
    if limit is not None and review.total_high > limit:
        typer.echo(
            f"Monthly increase ${review.total_high} is above --fail-above ${limit}.", err=True
        )
        raise typer.Exit(EXIT_OVER_BUDGET)
