"""The Kustomize base and overlays render, every object is a valid Kubernetes object by the
`kubernetes` client's OpenAPI models, and the security properties of issue 14 hold."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kubernetes import client

from assistant.config import Settings
from tests.deploy.manifests import TARGETS, one, render

_READ = ["get", "list", "watch"]


@pytest.fixture(scope="module", params=sorted(TARGETS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(TARGETS[request.param])


def _model_name(doc: dict[str, Any]) -> str:
    version = doc["apiVersion"].split("/")[-1]
    return version[0].upper() + version[1:] + doc["kind"]


def test_every_object_round_trips_through_its_openapi_model(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    """Deserialised into the client's model and serialised back unchanged: a required field
    missing raises, and a misspelt or unknown field would be dropped and differ."""
    _, docs = rendered
    api = client.ApiClient()
    kinds = []
    for doc in docs:
        model = api._ApiClient__deserialize(doc, _model_name(doc))  # type: ignore[attr-defined]
        assert api.sanitize_for_serialization(model) == doc, doc["kind"]
        kinds.append(doc["kind"])
    assert sorted(kinds) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Namespace",
        "PersistentVolumeClaim",
        "Service",
        "ServiceAccount",
    ]


def test_the_cluster_role_only_reads_what_penny_reads(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    role = one(docs, "ClusterRole")
    resources = set()
    for rule in role["rules"]:
        assert rule["verbs"] == _READ, rule
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        resources |= {f"{g}/{r}" for g in rule["apiGroups"] for r in rule["resources"]}
    assert {
        "/pods",
        "/nodes",
        "/namespaces",
        "/persistentvolumes",
        "/persistentvolumeclaims",
        "autoscaling/horizontalpodautoscalers",
        "apps/deployments",
        "apps/statefulsets",
        "apps/daemonsets",
        "apps/replicasets",
        "batch/jobs",
        "batch/cronjobs",
    } <= resources
    assert not any(r.endswith("/secrets") for r in resources)
    binding = one(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    sa = one(docs, "ServiceAccount")["metadata"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}
    ]


def test_the_deployment_runs_penny_serve_locked_down(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    dep = one(docs, "Deployment")
    spec = dep["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}  # one writer
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"]
    (c,) = pod["containers"]
    assert c["args"][0] == "serve"
    sc = c["securityContext"]
    assert (sc["runAsNonRoot"], sc["readOnlyRootFilesystem"], sc["allowPrivilegeEscalation"]) == (
        True,
        True,
        False,
    )
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(c["resources"]["requests"]) == {"cpu", "memory"}
    # the warehouse is on the PVC; /tmp is writable; nothing else is
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert (
        volumes[mounts["/var/lib/penny"]]["persistentVolumeClaim"]["claimName"]
        == one(docs, "PersistentVolumeClaim")["metadata"]["name"]
    )
    assert "emptyDir" in volumes[mounts["/tmp"]]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["PENNY_HOME"] == "/var/lib/penny"
    assert {"secretRef": {"name": "penny-secrets", "optional": True}} in c["envFrom"]
    svc = one(docs, "Service")
    assert svc["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()


def test_each_config_is_valid_penny_settings(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    name, docs = rendered
    text = one(docs, "ConfigMap")["data"]["config.yaml"]
    settings = Settings(**yaml.safe_load(text))
    if name == "in-cluster-prometheus":
        (prom,) = settings.sync.prometheus
        assert prom.url == "http://prometheus-operated.monitoring.svc:9090"
    else:
        assert settings.sync.prometheus == []


def test_the_slack_overlay_requires_its_secret() -> None:
    (c,) = one(render(TARGETS["slack"]), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"secretRef": {"name": "penny-slack", "optional": False}} in c["envFrom"]
    (base,) = one(render(TARGETS["base"]), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert not any(e["secretRef"]["name"] == "penny-slack" for e in base["envFrom"])
