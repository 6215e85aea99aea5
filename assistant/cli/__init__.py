"""The ``penny`` command: thin commands that parse, call one core function, and render.

Errors are translated in one place (:func:`main`): a :class:`PennyError` prints its
message and hint on stderr and exits 1; Typer/Click handle bad flags with exit 2.
Data goes to stdout; progress and token usage to stderr.
"""

from __future__ import annotations

import importlib
import logging
import sys

from assistant.cli.app import app, ingest_app
from assistant.errors import PennyError

__all__ = ["app", "ingest_app", "main"]

#: Command modules (imported for their side effect of registering commands), with the
#: top-level command names each registers. A run imports only the module of the command it
#: names, so `penny version` does not pay for DuckDB, LangChain, Chroma or matplotlib; help,
#: or a name not listed here, loads them all.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "assistant.cli.cmd_bill": ("bill", "anomalies"),
    "assistant.cli.cmd_version": ("version", "config"),
    "assistant.cli.cmd_ingest_focus": ("ingest",),
    "assistant.cli.cmd_ingest_metrics": ("ingest",),
    "assistant.cli.cmd_snapshot": ("snapshot",),
    "assistant.cli.cmd_knowledge": ("knowledge",),
    "assistant.cli.cmd_allocate": ("allocate",),
    "assistant.cli.cmd_costs": ("costs",),
    "assistant.cli.cmd_assets": ("assets",),
    "assistant.cli.cmd_ask": ("ask", "chat", "logs"),
    "assistant.cli.cmd_ingest_ai": ("ingest",),
    "assistant.cli.cmd_rightsize": ("rightsize", "gpu"),
    "assistant.cli.cmd_demo": ("demo",),
    "assistant.cli.cmd_eval": ("eval",),
    "assistant.cli.cmd_serve": ("serve", "token"),
    "assistant.cli.cmd_slack": ("slack",),
    "assistant.cli.cmd_review": ("review",),
    "assistant.cli.cmd_mcp": ("mcp",),
    "assistant.cli.cmd_sync": ("sync",),
    "assistant.cli.cmd_export_lake": ("export-lake",),
}


def _load_commands(argv: list[str] | None = None) -> None:
    """Import the command modules this run needs: the named command's, else (no argv,
    help, or a name not listed) all of them."""
    argv = argv or []
    name = next((a for a in argv if not a.startswith("-")), None)
    wanted = [m for m, names in COMMAND_MODULES.items() if name in names]
    help_asked = not argv or any(a in ("-h", "--help") for a in argv[:1])
    for module in wanted if wanted and not help_asked else COMMAND_MODULES:
        importlib.import_module(module)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _show_waits() -> None:
    """A command that must wait for another Penny process says so on stderr, once."""
    waits = logging.getLogger("penny.warehouse")
    if not any(isinstance(h, _Stderr) for h in waits.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("penny: %(message)s"))
        waits.addHandler(handler)
        waits.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    _load_commands(sys.argv[1:] if argv is None else argv)
    _show_waits()
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
