"""`penny slack`: the app manifest for one-paste set-up, and the bot over Socket Mode."""

from __future__ import annotations

import logging

import typer

from assistant.cli.app import app
from assistant.cli.options import one_of
from assistant.config import load_settings
from assistant.errors import ConfigError

slack_app = typer.Typer(
    help="The Slack bot: `penny slack manifest` to create the app, `--socket` to run it "
    "without a public URL (HTTP mode runs inside `penny serve`).",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(slack_app, name="slack", rich_help_panel="Servers")


@slack_app.callback()
def slack_cmd(
    ctx: typer.Context,
    socket: bool = typer.Option(
        False, "--socket", help="Socket Mode (needs slack.app_token); no public URL."
    ),
    engine: str = typer.Option("auto", "--engine", help="auto | offline | llm"),
) -> None:
    """Run the Slack bot over Socket Mode; HTTP mode is part of `penny serve` (/slack/events)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    if not socket:
        raise ConfigError(
            "In HTTP mode the Slack bot runs inside `penny serve`, at /slack/events.",
            hint="Run `penny serve`, or `penny slack --socket` for Socket Mode; "
            "`penny slack manifest --url https://…` prints the app manifest.",
        )
    one_of(engine, ("auto", "offline", "llm"), "--engine")
    if settings.slack.app_token is None:
        raise ConfigError(
            "Socket Mode needs an app-level token.",
            hint="Set slack.app_token (PENNY_SLACK__APP_TOKEN or SLACK_APP_TOKEN=xapp-…).",
        )
    from assistant.interfaces.slack_app import SlackBot

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    bot = SlackBot(settings, engine=engine)
    typer.echo(
        "Penny is connecting to Slack over Socket Mode (retrying with backoff while Slack "
        "cannot be reached)…",
        err=True,
    )
    bot.run_socket_mode()


@slack_app.command("manifest")
def manifest_cmd(
    url: str | None = typer.Option(
        None,
        "--url",
        help="Public https URL of `penny serve` (default slack.public_url); Slack posts "
        "events, /penny and button presses to URL/slack/events.",
    ),
    socket: bool = typer.Option(False, "--socket", help="A Socket Mode app (no URL)."),
    name: str = typer.Option("Penny", "--name", help="The app's name in Slack."),
) -> None:
    """Print the Slack app manifest (YAML): paste it at api.slack.com/apps → Create New App
    → From a manifest.

    Example: penny slack manifest --url https://penny.example.com
    """
    from assistant.interfaces.slack_manifest import manifest_yaml

    settings = load_settings()
    typer.echo(manifest_yaml(url or settings.slack.public_url, socket=socket, name=name), nl=False)
