"""`penny mcp`: Penny's tools, resources and prompts for any MCP client, over stdio.

stdout is the protocol, so nothing else may print there; logs go to stderr. The local
user reads the warehouse files directly (as with every CLI command), so the default scope
is everything; ``--scope team:payments`` narrows what an agent configured here can see.
Over HTTP the same server is ``/mcp`` in `penny serve`, behind the API's bearer tokens.
"""

from __future__ import annotations

import logging
import re

import typer

from assistant.cli.app import app
from assistant.config import load_settings

_SCOPE_ITEM = re.compile(r"^(\*|team:[^\s:]+|ns:[^\s:]+|namespace:[^\s:]+)$")


@app.command("mcp", rich_help_panel="Servers")
def mcp_cmd(
    scope: list[str] = typer.Option(
        ["*"],
        "--scope",
        help="What the agent may see: '*' (everything), team:NAME or ns:NAME; repeatable.",
    ),
) -> None:
    """Serve MCP on stdin/stdout for Claude Desktop, Claude Code, Cursor, VS Code, HolmesGPT.

    Example (Claude Code): claude mcp add penny -- penny mcp --scope team:payments
    """
    from assistant.core.scope import Scope
    from assistant.interfaces.mcp_server import run_stdio

    bad = [s for s in scope if not _SCOPE_ITEM.match(s)]
    if bad:
        raise typer.BadParameter(
            f"{bad[0]!r} is not '*', team:NAME or ns:NAME.", param_hint="--scope"
        )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings()
    run_stdio(settings, Scope.from_list(scope, user="mcp"))
