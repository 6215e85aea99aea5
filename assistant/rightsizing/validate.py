"""`--validate`: ask the cluster's API server to dry-run a drafted patch.

A server-side dry run (``dryRun=All``) runs admission, defaulting and validation
exactly as a real patch would, and persists nothing. It uses the official Kubernetes
client and the kubeconfig in force (``settings.kubernetes.kubeconfig``, else
``$KUBECONFIG``, else ``~/.kube/config``); without one it says how to provide it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import ConfigError, InputError, NotFound, SourceAuthError, SourceUnavailable
from assistant.rightsizing.drafts import BUILTIN_KINDS, Draft
from assistant.rightsizing.manifests import containers_path
from assistant.rightsizing.recommend import Recommendation

__all__ = ["DryRunResult", "find_kubeconfig", "validate_draft"]

STRATEGIC = "application/strategic-merge-patch+json"

#: kind -> (client API class, method)
_METHODS = {
    "Deployment": ("AppsV1Api", "patch_namespaced_deployment"),
    "StatefulSet": ("AppsV1Api", "patch_namespaced_stateful_set"),
    "DaemonSet": ("AppsV1Api", "patch_namespaced_daemon_set"),
    "ReplicaSet": ("AppsV1Api", "patch_namespaced_replica_set"),
    "CronJob": ("BatchV1Api", "patch_namespaced_cron_job"),
    "Job": ("BatchV1Api", "patch_namespaced_job"),
    "Pod": ("CoreV1Api", "patch_namespaced_pod"),
}


@dataclass
class DryRunResult:
    ok: bool
    workload: str
    server: str
    status: int
    message: str
    resources: dict[str, Any] = field(default_factory=dict)  # container -> resources after


def find_kubeconfig(settings: Settings) -> Path:
    candidates = [settings.kubernetes.kubeconfig]
    env = os.environ.get("KUBECONFIG")
    if env:
        candidates.extend(Path(p) for p in env.split(os.pathsep) if p)
    candidates.append(Path.home() / ".kube" / "config")
    for path in candidates:
        if path is not None and Path(path).expanduser().is_file():
            return Path(path).expanduser()
    raise ConfigError(
        "--validate needs a kubeconfig, and none was found.",
        hint="Set PENNY_KUBERNETES__KUBECONFIG or KUBECONFIG, or drop --validate.",
    )


def validate_draft(rec: Recommendation, draft: Draft, *, settings: Settings) -> DryRunResult:
    """Dry-run ``draft``'s patch against the API server; a rejected patch is ``ok=False``."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    if rec.kind not in BUILTIN_KINDS:
        raise InputError(
            f"Cannot dry-run a patch of the custom resource kind {rec.kind}.",
            hint="Validate it with `kubectl apply --dry-run=server` on the manifest.",
        )
    path = find_kubeconfig(settings)
    try:
        api_client = config.new_client_from_config(
            config_file=str(path), context=settings.kubernetes.context, persist_config=False
        )
    except (config.ConfigException, OSError, ValueError) as exc:
        raise ConfigError(
            f"Cannot load kubeconfig {path}: {exc}", hint="Check the file and its current context."
        ) from exc
    server = str(api_client.configuration.host)
    api_name, method = _METHODS[rec.kind]
    api = getattr(client, api_name)(api_client)
    try:
        obj = getattr(api, method)(
            rec.name,
            rec.namespace,
            draft.patch,
            dry_run="All",
            _content_type=STRATEGIC,
            _request_timeout=settings.kubernetes.request_timeout_s,
        )
    except ApiException as exc:
        status = int(exc.status or 0)
        message = _status_message(exc.body) or str(exc.reason)
        if status in (401, 403):
            raise SourceAuthError(
                f"The API server at {server} refused the dry run: {message}",
                hint="Use a kubeconfig user allowed to patch this workload.",
                status=status,
            ) from exc
        if status == 404:
            raise NotFound(
                f"{rec.kind} {rec.namespace}/{rec.name} not found at {server}.",
                hint="Is the kubeconfig's context the cluster this data came from?",
            ) from exc
        return DryRunResult(False, rec.workload, server, status, message)
    except (HTTPError, OSError) as exc:
        raise SourceUnavailable(
            f"Cannot reach the API server at {server}: {exc}",
            hint="Check the network or the kubeconfig's server URL.",
            source=server,
        ) from exc
    finally:
        api_client.close()
    data = api_client.sanitize_for_serialization(obj)
    return DryRunResult(
        True,
        rec.workload,
        server,
        200,
        "server-side dry run accepted the patch (nothing was changed)",
        _resources_after(rec.kind, data),
    )


def _status_message(body: Any) -> str | None:
    try:
        return str(json.loads(body).get("message"))
    except (TypeError, ValueError, AttributeError):
        return None


def _resources_after(kind: str, data: Any) -> dict[str, Any]:
    node: Any = data
    for key in containers_path(kind):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return {}
    return {str(c.get("name")): c.get("resources") or {} for c in node if isinstance(c, dict)}
