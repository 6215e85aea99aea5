"""`penny knowledge reindex | add PATH | search QUERY`: the Chroma index behind search_knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from assistant.cli.app import app
from assistant.config import load_settings

if TYPE_CHECKING:
    from assistant.knowledge.index import IndexStats

knowledge_app = typer.Typer(
    help="Penny's knowledge index: docs and warehouse names, searched by meaning.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(knowledge_app, name="knowledge", rich_help_panel="Data")


def _stats(what: str, stats: IndexStats | None) -> str:
    if stats is None:
        return f"{what}: already current"
    return (
        f"{what}: {stats.total} records ({stats.added} added, {stats.unchanged} unchanged, "
        f"{stats.removed} removed)"
    )


@knowledge_app.command()
def reindex() -> None:
    """Index the shipped knowledge docs, your added docs and the warehouse's names (idempotent)."""
    settings = load_settings()
    from assistant.knowledge.index import refresh_names, reindex_docs  # Chroma: heavy

    typer.echo(_stats("docs", reindex_docs(settings)))
    if settings.db_path.exists():
        typer.echo(_stats("names", refresh_names(settings, force=True)))
    else:
        typer.echo(f"names: skipped, no warehouse at {settings.db_path}", err=True)


@knowledge_app.command()
def add(
    path: Path = typer.Argument(..., help="A markdown file to add to the knowledge index."),
) -> None:
    """Copy a markdown file into $PENNY_HOME/knowledge and index it."""
    settings = load_settings()
    from assistant.knowledge.index import add_doc

    typer.echo(_stats("docs", add_doc(settings, path)))


@knowledge_app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="What to look for, in plain words."),
    k: int = typer.Option(5, "-k", min=1, max=50, help="Number of results."),
    kind: str = typer.Option("all", help="docs | names | all"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search the docs and the warehouse's names by meaning."""
    if kind not in {"docs", "names", "all"}:
        raise typer.BadParameter("use docs, names or all", param_hint="--kind")
    from assistant.knowledge.index import search

    hits = search(load_settings(), query, k=k, kind=kind)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], indent=2))
        return
    if not hits:
        typer.echo("No matches.")
    for hit in hits:
        where = hit.source or hit.namespace or ""
        typer.echo(f"{hit.score:.3f}  [{hit.kind}] {hit.title}" + (f"  ({where})" if where else ""))
