"""Resolving what a person or model typed ('api', 'Deployment/api', 'shop/Deployment/api')
to one recommendation, with a helpful error when it names none or several."""

from __future__ import annotations

import difflib

from assistant.errors import InputError, NotFound
from assistant.rightsizing.recommend import Recommendation

__all__ = ["find_recommendation"]


def find_recommendation(
    recs: list[Recommendation], ident: str, namespace: str | None = None
) -> Recommendation:
    """Match [CLUSTER:]NAMESPACE/KIND/NAME, KIND/NAME, NAMESPACE/NAME or NAME
    (case-insensitive kind); the cluster prefix tells apart same-named workloads."""
    cluster, sep, rest = ident.strip().partition(":")
    if not sep:
        cluster, rest = "", cluster
    parts = [p for p in rest.split("/") if p]
    if not parts or len(parts) > 3:
        raise InputError(
            f"Cannot read workload {ident!r}.",
            hint="Use NAME, KIND/NAME or NAMESPACE/KIND/NAME (shop/Deployment/api).",
        )

    def matches(r: Recommendation) -> bool:
        if (namespace and r.namespace != namespace) or (cluster and r.cluster != cluster):
            return False
        if len(parts) == 3:
            return (r.namespace, r.kind.lower(), r.name) == (parts[0], parts[1].lower(), parts[2])
        if len(parts) == 2:
            return r.name == parts[1] and parts[0].lower() in (r.kind.lower(), r.namespace.lower())
        return r.name == parts[0]

    found = [r for r in recs if matches(r)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise InputError(
            f"{ident!r} matches {len(found)} workloads: "
            f"{', '.join(r.qualified for r in found[:10])}.",
            hint="Name it as CLUSTER:NAMESPACE/KIND/NAME.",
        )
    names = [r.workload for r in recs]
    near = difflib.get_close_matches(ident, names, n=3, cutoff=0.6)
    if not near:
        close = difflib.get_close_matches(parts[-1], [r.name for r in recs], n=3, cutoff=0.5)
        near = [r.workload for r in recs if r.name in close][:3]
    raise NotFound(
        f"No workload {ident!r}"
        + (f" in namespace {namespace}" if namespace else "")
        + " with usage history you may see.",
        hint=(
            f"Did you mean: {', '.join(near)}?"
            if near
            else "List them with `penny rightsize` (or the rightsizing tool)."
        ),
    )
