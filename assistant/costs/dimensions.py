"""What ``--by`` and ``--filter`` accept, as SQL over the ``allocations`` table (alias ``a``).

One expression per dimension serves both grouping and filtering, so a filter value is
always spelled the way the same dimension is shown (``pod`` is ``namespace/pod``).
"""

from __future__ import annotations

import re

from assistant.core.placeholders import (
    NO_CONTAINER,
    NO_CONTROLLER,
    NO_NODE,
    UNKNOWN,
    UNLABELED,
    UNMOUNTED,
)
from assistant.errors import InputError
from assistant.warehouse.sql_text import json_key, lit

__all__ = ["DIMENSIONS", "dimension_expr", "needs_pod_join", "validate_dimension"]

DIMENSIONS = (
    "namespace",
    "team",
    "app",
    "env",
    "cost_center",
    "controller",
    "pod",
    "container",
    "node",
    "cluster",
    "service",
)
_LABEL_RE = re.compile(r"^label:([A-Za-z0-9][A-Za-z0-9._/-]{0,252})$")

_EXPR = {
    "namespace": "a.namespace",
    "team": f"coalesce(a.team, {lit(UNLABELED)})",
    "app": f"coalesce(a.app, {lit(UNLABELED)})",
    "env": f"coalesce(a.env, {lit(UNLABELED)})",
    "cost_center": f"coalesce(a.cost_center, {lit(UNLABELED)})",
    # A bare pod is its own workload (Pod/name); UNMOUNTED PV time keeps its name.
    "controller": "coalesce(a.controller_kind || '/' || a.controller_name, "
    "CASE WHEN starts_with(a.pod, '__') THEN a.pod ELSE 'Pod/' || a.pod END, "
    f"{lit(NO_CONTROLLER)})",
    "pod": "a.namespace || '/' || a.pod",
    "container": "a.namespace || '/' || a.pod || '/' || "
    f"coalesce(a.container, {lit(NO_CONTAINER)})",
    # a pod's PV/LB share is on the pod's node; volume time no pod mounted has none
    "node": f"coalesce(a.node, CASE WHEN a.pod = {lit(UNMOUNTED)} THEN {lit(UNMOUNTED)} END, "
    f"{lit(NO_NODE)})",
    "cluster": "a.cluster",
    "service": f"coalesce(a.service_name, {lit(UNKNOWN)})",
}


def validate_dimension(name: str, *, what: str = "group_by") -> str:
    key = name.strip()
    if key == "cost-center":
        key = "cost_center"
    if key in _EXPR or _LABEL_RE.match(key):
        return key
    raise InputError(
        f"Unknown {what} {name!r}.",
        hint=f"Use one of: {', '.join(DIMENSIONS)}, or label:KEY (e.g. label:app).",
        value=name,
    )


def needs_pod_join(names: list[str]) -> bool:
    return any(n.startswith("label:") for n in names)


def dimension_expr(name: str) -> str:
    """SQL for one dimension; ``label:KEY`` reads the pod label, then the namespace label."""
    if name in _EXPR:
        return _EXPR[name]
    match = _LABEL_RE.match(name)
    if not match:
        raise InputError(f"Unknown dimension {name!r}.")
    path = json_key(match.group(1))
    return (
        f"coalesce(NULLIF(json_extract_string(p.labels, {path}), ''), "
        f"NULLIF(json_extract_string(ns.labels, {path}), ''), {lit(UNLABELED)})"
    )
