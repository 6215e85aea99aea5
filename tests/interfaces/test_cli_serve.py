"""`penny serve` / `penny slack` refuse bad invocations with a clear message, no server."""

from __future__ import annotations

import pytest

from assistant.cli import main


def test_slack_without_socket_points_to_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack"]) == 1
    err = capsys.readouterr().err
    assert "In HTTP mode the Slack bot runs inside `penny serve`" in err
    assert "penny slack --socket" in err


def test_socket_mode_needs_an_app_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENNY_SLACK__BOT_TOKEN", "xoxb-test")
    assert main(["slack", "--socket"]) == 1
    assert "Socket Mode needs an app-level token." in capsys.readouterr().err
    # an unreachable API is retried with backoff, not fatal: test_slack_setup.py


def test_serve_rejects_an_unknown_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--engine", "gpt"]) == 2
    assert "'gpt' is not auto, offline or llm." in capsys.readouterr().err
