"""--validate against an HTTP-level fake Kubernetes API server with a generated kubeconfig.

The fake speaks just enough of the API: PATCH of a Deployment with a strategic merge
patch, merging containers by name, refusing requests above limits (422) like the real
validation, and 403 for a namespace the user may not touch. It records every request,
so the test checks what the official client really sent: method, path, dryRun=All and
the strategic-merge content type.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.errors import ConfigError, SourceAuthError
from assistant.rightsizing.drafts import draft_change
from assistant.rightsizing.recommend import recommend
from assistant.rightsizing.validate import validate_draft
from tests.rightsizing.rs_fixtures import MIB, Warehouse

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [
                    {
                        "name": "api",
                        "image": "api:1",
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi"},
                            "limits": {"cpu": "2", "memory": "1Gi"},
                        },
                    }
                ]
            },
        },
    },
}


def _mi(q: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(q[:-2]) * units[q[-2:]] if q[-2:] in units else float(q) / MIB


class FakeApi(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_PATCH(self) -> None:
        url = urlparse(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeApi.requests.append(
            {
                "path": url.path,
                "query": parse_qs(url.query),
                "content_type": self.headers["Content-Type"],
                "auth": self.headers.get("Authorization"),
                "body": body,
            }
        )
        if url.path.startswith("/apis/apps/v1/namespaces/locked/"):
            self._send(
                403,
                {
                    "kind": "Status",
                    "status": "Failure",
                    "reason": "Forbidden",
                    "message": 'deployments.apps "api" is forbidden',
                    "code": 403,
                },
            )
            return
        obj = copy.deepcopy(DEPLOYMENT)
        current = {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}
        for patch in body["spec"]["template"]["spec"]["containers"]:
            res = current[patch["name"]].setdefault("resources", {})
            for section, values in patch.get("resources", {}).items():
                for key, value in values.items():
                    if value is None:
                        res.get(section, {}).pop(key, None)
                    else:
                        res.setdefault(section, {})[key] = value
            req, lim = res.get("requests", {}), res.get("limits", {})
            if "memory" in lim and _mi(req["memory"]) > _mi(lim["memory"]):
                self._send(
                    422,
                    {
                        "kind": "Status",
                        "status": "Failure",
                        "code": 422,
                        "reason": "Invalid",
                        "message": 'Deployment.apps "api" is invalid: spec.template.spec.'
                        "containers[0].resources.requests: Invalid value: "
                        f'"{req["memory"]}": must be less than or equal to memory '
                        "limit",
                    },
                )
                return
        self._send(200, obj)


@pytest.fixture
def fake_api(tmp_path: Path) -> Iterator[Path]:
    FakeApi.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fake",
                "clusters": [
                    {
                        "name": "fake",
                        "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"},
                    }
                ],
                "users": [{"name": "u", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}],
            }
        )
    )
    yield kubeconfig
    server.shutdown()
    server.server_close()


def plant(wh: Warehouse, ns: str = "shop") -> None:
    wh.node("n1", hours=24)
    wh.pod(ns, "api-1", "Deployment", "api")
    wh.container_series(
        ns, "api-1", "api", cpu_max=[0.2] * 24, ram_max=[400 * MIB] * 24, cpu_limit=2.0
    )


def test_dry_run_sends_strategic_patch_with_dry_run_all(
    wh: Warehouse, settings: Settings, fake_api: Path
) -> None:
    plant(wh)
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    draft = draft_change(rec, fmt="patch")
    cfg = load_settings(now=settings.now, kubernetes={"kubeconfig": str(fake_api)})
    result = validate_draft(rec, draft, settings=cfg)
    assert result.ok and result.status == 200
    assert result.resources["api"] == {
        "requests": {"cpu": "200m", "memory": "460Mi"},
        "limits": {"memory": "460Mi"},
    }
    [sent] = FakeApi.requests
    assert sent["path"] == "/apis/apps/v1/namespaces/shop/deployments/api"
    assert sent["query"] == {"dryRun": ["All"]}
    assert sent["content_type"] == "application/strategic-merge-patch+json"
    assert sent["auth"] == "Bearer t0ken"
    assert sent["body"] == draft.patch


def test_rejected_patch_is_reported_not_raised(
    wh: Warehouse, settings: Settings, fake_api: Path
) -> None:
    plant(wh)
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    draft = draft_change(rec, fmt="patch")
    # a hand-edited draft with request 2Gi above the 460Mi limit: the server refuses it
    draft.patch["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = (
        "2Gi"
    )
    cfg = load_settings(now=settings.now, kubernetes={"kubeconfig": str(fake_api)})
    result = validate_draft(rec, draft, settings=cfg)
    assert (result.ok, result.status) == (False, 422)
    assert "must be less than or equal to memory limit" in result.message


def test_forbidden_and_missing_kubeconfig(
    wh: Warehouse,
    settings: Settings,
    fake_api: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "empty-home"))  # no ~/.kube/config
    plant(wh, ns="locked")
    rec = recommend(wh.con, scope=Scope.everything(), settings=settings)[0]
    draft = draft_change(rec, fmt="patch")
    cfg = load_settings(now=settings.now, kubernetes={"kubeconfig": str(fake_api)})
    with pytest.raises(SourceAuthError, match="is forbidden"):
        validate_draft(rec, draft, settings=cfg)
    with pytest.raises(ConfigError, match="needs a kubeconfig"):
        validate_draft(rec, draft, settings=settings)
