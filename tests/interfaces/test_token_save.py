"""`penny token create --save`: the token works with no hand edit; a failed save changes
nothing in the user's config file."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.interfaces.auth import authenticate

_TOKEN_RE = re.compile(r"Token \(shown once, keep it secret\): (pny_\S+)")


def _create(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["token", "create", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_save_creates_the_config_and_the_printed_token_authenticates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _create(
        capsys, "--user", "ann", "--scope", "team:payments", "--rate", "5", "--save"
    )
    assert code == 0
    token = _TOKEN_RE.search(out)[1]  # type: ignore[index]
    path = Path(os.environ["PENNY_HOME"]) / "config.yaml"
    assert f"in {path}" in out
    assert path.stat().st_mode & 0o077 == 0  # a new file is private to its owner
    assert token not in path.read_text()  # only the hash is stored
    settings = load_settings()
    (entry,) = settings.server.tokens
    assert entry.sha256 == hashlib.sha256(token.encode()).hexdigest()
    principal = authenticate(settings, f"Bearer {token}")
    assert (principal.user, principal.scope.teams, principal.rate_per_minute) == (
        "ann",
        ["payments"],
        5,
    )


def test_a_second_save_appends_and_keeps_other_settings(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(os.environ["PENNY_HOME"]) / "config.yaml"
    path.write_text("server:\n  port: 8123\n", encoding="utf-8")
    assert _create(capsys, "--user", "ann", "--save")[0] == 0
    assert _create(capsys, "--user", "bob", "--scope", "ns:checkout", "--save")[0] == 0
    settings = load_settings()
    assert settings.server.port == 8123
    assert [t.user for t in settings.server.tokens] == ["ann", "bob"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("config.yaml", "# ours\nserver:\n  port: 8123\n", "has comments, which rewriting it"),
        ("penny.toml", "[server]\nport = 8123\n", "is TOML, which Penny does not rewrite"),
        ("config.yaml", "server: 3\n", "'server' must be a mapping"),
    ],
)
def test_a_save_that_cannot_be_done_leaves_the_file_as_it_was(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str,
    message: str,
) -> None:
    path = Path(os.environ["PENNY_HOME"]) / name
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PENNY_CONFIG", str(path))
    code, out, err = _create(capsys, "--user", "ann", "--save")
    assert code == 1
    assert message in err
    assert "pny_" not in out  # no token shown for a failed save
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".config-")) == []


def test_without_save_nothing_is_written(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _create(capsys, "--user", "ann")
    assert code == 0
    assert "or run again with --save" in out
    assert not (Path(os.environ["PENNY_HOME"]) / "config.yaml").exists()
