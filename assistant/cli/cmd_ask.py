"""`penny ask`, `penny chat` and `penny logs`: thin wrappers over ``ask_stream()``.

Answers go to stdout (markdown, or JSON with ``--json``); tool progress, token usage and
cost go to stderr, so ``penny ask … > answer.md`` keeps only the answer.
"""

from __future__ import annotations

import json
import os
import uuid
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from assistant.agent.ask import ask_stream
from assistant.cli.app import app
from assistant.config import Settings, load_settings
from assistant.core.answer import Answer, AskContext
from assistant.core.scope import Scope
from assistant.core.timestamps import minute
from assistant.errors import PennyError
from assistant.ledger.usage import recent_conversations

_ENGINES = ("auto", "offline", "llm")


def _engine(value: str) -> str:
    if value not in _ENGINES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(_ENGINES)}")
    return value


def _default_user() -> str:
    return os.environ.get("USER") or "cli"


def _context(user: str, thread: str | None, team: str | None) -> AskContext:
    # The CLI runs with the operator's own access to the warehouse file: everything.
    return AskContext(
        user=user,
        channel="cli",
        thread_id=thread or uuid.uuid4().hex,
        team=team,
        scope=Scope.everything(user),
    )


def _usage_line(answer: Answer) -> str:
    u = answer.usage
    parts = [f"engine {answer.engine}"]
    if answer.model:
        parts.append(answer.model)
    if u.model_calls:
        cached = f" ({u.cached_input_tokens:,} cached)" if u.cached_input_tokens else ""
        parts.append(
            f"{u.model_calls} model call(s), {u.input_tokens:,} in{cached} / "
            f"{u.output_tokens:,} out"
        )
        parts.append(
            "cost unknown (unpriced model)" if answer.cost is None else f"${answer.cost:.4f}"
        )
    parts.append(f"{answer.duration_ms / 1000:.1f}s")
    return " · ".join(parts)


def _answer(
    question: str, ctx: AskContext, settings: Settings, engine: str, err: Console
) -> Answer:
    """Run one question, showing tool progress on stderr; raise on an error event."""
    for event in ask_stream(question, ctx, settings, engine=engine):  # type: ignore[arg-type]
        if event.type == "tool_call":
            args = json.dumps(event.data.get("args", {}), default=str)
            err.print(
                f"[dim]→ {escape(str(event.data['name']))} {escape(args)}[/]",
                highlight=False,
                soft_wrap=True,
            )
        elif event.type == "tool_result" and not event.data.get("ok"):
            error = (event.data.get("result") or {}).get("error")
            err.print(
                f"[dim yellow]  {escape(str(event.data['name']))} failed: {escape(str(error))}[/]",
                highlight=False,
                soft_wrap=True,
            )
        elif event.type == "error":
            raise PennyError(str(event.data.get("message")), hint=event.data.get("hint"))
        elif event.type == "done":
            return Answer.model_validate(event.data["answer"])
    raise PennyError("The engine stopped without an answer.")


@app.command("ask", rich_help_panel="Ask")
def ask_command(
    question: str = typer.Argument(..., help="Your question, in plain words.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the whole answer as JSON."),
    user: str = typer.Option(None, "--user", help="Who is asking (default: $USER)."),
    engine: str = typer.Option(
        "auto",
        "--engine",
        callback=_engine,
        help="auto (LLM when PENNY_MODEL is set), offline or llm.",
    ),
    thread: str = typer.Option(
        None, "--thread", help="Continue a conversation thread (LLM memory)."
    ),
    team: str = typer.Option(None, "--team", help="Team to attribute Penny's AI cost to."),
) -> None:
    """Ask Penny a cost question.

    Example:  penny ask "top 5 namespaces by cost last month" --json
    """
    settings = load_settings()
    ctx = _context(user or _default_user(), thread, team)
    err = Console(stderr=True)
    answer = _answer(question, ctx, settings, engine, err)
    if as_json:
        typer.echo(json.dumps(answer.model_dump(mode="json"), indent=2, default=str))
    else:
        _print_markdown(answer.text)
    for note in answer.notes:
        err.print(f"[yellow]Note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    err.print(f"[dim]{escape(_usage_line(answer))}[/]", highlight=False, soft_wrap=True)


def _print_markdown(text: str) -> None:
    """Rendered on a terminal; the markdown source itself when piped (`> answer.md`)."""
    console = Console()
    if console.is_terminal:
        console.print(Markdown(text))
    else:
        typer.echo(text)


_CHAT_HELP = "Type a question. /new starts a new thread, /exit (or Ctrl-D) leaves."


@app.command("chat", rich_help_panel="Ask")
def chat_command(
    user: str = typer.Option(None, "--user", help="Who is asking (default: $USER)."),
    engine: str = typer.Option("auto", "--engine", callback=_engine, help="auto, offline or llm."),
    team: str = typer.Option(None, "--team", help="Team to attribute Penny's AI cost to."),
) -> None:
    """A conversation with Penny in one thread, with line history and rendered markdown."""
    settings = load_settings()
    console, err = Console(), Console(stderr=True)
    history = settings.home / "chat_history"
    _enable_history(history)
    ctx = _context(user or _default_user(), None, team)
    total = Decimal(0)
    console.print(f"[bold]Penny[/] · {_CHAT_HELP}", highlight=False, soft_wrap=True)
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if not line:
            continue
        if line in {"/exit", "/quit"}:
            break
        if line == "/help":
            console.print(_CHAT_HELP)
            continue
        if line == "/new":
            ctx = _context(ctx.user, None, team)
            console.print("[dim]New thread.[/]")
            continue
        try:
            answer = _answer(line, ctx, settings, engine, err)
        except PennyError as exc:
            err.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
            if exc.hint:
                err.print(
                    f"[yellow]Next step:[/] {escape(exc.hint)}", highlight=False, soft_wrap=True
                )
            continue
        console.print(Markdown(answer.text))
        for note in answer.notes:
            err.print(f"[yellow]Note:[/] {escape(note)}", highlight=False, soft_wrap=True)
        total += answer.cost or 0
        err.print(
            f"[dim]{escape(_usage_line(answer))} · session ${total:.4f}[/]",
            highlight=False,
            soft_wrap=True,
        )
    _save_history(history)


def _enable_history(path: Any) -> None:
    """Arrow-key editing and history across sessions when on a terminal (stdlib readline)."""
    if not os.isatty(0):
        return
    try:
        import readline

        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(str(path))
        readline.set_history_length(1000)
    except (ImportError, OSError):
        return


def _save_history(path: Any) -> None:
    if not os.isatty(0):
        return
    try:
        import readline

        readline.write_history_file(str(path))
    except (ImportError, OSError):
        return


@app.command("logs", rich_help_panel="Ask")
def logs_command(
    n: int = typer.Option(
        20, "-n", "--count", min=1, max=10_000, help="How many recent questions."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Recent questions with engine, tools, tokens and Penny's own AI cost."""
    rows = recent_conversations(load_settings(), n)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        Console(stderr=True).print('No questions logged yet. Try: penny ask "help"')
        return
    table = Table(title=f"Last {len(rows)} question(s)", title_justify="left")
    for col in (
        "When (UTC)",
        "User",
        "Via",
        "Engine",
        "Question",
        "Tools",
        "Tokens in/out",
        "Cost",
        "Error",
    ):
        table.add_column(
            col, justify="right" if col in {"Tokens in/out", "Cost"} else "left", overflow="fold"
        )
    for r in rows:
        q = r["question"] or "(not kept)"
        table.add_row(
            f"{minute(r['ts'])}",
            Text(str(r["user"] or "")),
            Text(str(r["channel"] or "")),
            Text(str(r["engine"]) + (f" ({r['model']})" if r["model"] else "")),
            Text(q if len(q) <= 60 else q[:57] + "…"),
            Text(", ".join(c["name"] for c in r["tool_calls"]) or "-"),
            f"{r['input_tokens']:,}/{r['output_tokens']:,}" if r["model_calls"] else "-",
            "unknown"
            if r["cost"] is None and r["model_calls"]
            else (f"${r['cost']:.4f}" if r["cost"] is not None else "-"),
            Text((r["error"] or "").split(":")[0]),
        )
    Console().print(table)
