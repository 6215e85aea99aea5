"""Drafts applied for real: the diff applies with `patch`, kustomize builds the patch,
and in every round trip only the resource fields change."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import InputError, NotFound
from assistant.rightsizing.drafts import draft_change
from assistant.rightsizing.manifests import format_cpu, format_memory
from assistant.rightsizing.recommend import Recommendation, recommend
from tests.conftest import require_binary
from tests.rightsizing.rs_fixtures import MIB, Warehouse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"


def plant(wh: Warehouse) -> None:
    wh.node("n1", hours=24)
    for pod in ("api-7d9-a", "api-7d9-b"):
        wh.pod("shop", pod, "Deployment", "api")
        wh.container_series(
            "shop",
            pod,
            "api",
            cpu_max=[0.2] * 24,
            ram_max=[300 * MIB] * 23 + [400 * MIB],
            cpu_limit=2.0,
            oom={5: 1} if pod.endswith("a") else None,
            ram_request=256 * MIB,
            ram_limit=300 * MIB,
        )
    wh.pod("batch", "report-1", "CronJob", "report")
    wh.container_series(
        "batch",
        "report-1",
        "main",
        cpu_max=[0.5] * 24,
        ram_max=[200 * MIB] * 24,
        cpu_request=None,
        ram_request=None,
        ram_limit=None,
    )
    wh.pod("front", "web-1", "Deployment", "web")
    wh.container_series(
        "front",
        "web-1",
        "web",
        cpu_max=[0.3] * 24,
        ram_max=[500 * MIB] * 24,
        cpu_request=2.0,
        ram_request=2048 * MIB,
    )


def rec_for(wh: Warehouse, settings: Settings, name: str) -> Recommendation:
    recs = recommend(wh.con, scope=Scope.everything(), settings=settings)
    return next(r for r in recs if r.name == name)


def strip_resources(doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            node.pop("resources", None)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return doc


def load_all(text: str) -> list[Any]:
    return [d for d in YAML(typ="safe").load_all(text) if d is not None]


def test_quantities() -> None:
    assert (format_cpu(0.229), format_cpu(2.0), format_cpu(1.5)) == ("229m", "2", "1500m")
    assert (format_memory(460 * MIB), format_memory(2048 * MIB)) == ("460Mi", "2Gi")


def test_strategic_merge_patch_and_kubectl(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    draft = draft_change(rec_for(wh, settings, "api"), fmt="patch")
    # OOM at a 300 Mi limit: max(400 Mi × 1.15 = 460 Mi, 300 Mi × 1.2 = 360 Mi) = 460 Mi
    assert draft.patch == {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "api",
                            "resources": {
                                "requests": {"cpu": "200m", "memory": "460Mi"},
                                "limits": {"memory": "460Mi", "cpu": None},
                            },
                        }
                    ]
                }
            }
        }
    }
    assert draft.patch_type == "strategic"
    assert draft.kubectl_command.startswith(
        'kubectl patch deployment api -n shop --type strategic -p \'{"spec"'
    )
    assert "limits:\n" in draft.patch_yaml and "cpu: null" in draft.patch_yaml
    assert draft.resize_commands[0].startswith(
        "kubectl patch pod api-7d9-a -n shop --subresource resize --patch"
    )
    body = json.loads(draft.resize_commands[0].split("--patch ")[1].strip("'"))
    # a resize cannot drop a limit (QoS class is fixed), so the null is left out
    assert body["spec"]["containers"][0]["resources"]["limits"] == {"memory": "460Mi"}
    assert "kubectl patch deployment api" in draft.text


def test_diff_applies_with_patch_and_changes_only_resources(
    wh: Warehouse, settings: Settings, tmp_path: Path
) -> None:
    patch_bin = require_binary("patch")
    plant(wh)
    tree = tmp_path / "repo"
    shutil.copytree(FIXTURES, tree)
    before = (tree / "shop" / "api.yaml").read_text()
    draft = draft_change(rec_for(wh, settings, "api"), fmt="diff", manifests_dir=tree)
    assert draft.text == draft.diff
    assert draft.diff.startswith("--- a/shop/api.yaml\n+++ b/shop/api.yaml\n")
    subprocess.run(
        [patch_bin, "-p1", "--forward"],
        input=draft.diff,
        text=True,
        cwd=tree,
        check=True,
        capture_output=True,
    )
    after = (tree / "shop" / "api.yaml").read_text()
    old_docs, new_docs = load_all(before), load_all(after)
    assert [strip_resources(d) for d in new_docs] == [strip_resources(d) for d in old_docs]
    api = new_docs[1]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert api == {"requests": {"cpu": "200m", "memory": "460Mi"}, "limits": {"memory": "460Mi"}}
    envoy = new_docs[1]["spec"]["template"]["spec"]["containers"][1]["resources"]
    assert envoy == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    # comments, quoting and the other document survive the round trip
    assert 'cpu: "200m"     # sized for Black Friday 2024' in after  # comment column kept
    assert "# Payments API: owned by team payments" in after
    assert 'image: "ghcr.io/acme/api:1.4.2"   # pinned' in after
    changed = [
        ln for ln in draft.diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))
    ]
    assert changed == [
        '-              cpu: "1"        # sized for Black Friday 2024',
        "-              memory: 1Gi",
        '+              cpu: "200m"     # sized for Black Friday 2024',
        "+              memory: 460Mi",
        '-              cpu: "2"',
        "-              memory: 1Gi",
        "+              memory: 460Mi",
    ]
    assert len(draft.diff.splitlines()) == 3 + 14  # 3 header lines; 6 context + 8 changed


def test_diff_adds_resources_to_a_cronjob_without_them(
    wh: Warehouse, settings: Settings, tmp_path: Path
) -> None:
    plant(wh)
    tree = tmp_path / "repo"
    shutil.copytree(FIXTURES, tree)
    draft = draft_change(rec_for(wh, settings, "report"), fmt="diff", manifests_dir=tree)
    subprocess.run(
        ["patch", "-p1"], input=draft.diff, text=True, cwd=tree, check=True, capture_output=True
    )
    after = (tree / "batch" / "report-cronjob.yml").read_text()
    doc = load_all(after)[0]
    c = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    # p95 of a constant 0.5 = 500m; 200 Mi × 1.15 = 230 Mi
    assert c["resources"] == {
        "requests": {"cpu": "500m", "memory": "230Mi"},
        "limits": {"memory": "230Mi"},
    }
    assert '  schedule: "0 3 * * *"   # nightly' in after
    assert "          - name: main\n" in after  # sequence indentation kept


def test_kustomize_patch_builds_with_kubectl(
    wh: Warehouse, settings: Settings, tmp_path: Path
) -> None:
    kubectl = require_binary("kubectl")
    plant(wh)
    draft = draft_change(rec_for(wh, settings, "api"), fmt="kustomize")
    base = tmp_path / "k"
    base.mkdir()
    shutil.copy(FIXTURES / "shop" / "api.yaml", base / "api.yaml")
    name = draft.kustomize_patch.splitlines()[0].removeprefix("# ")
    (base / name).write_text(draft.kustomize_patch)
    (base / "kustomization.yaml").write_text("resources:\n- api.yaml\n" + draft.kustomization)
    out = subprocess.run(
        [kubectl, "kustomize", str(base)], capture_output=True, text=True, check=True
    ).stdout
    deploy = next(d for d in load_all(out) if d["kind"] == "Deployment")
    containers = deploy["spec"]["template"]["spec"]["containers"]
    assert containers[0]["resources"] == {
        "requests": {"cpu": "200m", "memory": "460Mi"},
        "limits": {"memory": "460Mi"},
    }
    assert containers[1]["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    assert "target:\n    kind: Deployment\n    name: api\n    namespace: shop" in draft.text


def test_helm_chart_gets_a_values_hint(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    draft = draft_change(rec_for(wh, settings, "web"), fmt="diff", manifests_dir=FIXTURES)
    assert draft.diff is None
    assert draft.helm_hint is not None and draft.text == draft.helm_hint
    assert "Helm chart 'web'" in draft.helm_hint
    assert "web:\n  resources:\n    requests:\n      cpu: 300m\n      memory: 575Mi" in (
        draft.helm_hint
    )
    assert "--set web.resources.requests.cpu=300m" in draft.helm_hint


def test_pr_description_has_cost_table_and_evidence(wh: Warehouse, settings: Settings) -> None:
    plant(wh)
    draft = draft_change(rec_for(wh, settings, "api"), fmt="pr", manifests_dir=FIXTURES)
    text = draft.text
    # Billed like the allocation: max(request, average usage) per pod-hour. The 256 Mi
    # request is below the 300–400 Mi working set, so today memory costs its usage:
    # memory 2 pods × (23 × 300 + 400) Mi-h = 14600 Mi-h = 14.2578125 GiB-h over 24 h
    # current  (2 × 1 core × 0.04 + 14.2578125 / 24 × 0.005) × 730 = 60.568375… → $60.57
    # proposed (0.2 × 0.04 + 460/1024 × 0.005) × 2 × 730 = 14.959296875 → $14.96
    # savings  60.568375651 − 14.959296875 = 45.609078776 → $45.61
    assert text.startswith("## Rightsize shop/Deployment/api: saves $45.61/month\n")
    assert "| api | memory request | 256Mi | 460Mi |" in text
    assert "| api | CPU request | 1 | 200m |" in text
    assert "| api | CPU limit | 2 | — |" in text
    assert "| api | memory limit | 300Mi | 460Mi |" in text
    assert "| **Total** | **$60.57** | **$14.96** | **-$45.61** |" in text
    assert "OOM kills in the window: 1" in text
    assert "cpu_p95 0.200 cores" in text
    assert "```diff\n--- a/shop/api.yaml" in text


def test_bad_draft_requests_explain_the_fix(
    wh: Warehouse, settings: Settings, tmp_path: Path
) -> None:
    plant(wh)
    rec = rec_for(wh, settings, "api")
    with pytest.raises(InputError, match="needs --manifests"):
        draft_change(rec, fmt="diff")
    with pytest.raises(InputError, match="Unknown draft format 'json'"):
        draft_change(rec, fmt="json")
    with pytest.raises(NotFound, match="No Deployment named 'api'"):
        draft_change(rec, fmt="diff", manifests_dir=tmp_path)


def test_custom_resource_gets_a_merge_patch(wh: Warehouse, settings: Settings) -> None:
    wh.node("n1", hours=24)
    wh.pod("shop", "cart-5f-x", "Rollout", "cart")
    wh.container_series("shop", "cart-5f-x", "cart", cpu_max=[0.3] * 24, ram_max=[200 * MIB] * 24)
    draft = draft_change(rec_for(wh, settings, "cart"), fmt="patch")
    assert draft.patch_type == "merge"
    assert draft.kubectl_command.startswith("kubectl patch rollout cart -n shop --type merge")
    assert "custom resource" in draft.notes[0]
    # 200 Mi × 1.15 = 230 Mi; p95 of 0.3 = 300m
    assert draft.patch["spec"]["template"]["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "300m", "memory": "230Mi"},
        "limits": {"memory": "230Mi"},
    }
