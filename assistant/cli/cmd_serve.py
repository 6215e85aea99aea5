"""`penny serve` (HTTP API + chat page + Slack events) and `penny token create`."""

from __future__ import annotations

import logging
import re

import typer

from assistant.cli.app import app
from assistant.config import load_settings

token_app = typer.Typer(
    help="Bearer tokens for the HTTP API.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(token_app, name="token", rich_help_panel="Servers")

_SCOPE_ITEM = re.compile(r"^(\*|team:[^\s:]+|ns:[^\s:]+|namespace:[^\s:]+)$")
_ENGINES = ("auto", "offline", "llm")


def _engine(engine: str) -> str:
    if engine not in _ENGINES:
        raise typer.BadParameter(f"{engine!r} is not auto, offline or llm.", param_hint="--engine")
    return engine


@app.command("serve", rich_help_panel="Servers")
def serve_cmd(
    host: str | None = typer.Option(None, "--host", help="Bind address (default server.host)."),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default server.port)."
    ),
    engine: str = typer.Option("auto", "--engine", help="auto | offline | llm"),
) -> None:
    """Serve the chat page (/), the /v1 API, /metrics and, when configured, /slack/events.

    Example: penny token create --user ann --scope team:payments && penny serve --port 8000
    """
    import uvicorn

    from assistant.interfaces import slack_schedule  # noqa: F401  (registers the notice jobs)
    from assistant.interfaces.api import create_app
    from assistant.service.runtime import start_service

    settings = load_settings()
    application = create_app(settings, engine=_engine(engine))
    service = start_service(settings)
    application.state.service = service
    # the audit trail (who asked, which tools ran) goes to stderr beside uvicorn's access log
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("penny.audit").setLevel(logging.INFO)
    bind_host, bind_port = host or settings.server.host, port or settings.server.port
    typer.echo(f"Penny on http://{bind_host}:{bind_port}/ (API docs at /docs)", err=True)
    if not settings.server.tokens:
        typer.echo(
            "No API tokens configured: every /v1 request will get 401. "
            "Create one with `penny token create --user NAME --save`.",
            err=True,
        )
    try:
        uvicorn.run(application, host=bind_host, port=bind_port, log_level="info")
    finally:
        service.stop()


@token_app.command("create")
def token_create(
    user: str = typer.Option(
        ..., "--user", "-u", help="Who the token belongs to (audit, AI spend attribution)."
    ),
    scope: list[str] = typer.Option(
        ["*"], "--scope", "-s", help="'*' (everything), team:NAME or ns:NAME; repeatable."
    ),
    rate: int = typer.Option(60, "--rate", min=1, help="Requests per minute."),
    save: bool = typer.Option(
        False,
        "--save",
        help="Also add the entry to the config file "
        "(PENNY_CONFIG, else $PENNY_HOME/config.yaml; created if missing).",
    ),
) -> None:
    """Print a new token once, and the config entry that stores only its sha256.

    Example: penny token create --user ann --scope team:payments --scope ns:checkout
    """
    from assistant.interfaces.auth import hash_token, new_token

    if not user.strip():
        raise typer.BadParameter("must not be empty.", param_hint="--user")
    for item in scope:
        if not _SCOPE_ITEM.match(item):
            raise typer.BadParameter(
                f"{item!r} is not '*', team:NAME or ns:NAME.", param_hint="--scope"
            )
    token = new_token()
    if save:
        from assistant.interfaces.token_config import config_file_for_save, save_token_entry

        path = config_file_for_save()
        save_token_entry(
            path,
            {
                "sha256": hash_token(token),
                "user": user.strip(),
                "scope": list(scope),
                "rate_per_minute": rate,
            },
        )
        typer.echo(f"Token (shown once, keep it secret): {token}")
        typer.echo(
            f"Saved its sha256 for user {user.strip()!r} in {path}; restart "
            "`penny serve` to use it."
        )
        return
    scopes = ", ".join(f'"{s}"' for s in scope)
    typer.echo(f"Token (shown once, keep it secret): {token}")
    typer.echo("Add to your config (server.tokens), or run again with --save:")
    typer.echo(
        f"  - sha256: {hash_token(token)}\n    user: {user}\n"
        f"    scope: [{scopes}]\n    rate_per_minute: {rate}"
    )
