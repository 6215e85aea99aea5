"""Shared fixtures: every test gets its own PENNY_HOME and no external credentials."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["tests.object_stores"]

_EXTERNAL_VARS = [
    "PENNY_MODEL",
    "PENNY_CONFIG",
    "PENNY_DB",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "KUBECONFIG",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AZURE_STORAGE_CONNECTION_STRING",
    "STORAGE_EMULATOR_HOST",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_TRACING_V2",
]

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def penny_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point Penny at a fresh home and strip every credential from the environment."""
    for var in list(os.environ):
        if var.startswith("PENNY_") or var in _EXTERNAL_VARS:
            monkeypatch.delenv(var, raising=False)
    home = tmp_path / "penny-home"
    home.mkdir()
    monkeypatch.setenv("PENNY_HOME", str(home))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    return home


def require_binary(name: str) -> str:
    """A test needing a real service binary: skip locally if absent, fail in CI."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; .ci/run must install it")
    pytest.skip(f"{name} not installed")


@pytest.fixture
def focus_sample() -> Path:
    path = SHARED_DATA / "focus-sample" / "focus_sample.csv"
    if not path.exists():
        pytest.skip("../shared/data/focus-sample is not beside the repo")
    return path
