"""Kubernetes label keys back from kube-state-metrics' sanitised ``label_*`` names.

KSM exposes object labels as Prometheus labels named ``label_<key>`` where every
character outside ``[a-zA-Z0-9_]`` (``.``, ``/``, ``-``) became ``_``. That cannot be
undone in general (``app_kubernetes_io_name`` could have been ``app.kubernetes.io/name``
or ``app_kubernetes_io_name``), so Penny maps back only the well-known keys below and
keeps every other key as KSM spelled it, minus the ``label_`` prefix. Label mapping
settings should name keys in the form stored here.
"""

from __future__ import annotations

import json

__all__ = ["KNOWN_KEYS", "labels_json", "object_labels", "object_labels_json", "unsanitize"]

KNOWN_KEYS: tuple[str, ...] = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/version",
    "app.kubernetes.io/team",
    "kubernetes.io/hostname",
    "kubernetes.io/arch",
    "kubernetes.io/os",
    "kubernetes.io/metadata.name",
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "node-role.kubernetes.io/control-plane",
    "karpenter.sh/capacity-type",
    "karpenter.sh/nodepool",
    "karpenter.k8s.aws/instance-family",
    "eks.amazonaws.com/capacity-type",
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "cloud.google.com/gke-spot",
    "cloud.google.com/gke-provisioning",
    "kubernetes.azure.com/agentpool",
    "kubernetes.azure.com/scalesetpriority",
    "nvidia.com/gpu.product",
    "nvidia.com/gpu.count",
    "nvidia.com/mig.strategy",
    "nvidia.com/gpu.replicas",
    "nvidia.com/gpu.sharing-strategy",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/controller-uid",
    "controller-revision-hash",
    "pod-template-hash",
    "statefulset.kubernetes.io/pod-name",
    "cost-center",
    "cost-centre",
    "business-unit",
)


def _sanitize(key: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in key)


_BACK: dict[str, str] = {_sanitize(k): k for k in KNOWN_KEYS}


def unsanitize(sanitized: str) -> str:
    """``app_kubernetes_io_name`` → ``app.kubernetes.io/name``; unknown keys unchanged."""
    return _BACK.get(sanitized, sanitized)


def object_labels(series_labels: dict[str, str]) -> dict[str, str]:
    """The object's own labels from a ``kube_*_labels`` series (``label_`` keys only)."""
    return {
        unsanitize(key[len("label_") :]): value
        for key, value in series_labels.items()
        if key.startswith("label_") and value != ""
    }


def labels_json(labels: dict[str, str] | None) -> str | None:
    return None if labels is None else json.dumps(labels, sort_keys=True)


#: id(series labels) → (those labels, their JSON). A file ingest hands every chunk the
#: same labels dict per series, so each pod's labels are encoded once, not once a chunk;
#: holding the dict keeps its id from being reused while the entry lives.
_JSON_CACHE: dict[int, tuple[dict[str, str], str | None]] = {}
_JSON_CACHE_MAX = 50_000


def object_labels_json(series_labels: dict[str, str]) -> str | None:
    """``labels_json(object_labels(series_labels))``, remembered per labels dict."""
    hit = _JSON_CACHE.get(id(series_labels))
    if hit is not None and hit[0] is series_labels:
        return hit[1]
    out = labels_json(object_labels(series_labels))
    if len(_JSON_CACHE) >= _JSON_CACHE_MAX:
        _JSON_CACHE.clear()
    _JSON_CACHE[id(series_labels)] = (series_labels, out)
    return out
