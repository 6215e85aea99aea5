"""Reading the Kubernetes API with the official client: kubeconfig or in-cluster config.

Objects come back as the API's own JSON (``_preload_content=False``), the same shape a
snapshot stores and a recorded response holds, so one set of pure functions
(:mod:`assistant.kube.shape`) reads live and stored objects alike. Connection problems
become :class:`SourceUnavailable` and 401/403 :class:`SourceAuthError`, both saying
what to check; requests do not retry, so the snapshot fallback answers quickly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import SourceAuthError, SourceUnavailable

if TYPE_CHECKING:  # the client library loads only when a cluster is contacted
    from kubernetes import client as k8s

__all__ = ["KINDS", "KubeSession", "connect", "list_objects"]

#: kinds Penny reads, in the order a snapshot takes them
KINDS = (
    "Namespace",
    "Node",
    "Pod",
    "ReplicaSet",
    "Job",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "CronJob",
    "HorizontalPodAutoscaler",
)


@dataclass
class KubeSession:
    api: k8s.ApiClient
    cluster: str  # the kubeconfig context (or settings.kubernetes.cluster)
    server: str
    timeout_s: float


def _kubeconfig_path(settings: Settings) -> Path | None:
    if settings.kubernetes.kubeconfig:
        return settings.kubernetes.kubeconfig.expanduser()
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0]).expanduser()
    default = Path.home() / ".kube" / "config"
    return default if default.is_file() else None


def connect(settings: Settings, context: str | None = None) -> KubeSession:
    """An API client from the kubeconfig (or in-cluster service account)."""
    from kubernetes import client as k8s
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException

    cfg = k8s.Configuration()
    context = context or settings.kubernetes.context
    path = _kubeconfig_path(settings)
    try:
        if path is not None:
            if not path.is_file():
                raise SourceUnavailable(
                    f"Kubeconfig {path} does not exist.",
                    hint="Set KUBECONFIG or kubernetes.kubeconfig to a valid file.",
                )
            k8s_config.load_kube_config(
                config_file=str(path),
                context=context,
                client_configuration=cfg,
                persist_config=False,
            )
            _, active = k8s_config.list_kube_config_contexts(config_file=str(path))
            name = context or (active or {}).get("name") or "default"
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            k8s_config.load_incluster_config(client_configuration=cfg)
            name = "in-cluster"
        else:
            raise SourceUnavailable(
                "No Kubernetes credentials: no kubeconfig and not running in a cluster.",
                hint="Set KUBECONFIG (or kubernetes.kubeconfig), or run inside the cluster.",
            )
    except ConfigException as exc:
        raise SourceUnavailable(
            f"Cannot load Kubernetes config{f' context {context!r}' if context else ''}: {exc}",
            hint="Check the kubeconfig and the context name (kubectl config get-contexts).",
        ) from exc
    cfg.retries = 0
    return KubeSession(
        api=k8s.ApiClient(cfg),
        cluster=settings.kubernetes.cluster or name,
        server=cfg.host,
        timeout_s=settings.kubernetes.request_timeout_s,
    )


def _lister(session: KubeSession, kind: str, namespace: str | None) -> Callable[..., Any]:
    from kubernetes import client as k8s

    core, apps = k8s.CoreV1Api(session.api), k8s.AppsV1Api(session.api)
    batch, auto = k8s.BatchV1Api(session.api), k8s.AutoscalingV2Api(session.api)
    if kind == "Node":
        return core.list_node
    if kind == "Namespace":
        return core.list_namespace
    table: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
        "Pod": (core.list_pod_for_all_namespaces, core.list_namespaced_pod),
        "ReplicaSet": (apps.list_replica_set_for_all_namespaces, apps.list_namespaced_replica_set),
        "Deployment": (apps.list_deployment_for_all_namespaces, apps.list_namespaced_deployment),
        "StatefulSet": (
            apps.list_stateful_set_for_all_namespaces,
            apps.list_namespaced_stateful_set,
        ),
        "DaemonSet": (apps.list_daemon_set_for_all_namespaces, apps.list_namespaced_daemon_set),
        "Job": (batch.list_job_for_all_namespaces, batch.list_namespaced_job),
        "CronJob": (batch.list_cron_job_for_all_namespaces, batch.list_namespaced_cron_job),
        "HorizontalPodAutoscaler": (
            auto.list_horizontal_pod_autoscaler_for_all_namespaces,
            auto.list_namespaced_horizontal_pod_autoscaler,
        ),
    }
    everywhere, namespaced = table[kind]
    if namespace is None:
        return everywhere
    return lambda **kw: namespaced(namespace, **kw)


def list_objects(
    session: KubeSession, kind: str, namespaces: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every object of ``kind`` (cluster-wide, or only in ``namespaces``) as API JSON.

    Cluster-scoped kinds (Node, Namespace) ignore ``namespaces``; the caller filters
    namespaces by name.
    """
    import urllib3
    from kubernetes.client.exceptions import ApiException

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind}")
    targets: list[str | None]
    targets = [None] if namespaces is None or kind in {"Node", "Namespace"} else list(namespaces)
    items: list[dict[str, Any]] = []
    for ns in targets:
        fn = _lister(session, kind, ns)
        try:
            response = fn(_preload_content=False, _request_timeout=session.timeout_s)
            payload = json.loads(response.data)
        except ApiException as exc:
            if exc.status in (401, 403):
                raise SourceAuthError(
                    f"The Kubernetes API at {session.server} refused to list {kind}: "
                    f"HTTP {exc.status} {exc.reason}.",
                    hint="Check the kubeconfig credentials and RBAC (list/get on this kind).",
                    source=session.server,
                ) from exc
            raise SourceUnavailable(
                f"The Kubernetes API at {session.server} failed listing {kind}: "
                f"HTTP {exc.status} {exc.reason}.",
                source=session.server,
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise SourceUnavailable(
                f"Cannot reach the Kubernetes API at {session.server}: {exc}",
                hint="Check the cluster is reachable (kubectl get nodes) or use the snapshot.",
                source=session.server,
            ) from exc
        for item in payload.get("items") or []:
            item.setdefault("kind", kind)
            items.append(item)
    return items
