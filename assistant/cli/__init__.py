"""The ``penny`` command: thin commands that parse, call one core function, and render.

Errors are translated in one place (:func:`main`): a :class:`PennyError` prints its
message and hint on stderr and exits 1; Typer/Click handle bad flags with exit 2.
Data goes to stdout; progress and token usage to stderr.
"""

from __future__ import annotations

import importlib
import sys

from assistant.cli.app import app, ingest_app
from assistant.errors import PennyError

__all__ = ["app", "ingest_app", "main"]

#: Command modules, imported for their side effect of registering commands.
COMMAND_MODULES = [
    "assistant.cli.cmd_bill",
    "assistant.cli.cmd_version",
    "assistant.cli.cmd_ingest_focus",
    "assistant.cli.cmd_ingest_metrics",
    "assistant.cli.cmd_snapshot",
    "assistant.cli.cmd_knowledge",
    "assistant.cli.cmd_allocate",
    "assistant.cli.cmd_costs",
    "assistant.cli.cmd_ask",
    "assistant.cli.cmd_ingest_ai",
    "assistant.cli.cmd_rightsize",
    "assistant.cli.cmd_demo",
    "assistant.cli.cmd_eval",
    "assistant.cli.cmd_serve",
    "assistant.cli.cmd_review",
]


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    _load_commands()
    try:
        # a command's typer.Exit(code) comes back as the return value in this mode
        code = app(args=argv, standalone_mode=False)
    except PennyError as exc:
        from rich.console import Console
        from rich.markup import escape

        # messages quote data (file contents, names): never read as Rich markup
        err = Console(stderr=True)
        err.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"[yellow]Next step:[/] {escape(exc.hint)}", highlight=False)
        return 1
    except SystemExit as exc:  # typer.Exit inside commands
        return int(exc.code or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Usage errors from Typer's (vendored) Click arrive here with standalone_mode=False.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            return 1
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
