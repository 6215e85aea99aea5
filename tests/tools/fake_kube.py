"""A local HTTP server speaking the Kubernetes list API over fixed objects.

The official client talks to it through a generated kubeconfig, exactly as it would to a
real API server; the server records each request path and checks the bearer token.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

TOKEN = "fixture-token"

_PLURALS = {
    "nodes": "Node",
    "namespaces": "Namespace",
    "pods": "Pod",
    "replicasets": "ReplicaSet",
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "jobs": "Job",
    "cronjobs": "CronJob",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
}
_PATH = re.compile(
    r"^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)$"
)


def _container(
    name: str, cpu: str, mem: str, lim_cpu: str | None = None, lim_mem: str | None = None
) -> dict[str, Any]:
    res: dict[str, Any] = {"requests": {"cpu": cpu, "memory": mem}}
    if lim_cpu or lim_mem:
        res["limits"] = {k: v for k, v in (("cpu", lim_cpu), ("memory", lim_mem)) if v}
    return {"name": name, "image": f"example/{name}:1", "resources": res}


def _pod(
    ns: str,
    name: str,
    node: str,
    owner: tuple[str, str] | None,
    containers: list[dict[str, Any]],
    phase: str = "Running",
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "uid": f"uid-{name}",
        "labels": {"app": name.split("-")[0]},
    }
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner[0],
                "name": owner[1],
                "uid": f"uid-{owner[1]}",
                "controller": True,
            }
        ]
    return {
        "metadata": meta,
        "spec": {"nodeName": node, "containers": containers},
        "status": {"phase": phase},
    }


def _owned(kind: str, ns: str, name: str, owner: tuple[str, str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": owner[0],
                    "name": owner[1],
                    "uid": "u",
                    "controller": True,
                }
            ],
        },
        "spec": {},
        "status": {},
    }


def _template(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"labels": {}}, "spec": {"containers": containers}}


RECSYS = [_container("api", "500m", "1Gi", "1", "2Gi"), _container("sidecar", "100m", "128Mi")]

OBJECTS: dict[str, list[dict[str, Any]]] = {
    "Node": [
        {
            "metadata": {
                "name": "node-a",
                "labels": {
                    "node.kubernetes.io/instance-type": "m5.xlarge",
                    "topology.kubernetes.io/zone": "us-east-1a",
                },
            },
            "spec": {"providerID": "aws:///us-east-1a/i-0aaa"},
            "status": {
                "capacity": {"cpu": "4", "memory": "16Gi", "pods": "58"},
                "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "58"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
        {
            "metadata": {
                "name": "node-b",
                "labels": {
                    "node.kubernetes.io/instance-type": "m5.2xlarge",
                    "karpenter.sh/capacity-type": "spot",
                    "topology.kubernetes.io/zone": "us-east-1b",
                },
            },
            "spec": {"providerID": "aws:///us-east-1b/i-0bbb"},
            "status": {
                "capacity": {"cpu": "8", "memory": "32Gi"},
                "allocatable": {"cpu": "7910m", "memory": "30Gi"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    ],
    "Namespace": [
        {"metadata": {"name": n, "labels": labels}, "status": {"phase": "Active"}}
        for n, labels in (
            ("ml-serving", {"team": "ml"}),
            ("payments-prod", {"team": "payments"}),
            ("checkout", {"team": "web"}),
            ("kube-system", {}),
        )
    ],
    "Pod": [
        _pod(
            "ml-serving",
            "recsys-api-7d9f-abcde",
            "node-a",
            ("ReplicaSet", "recsys-api-7d9f"),
            RECSYS,
        ),
        _pod(
            "ml-serving",
            "recsys-api-7d9f-fghij",
            "node-b",
            ("ReplicaSet", "recsys-api-7d9f"),
            RECSYS,
        ),
        _pod(
            "payments-prod",
            "payments-ledger-0",
            "node-b",
            ("StatefulSet", "payments-ledger"),
            [_container("ledger", "2", "4Gi")],
        ),
        _pod(
            "payments-prod",
            "nightly-report-29301-xk",
            "node-a",
            ("Job", "nightly-report-29301"),
            [_container("report", "250m", "512Mi")],
        ),
        _pod(
            "checkout",
            "checkout-web-5c-xyz",
            "node-a",
            ("ReplicaSet", "checkout-web-5c"),
            [_container("web", "250m", "256Mi")],
        ),
        _pod(
            "kube-system",
            "coredns-55-q",
            "node-a",
            ("ReplicaSet", "coredns-55"),
            [_container("coredns", "100m", "70Mi")],
        ),
        _pod(
            "checkout",
            "checkout-web-old",
            "node-a",
            ("ReplicaSet", "checkout-web-5c"),
            [_container("web", "250m", "256Mi")],
            phase="Succeeded",
        ),
    ],
    "ReplicaSet": [
        _owned("ReplicaSet", "ml-serving", "recsys-api-7d9f", ("Deployment", "recsys-api")),
        _owned("ReplicaSet", "checkout", "checkout-web-5c", ("Deployment", "checkout-web")),
        _owned("ReplicaSet", "kube-system", "coredns-55", ("Deployment", "coredns")),
    ],
    "Job": [_owned("Job", "payments-prod", "nightly-report-29301", ("CronJob", "nightly-report"))],
    "Deployment": [
        {
            "metadata": {"name": "recsys-api", "namespace": "ml-serving"},
            "spec": {"replicas": 2, "template": _template(RECSYS)},
            "status": {"replicas": 2, "readyReplicas": 2},
        },
        {
            "metadata": {"name": "checkout-web", "namespace": "checkout"},
            "spec": {"replicas": 1, "template": _template([_container("web", "250m", "256Mi")])},
            "status": {"replicas": 1, "readyReplicas": 1},
        },
        {
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "spec": {"replicas": 1, "template": _template([_container("coredns", "100m", "70Mi")])},
            "status": {"replicas": 1, "readyReplicas": 1},
        },
    ],
    "StatefulSet": [
        {
            "metadata": {"name": "payments-ledger", "namespace": "payments-prod"},
            "spec": {"replicas": 1, "template": _template([_container("ledger", "2", "4Gi")])},
            "status": {"replicas": 1, "readyReplicas": 1},
        },
    ],
    "DaemonSet": [],
    "CronJob": [
        {
            "metadata": {"name": "nightly-report", "namespace": "payments-prod"},
            "spec": {
                "schedule": "0 2 * * *",
                "jobTemplate": {
                    "spec": {"template": _template([_container("report", "250m", "512Mi")])}
                },
            },
        },
    ],
    "HorizontalPodAutoscaler": [
        {
            "metadata": {"name": "recsys-api", "namespace": "ml-serving"},
            "spec": {
                "scaleTargetRef": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "recsys-api",
                },
                "minReplicas": 2,
                "maxReplicas": 10,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
            "status": {"currentReplicas": 2, "desiredReplicas": 2},
        },
    ],
}


class FakeKube:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.token = TOKEN
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                fake.requests.append(path)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._send(
                        401,
                        {
                            "kind": "Status",
                            "status": "Failure",
                            "reason": "Unauthorized",
                            "code": 401,
                        },
                    )
                    return
                m = _PATH.match(path)
                kind = _PLURALS.get(m.group("plural")) if m else None
                if kind is None:
                    self._send(404, {"kind": "Status", "reason": "NotFound", "code": 404})
                    return
                ns = m.group("ns") if m else None
                items = [
                    o for o in OBJECTS[kind] if ns is None or o["metadata"].get("namespace") == ns
                ]
                self._send(
                    200,
                    {
                        "kind": f"{kind}List",
                        "apiVersion": "v1",
                        "metadata": {"resourceVersion": "1"},
                        "items": items,
                    },
                )

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def kubeconfig(self, path: Path, token: str = TOKEN) -> Path:
        return write_kubeconfig(path, self.url, token)


def write_kubeconfig(path: Path, server: str, token: str = TOKEN) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "fixture-ctx",
                "clusters": [{"name": "fixture", "cluster": {"server": server}}],
                "users": [{"name": "tester", "user": {"token": token}}],
                "contexts": [
                    {"name": "fixture-ctx", "context": {"cluster": "fixture", "user": "tester"}}
                ],
            }
        )
    )
    return path


@contextmanager
def running() -> Iterator[FakeKube]:
    fake = FakeKube()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
