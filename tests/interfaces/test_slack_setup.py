"""Setting Slack up and living with it being down: the app manifest, Bolt's environment
names, and a Slack API that cannot be reached (or answers 503) when `penny serve` starts.

The manifest is checked against a JSON Schema written here from Slack's manifest
reference (docs.slack.dev/reference/app-manifest: required fields, lengths, https request
URLs), against what the bot registers with Bolt, and — in test_slack.py — against every
Web API method the bot calls. The outage is the loopback Slack stub answering an HTML 503
page, or a port where nothing listens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from assistant.cli import main
from assistant.config import Settings, load_settings
from assistant.errors import ConfigError
from assistant.interfaces.api import create_app
from assistant.interfaces.slack_app import SlackBot
from assistant.interfaces.slack_health import SlackHealth, backoff_delays, keep_connected
from assistant.interfaces.slack_manifest import (
    EVENT_SUBSCRIPTIONS,
    SCOPES_BY_EVENT,
    manifest,
)
from tests.interfaces.conftest import ADMIN_TOKEN, SIGNING_SECRET, LiveServer, auth, tokens
from tests.interfaces.slack_stub import SlackStub

URL = "https://penny.example.com"

_TEXT = {"type": "string", "minLength": 1}
_HTTPS = {"type": "string", "pattern": r"^https://[^\s/]+/\S*$"}
#: the parts of Slack's manifest schema Penny's manifest uses, with Slack's limits
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["display_information", "features", "oauth_config", "settings"],
    "additionalProperties": False,
    "properties": {
        "_metadata": {
            "type": "object",
            "properties": {"major_version": {"enum": [1, 2]}, "minor_version": {"type": "integer"}},
        },
        "display_information": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 35},
                "description": {"type": "string", "maxLength": 140},
                "long_description": {"type": "string", "minLength": 174, "maxLength": 4000},
                "background_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            },
        },
        "features": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "app_home": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        k: {"type": "boolean"}
                        for k in (
                            "home_tab_enabled",
                            "messages_tab_enabled",
                            "messages_tab_read_only_enabled",
                        )
                    },
                },
                "bot_user": {
                    "type": "object",
                    "required": ["display_name"],
                    "additionalProperties": False,
                    "properties": {
                        "display_name": {
                            "type": "string",
                            "pattern": r"^[a-z0-9._-]{1,80}$",
                        },
                        "always_online": {"type": "boolean"},
                    },
                },
                "slash_commands": {
                    "type": "array",
                    "maxItems": 50,
                    "items": {
                        "type": "object",
                        "required": ["command", "description"],
                        "additionalProperties": False,
                        "properties": {
                            "command": {"type": "string", "pattern": r"^/[a-z0-9_-]{1,31}$"},
                            "description": {"type": "string", "minLength": 1, "maxLength": 2000},
                            "usage_hint": {"type": "string", "maxLength": 1000},
                            "should_escape": {"type": "boolean"},
                            "url": _HTTPS,
                        },
                    },
                },
            },
        },
        "oauth_config": {
            "type": "object",
            "required": ["scopes"],
            "properties": {
                "scopes": {
                    "type": "object",
                    "properties": {
                        "bot": {
                            "type": "array",
                            "uniqueItems": True,
                            "maxItems": 255,
                            "items": {"type": "string", "pattern": r"^[a-z_]+(:[a-z_.]+)*$"},
                        }
                    },
                }
            },
        },
        "settings": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "event_subscriptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "request_url": _HTTPS,
                        "bot_events": {
                            "type": "array",
                            "uniqueItems": True,
                            "maxItems": 100,
                            "items": {"type": "string", "pattern": r"^[a-z_]+(\.[a-z_]+)?$"},
                        },
                    },
                },
                "interactivity": {
                    "type": "object",
                    "required": ["is_enabled"],
                    "additionalProperties": False,
                    "properties": {"is_enabled": {"type": "boolean"}, "request_url": _HTTPS},
                },
                "org_deploy_enabled": {"type": "boolean"},
                "socket_mode_enabled": {"type": "boolean"},
                "token_rotation_enabled": {"type": "boolean"},
            },
        },
    },
}


def _bot_settings(**slack: Any) -> Settings:
    return load_settings(
        slack={"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET, **slack}
    )


def test_manifest_command_prints_valid_yaml_with_one_url_for_everything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["slack", "manifest", "--url", URL + "/"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Slack app manifest for Penny")
    doc = yaml.safe_load(out)
    jsonschema.validate(doc, MANIFEST_SCHEMA)
    events_url = "https://penny.example.com/slack/events"
    settings = doc["settings"]
    assert settings["event_subscriptions"]["request_url"] == events_url
    assert settings["interactivity"] == {"is_enabled": True, "request_url": events_url}
    assert doc["features"]["slash_commands"][0]["url"] == events_url
    assert settings["socket_mode_enabled"] is False
    # DMs reach the bot only with the messages tab on and writable
    assert doc["features"]["app_home"]["messages_tab_enabled"] is True
    assert doc["features"]["app_home"]["messages_tab_read_only_enabled"] is False


def test_manifest_matches_what_the_bot_registers() -> None:
    bot = SlackBot(_bot_settings())  # building the bot calls nothing
    doc = manifest(URL)
    events = doc["settings"]["event_subscriptions"]["bot_events"]
    # every subscribed event comes from a registered listener, and every listener's events
    # are subscribed: app_mention, and message only as message.im (DMs)
    assert sorted(bot.registered["events"]) == sorted({e for e, _ in EVENT_SUBSCRIPTIONS})
    assert sorted(events) == sorted(EVENT_SUBSCRIPTIONS.values()) == ["app_mention", "message.im"]
    assert [c["command"] for c in doc["features"]["slash_commands"]] == bot.registered["commands"]
    assert bot.registered["actions"] == ["penny_draft_patch", "penny_why"]
    assert doc["settings"]["interactivity"]["is_enabled"] is True  # buttons need it
    scopes = set(doc["oauth_config"]["scopes"]["bot"])
    assert {SCOPES_BY_EVENT[e] for e in events} | {"commands"} <= scopes
    assert bot.health.state == "connecting" and bot.health.to_dict()["attempts"] == 0


def test_socket_mode_manifest_has_no_urls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack", "manifest", "--socket"]) == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    jsonschema.validate(doc, MANIFEST_SCHEMA)
    assert doc["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in doc["settings"]["event_subscriptions"]
    assert doc["settings"]["interactivity"] == {"is_enabled": True}
    assert "url" not in doc["features"]["slash_commands"][0]


def test_manifest_url_comes_from_settings_and_bad_urls_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["slack", "manifest"]) == 1
    assert "needs the public https URL" in capsys.readouterr().err
    assert main(["slack", "manifest", "--url", "http://penny.example.com"]) == 1
    err = capsys.readouterr().err
    assert "'http://penny.example.com' is not an https URL" in err
    assert main(["slack", "manifest", "--url", URL, "--name", "x" * 36]) == 1
    assert "is not a usable app name" in capsys.readouterr().err
    monkeypatch.setenv("PENNY_SLACK__PUBLIC_URL", "https://costs.example.org/penny")
    assert main(["slack", "manifest"]) == 0
    doc = yaml.safe_load(capsys.readouterr().out)
    url = "https://costs.example.org/penny/slack/events"
    assert doc["settings"]["event_subscriptions"]["request_url"] == url


def test_bolt_environment_names_are_aliases_below_pennys_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-bolt")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "bolt-secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-bolt")
    s = load_settings()
    assert s.slack.bot_token is not None and s.slack.bot_token.get_secret_value() == "xoxb-bolt"
    assert s.slack.signing_secret is not None
    assert s.slack.signing_secret.get_secret_value() == "bolt-secret"
    assert s.slack.app_token is not None and s.slack.app_token.get_secret_value() == "xapp-bolt"
    # Penny's own name wins when both are set; the rest of the section is unaffected
    monkeypatch.setenv("PENNY_SLACK__BOT_TOKEN", "xoxb-penny")
    s = load_settings(slack={"default_scope": ["team:payments"]})
    assert s.slack.bot_token is not None and s.slack.bot_token.get_secret_value() == "xoxb-penny"
    assert s.slack.app_token is not None and s.slack.app_token.get_secret_value() == "xapp-bolt"
    assert s.slack.default_scope == ["team:payments"]


def test_bolt_names_alone_mount_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set, /slack/events answers a
    request signed with that secret (Slack's URL verification) and refuses a forged one."""
    import hashlib
    import hmac
    import json

    stub = SlackStub()
    try:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-bolt")
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "bolt-secret")
        monkeypatch.setenv("PENNY_SLACK__API_URL", stub.api_url)
        with LiveServer(create_app(load_settings(), engine="offline")) as server:
            body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
            stamp = str(int(time.time()))

            def signed(secret: str) -> dict[str, str]:
                mac = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
                return {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": f"v0={mac.hexdigest()}",
                }

            ok = httpx.post(
                f"{server.url}/slack/events", content=body, headers=signed("bolt-secret")
            )
            assert (ok.status_code, ok.json()) == (200, {"challenge": "abc123"})
            forged = httpx.post(f"{server.url}/slack/events", content=body, headers=signed("x"))
            assert forged.status_code == 401
            assert httpx.get(f"{server.url}/healthz").json()["slack"] in ("connecting", "ok")
    finally:
        stub.close()


def test_backoff_doubles_from_the_first_wait_up_to_the_cap() -> None:
    delays = backoff_delays(2.0, 30.0)
    assert [next(delays) for _ in range(7)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    capped = backoff_delays(50.0, 10.0)
    assert [next(capped) for _ in range(2)] == [10.0, 10.0]


def test_keep_connected_records_each_failure_then_the_success() -> None:
    replies: list[Any] = [OSError("connection refused"), OSError("timed out"), {"team": "T1"}]
    health, stop = SlackHealth(), threading.Event()

    def check() -> Any:
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return {"ok": True, "user_id": "UPENNY", "user": "penny", **reply}

    keep_connected(check, health, stop, initial_s=0.01, max_s=0.02)
    state = health.to_dict()
    assert (state["state"], state["attempts"], state["team"], state["bot_user"]) == (
        "ok",
        3,
        "T1",
        "UPENNY",
    )
    assert state["last_error"] == "Cannot reach the Slack API: timed out"
    assert health.connected.is_set() and replies == []


@pytest.fixture
def outage(demo_settings: Settings) -> Iterator[tuple[SlackStub, str, Settings]]:
    """`penny serve` started while the Slack API answers 503 to everything."""
    stub = SlackStub()
    stub.outage(503)
    settings = load_settings(
        home=demo_settings.home,
        now=demo_settings.now,
        server={"tokens": tokens()},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": stub.api_url,
            "retry_initial_s": 0.05,
            "retry_max_s": 0.2,
        },
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        yield stub, server.url, settings
    stub.close()


def _wait(url: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = httpx.get(f"{url}/readyz").json()
        if body["components"]["slack"]["state"] == state or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


@pytest.mark.slow
def test_slack_503_at_start_leaves_web_and_api_serving_and_shows_degraded(
    outage: tuple[SlackStub, str, Settings],
) -> None:
    stub, url, _ = outage
    ready = _wait(url, "degraded")
    slack = ready["components"]["slack"]
    assert (ready["status"], ready["degraded"]) == ("degraded", ["slack"])
    assert slack["last_error"] == "Slack API answered HTTP 503"
    assert slack["attempts"] >= 1 and 0.05 <= slack["next_retry_s"] <= 0.2
    health = httpx.get(f"{url}/healthz")
    assert (health.status_code, health.json()["ok"], health.json()["slack"]) == (
        200,
        True,
        "degraded",
    )
    # readiness stays 200 (a Slack outage must not take the API out of a load balancer),
    # unless a probe asks for Slack itself
    assert httpx.get(f"{url}/readyz").status_code == 200
    strict = httpx.get(f"{url}/readyz", params={"require": "slack"})
    assert (strict.status_code, strict.json()["failing"]) == (503, ["slack"])
    assert httpx.get(f"{url}/").status_code == 200
    status = httpx.get(f"{url}/v1/status", headers=auth(ADMIN_TOKEN)).json()
    assert status["slack"]["state"] == "degraded"
    assert status["slack"]["last_error"] == "Slack API answered HTTP 503"
    costs = httpx.get(
        f"{url}/v1/costs", params={"window": "2026-10", "by": "team"}, headers=auth(ADMIN_TOKEN)
    )
    assert costs.status_code == 200 and costs.json()["totals"]["total"]
    # it keeps retrying with backoff: several failed auth.test calls, then Slack recovers
    assert len(stub.named("auth.test!503")) >= 2
    stub.outage(None)
    ready = _wait(url, "ok")
    assert ready["status"] == "ok" and ready["components"]["slack"]["team"] == "T1"
    assert httpx.get(f"{url}/readyz", params={"require": "slack"}).status_code == 200
    attempts = ready["components"]["slack"]["attempts"]
    time.sleep(0.5)  # connected: no more auth.test calls
    assert _wait(url, "ok")["components"]["slack"]["attempts"] == attempts


@pytest.mark.slow
def test_unreachable_slack_api_at_start_is_degraded_not_fatal(demo_settings: Settings) -> None:
    settings = load_settings(
        home=demo_settings.home,
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SIGNING_SECRET,
            "api_url": "http://127.0.0.1:9/api/",  # discard port: nothing listens
            "retry_initial_s": 0.05,
            "retry_max_s": 0.1,
        },
    )
    with LiveServer(create_app(settings, engine="offline")) as server:
        ready = _wait(server.url, "degraded")
        error = ready["components"]["slack"]["last_error"]
        assert error.startswith("Cannot reach the Slack API:") and "refused" in error.lower()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        unknown = httpx.get(f"{server.url}/readyz", params={"require": "kafka"})
        assert unknown.status_code == 400 and "No component 'kafka'" in unknown.text


def test_socket_mode_retries_while_slack_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = SlackStub()
    stub.outage(503)
    try:
        bot = SlackBot(
            _bot_settings(
                app_token="xapp-test", api_url=stub.api_url, retry_initial_s=0.02, retry_max_s=0.05
            )
        )
        runner = threading.Thread(target=bot.run_socket_mode, daemon=True)
        runner.start()
        stub.wait_for("apps.connections.open!503", 3, timeout=30)
        assert bot.health.state == "degraded" and runner.is_alive()
        bot.stop()
        runner.join(timeout=10)
        assert not runner.is_alive()
    finally:
        stub.close()


def test_slack_without_socket_points_to_serve_and_the_manifest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["slack"]) == 1
    err = " ".join(capsys.readouterr().err.split())  # Rich wraps at the terminal width
    assert "In HTTP mode the Slack bot runs inside `penny serve`" in err
    assert "`penny slack manifest --url https://…` prints the app manifest" in err


def test_channel_settings_are_checked(penny_env: object) -> None:
    with pytest.raises(ConfigError, match=r"'#finops' is not a Slack channel id"):
        load_settings(slack={"channels": {"#finops": ["*"]}})
    with pytest.raises(ConfigError, match=r"'squad:x' is not '\*', 'team:NAME'"):
        load_settings(slack={"channels": {"C0FINOPS": ["squad:x"]}})
    with pytest.raises(ConfigError, match=r"slack.digest.channels names C0OTHER"):
        load_settings(slack={"channels": {"C0FINOPS": ["*"]}, "digest": {"channels": ["C0OTHER"]}})
    with pytest.raises(ConfigError, match=r"threshold 0 must be a percent"):
        load_settings(slack={"budget_alerts": {"thresholds": [0, 50]}})


def test_docs_slack_starts_with_the_manifest_the_command_prints() -> None:
    from assistant.interfaces.slack_manifest import manifest_yaml
    from tests.conftest import REPO

    doc = (REPO / "docs" / "slack.md").read_text(encoding="utf-8")
    first_section = doc.split("\n## ", 2)[1]
    assert first_section.startswith("Set-up in one paste")
    block = first_section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == manifest_yaml(URL)
