"""The Dockerfile's properties, read from the file (no Docker daemon here to build it):
multi-stage, a slim final base, a non-root numeric user, no build tools in the final stage,
and `penny serve` as the default command."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO

TEXT = (REPO / "Dockerfile").read_text(encoding="utf-8")


def _stages() -> list[list[str]]:
    """Instructions per stage, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", TEXT)
    stages: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_multi_stage_with_a_slim_final_image() -> None:
    stages = _stages()
    assert len(stages) == 2
    assert re.match(r"FROM python:3\.\d+-slim AS runtime$", stages[-1][0])
    assert any(i == "COPY --from=build /opt/penny /opt/penny" for i in stages[-1])


def test_no_build_tools_in_the_final_stage() -> None:
    build, final = _stages()
    assert any("build-essential" in i for i in build)
    for instruction in final:
        assert not re.search(r"build-essential|gcc|g\+\+|make |apt-get install", instruction)
        assert not instruction.startswith("COPY . ")  # no source tree


def test_runs_as_a_non_root_numeric_user_and_serves() -> None:
    final = _stages()[-1]
    users = [i.split()[1] for i in final if i.startswith("USER ")]
    assert users and users[-1] == "10001:10001"
    entry = next(i for i in final if i.startswith("ENTRYPOINT "))
    cmd = next(i for i in final if i.startswith("CMD "))
    assert json.loads(entry.removeprefix("ENTRYPOINT ")) == ["penny"]
    assert json.loads(cmd.removeprefix("CMD ")) == ["serve"]
    assert any(i.startswith("HEALTHCHECK ") and "/healthz" in i for i in final)
    assert "PENNY_HOME=/var/lib/penny" in " ".join(final)
