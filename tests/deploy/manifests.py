"""Rendering the Kustomize base and overlays with the real `kubectl kustomize`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, require_binary

KUSTOMIZE = REPO / "deploy" / "kubernetes"
TARGETS = {
    "base": KUSTOMIZE,
    "in-cluster-prometheus": KUSTOMIZE / "overlays" / "in-cluster-prometheus",
    "slack": KUSTOMIZE / "overlays" / "slack",
}


def render(target: Path) -> list[dict[str, Any]]:
    kubectl = require_binary("kubectl")
    out = subprocess.run(
        [kubectl, "kustomize", str(target)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]
