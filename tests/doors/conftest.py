"""Every door to Penny, over one private copy of the demo warehouse.

A *door* is one way in: the core call itself, the CLI, the HTTP API, the agent's tool
registry, the LangChain tool, Slack, MCP and the OpenCost-compatible API. The fixtures
here run the real thing for each (Typer's runner, uvicorn on loopback with Bolt posting
to a local Slack Web API stub, the official MCP client over streamable HTTP) and the
helpers read each door's answer back into plain ``{name: Decimal}`` mappings, so the
tests in this package can ask one question through every door and compare.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from assistant.capabilities.context import Ctx
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.interfaces.api import create_app
from assistant.interfaces.auth import hash_token
from assistant.interfaces.live_server import LiveServer
from tests.demo_warehouse import SMALL_END, demo_copy
from tests.interfaces.slack_stub import SlackStub

NOW = datetime(2026, 11, 20)
CENT = Decimal("0.01")
SECRET = "doors-signing-secret-0123456789ab"


@dataclass(frozen=True)
class Who:
    """One asker, as each door spells them: a scope, a bearer token, a Slack user."""

    name: str
    scope: Scope
    token: str
    slack_user: str


ADMIN = Who("admin", Scope.everything("ada"), "pny_doors-admin", "UADMIN")
PAYMENTS = Who("payments", Scope.from_list(["team:payments"], "pat"), "pny_doors-pay", "UPAY")
ASKERS = {w.name: w for w in (ADMIN, PAYMENTS)}


def cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@dataclass
class Penny:
    """The demo behind every door, served once for the module."""

    home: Path
    settings: Settings
    url: str
    slack: SlackStub

    def ctx(self, who: Who) -> Ctx:
        return Ctx.create(self.settings, who.scope)

    # -- doors -------------------------------------------------------------------------

    def cli(self, *args: str) -> Any:
        """`penny …` in-process (Typer's runner); JSON on stdout. The CLI has no identity:
        it reads the warehouse files directly, as their owner."""
        from assistant.cli import _load_commands, app

        _load_commands([args[0]])
        env = {"PENNY_HOME": str(self.home), "PENNY_NOW": NOW.isoformat()}
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def http(self, path: str, who: Who, **params: Any) -> httpx.Response:
        return httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {who.token}"},
            timeout=120,
        )

    def tool(self, name: str, args: dict[str, Any], who: Who) -> dict[str, Any]:
        from tools.registry import call

        result, _ = call(name, args, self.ctx(who))
        return result.to_json()

    def langchain(self, name: str, args: dict[str, Any], who: Who) -> dict[str, Any]:
        from assistant.agent.langchain_tools import ToolRecorder, build_tools

        recorder = ToolRecorder()
        (tool,) = [t for t in build_tools(self.ctx(who), recorder) if t.name == name]
        out = tool.invoke(args)
        body = out.split("\n", 1)[1].rsplit("\n", 1)[0]  # inside the <tool_output> envelope
        payload: dict[str, Any] = json.loads(body)
        assert payload == recorder.calls[-1].result
        return payload

    def mcp(self, who: Who, method: str, *args: Any) -> Any:
        async def main() -> Any:
            headers = {"Authorization": f"Bearer {who.token}"}
            async with (
                httpx2.AsyncClient(headers=headers, timeout=120) as http,
                Client(streamable_http_client(f"{self.url}/mcp", http_client=http)) as client,
            ):
                return await getattr(client, method)(*args)

        return anyio.run(main)

    def mcp_tool(self, name: str, args: dict[str, Any], who: Who) -> dict[str, Any]:
        result = self.mcp(who, "call_tool", name, args)
        payload: dict[str, Any] = result.structured_content
        assert result.is_error == (not payload["ok"])
        return payload

    def ask_slack(self, question: str, who: Who) -> str:
        """Mention Penny in a channel as ``who``; the text of the answer she posts."""
        before = len(self.slack.named("chat.update"))
        ts = f"{time.time():.6f}"
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": f"Ev{ts}",
                "event_time": 1790000000,
                "event": {
                    "type": "app_mention",
                    "user": who.slack_user,
                    "text": f"<@UPENNY> {question}",
                    "ts": ts,
                    "channel": "C1",
                    "event_ts": ts,
                },
            }
        )
        stamp = str(int(time.time()))
        digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
        r = httpx.post(
            f"{self.url}/slack/events",
            content=body.encode(),
            headers={
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": f"v0={digest.hexdigest()}",
            },
            timeout=30,
        )
        assert r.status_code == 200
        update = self.slack.wait_for("chat.update", before + 1)[before]
        return "\n".join(
            b["text"]["text"] for b in update.body["blocks"] if b.get("type") == "section"
        )


_ROW = re.compile(r"^\s*(?:\d+\s+)?(?P<name>\S.*?)\s+(?P<amount>-?\$-?[\d,]+\.\d\d)\s*$")
_SLACK_NAMES = {"idle (unused capacity)": "__idle__", "unallocated": "__unallocated__"}


def slack_table(text: str) -> dict[str, Decimal]:
    """The rows of the preformatted table in a Slack answer: {name: amount}."""
    match = re.search(r"```(.*?)```", text, re.S)
    assert match, text
    rows = {}
    for line in match.group(1).splitlines()[1:]:
        row = _ROW.match(line)
        if row:
            name = _SLACK_NAMES.get(row["name"], row["name"])
            rows[name] = Decimal(row["amount"].replace("$", "").replace(",", ""))
    return rows


@pytest.fixture(scope="package")
def penny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Penny]:
    home = demo_copy(tmp_path_factory, "doors", SMALL_END)
    stub = SlackStub()
    settings = load_settings(
        home=home,
        now=NOW,
        server={
            "tokens": [
                # every door of every capability from one token within a minute: the
                # default 60 a minute is a limit for people, not for this suite
                {
                    "sha256": hash_token(w.token),
                    "user": w.scope.user,
                    "scope": s,
                    "rate_per_minute": 100_000,
                }
                for w, s in ((ADMIN, ["*"]), (PAYMENTS, ["team:payments"]))
            ]
        },
        slack={
            "bot_token": "xoxb-doors",
            "signing_secret": SECRET,
            "api_url": stub.api_url,
            "default_scope": ["*"],
            "users": {PAYMENTS.slack_user: ["team:payments"]},
        },
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        yield Penny(home, settings, server.url, stub)
    stub.close()
