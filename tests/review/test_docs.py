"""docs/review.md: the GitHub Actions example is valid YAML and runs `penny review`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "review.md"


def test_workflow_example_is_valid_yaml() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    workflow = yaml.safe_load(blocks[0])
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on"
    assert workflow.get(True, workflow.get("on")) == {"pull_request": {"paths": ["deploy/**"]}}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["penny-review"]["steps"]
    runs = " ".join(str(s.get("run", "")) for s in steps)
    assert "penny review rendered/base rendered/head" in runs and "--fail-above 500" in runs
    assert "helm template" in runs and "gh pr comment" in runs
    refs = [s.get("with", {}).get("ref") for s in steps if s.get("uses") == "actions/checkout@v4"]
    assert refs == [None, "${{ github.event.pull_request.base.sha }}"]


def test_exit_codes_documented_match_the_cli() -> None:
    from assistant.cli.cmd_review import EXIT_OVER_BUDGET

    text = DOC.read_text(encoding="utf-8")
    assert f"| {EXIT_OVER_BUDGET} | `--fail-above USD`" in text
