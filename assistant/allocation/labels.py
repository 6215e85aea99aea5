"""Team / app / env / cost-center from labels, with fallbacks.

The mapping (``settings.allocation.labels``) lists label sources in order, each
``pod:KEY`` or ``namespace:KEY``; the first non-empty value wins. For team only, the
namespace-name glob rules come next; anything still unmatched is ``__unlabeled__``.
:func:`resolve` is the rule on plain values; :func:`sql_expr` is the same rule as a
DuckDB expression used by the allocation SQL (tests check they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from assistant.config import LabelMapping
from assistant.core.placeholders import UNLABELED
from assistant.warehouse.sql_text import json_key, lit

__all__ = ["DIMENSIONS", "UNLABELED", "resolve", "sql_expr"]

DIMENSIONS = ("team", "app", "env", "cost_center")


def _sources(mapping: LabelMapping, dimension: str) -> list[str]:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown label dimension {dimension!r}")
    sources: list[str] = getattr(mapping, dimension)
    return sources


def resolve(
    mapping: LabelMapping,
    dimension: str,
    *,
    namespace: str,
    pod_labels: Mapping[str, str] | None,
    namespace_labels: Mapping[str, str] | None,
) -> str:
    for src in _sources(mapping, dimension):
        scope, _, key = src.partition(":")
        labels = pod_labels if scope == "pod" else namespace_labels
        value = (labels or {}).get(key)
        if value:
            return value
    if dimension == "team":
        for pattern, team in mapping.namespace_rules.items():
            if fnmatchcase(namespace, pattern):
                return team
    return UNLABELED


def sql_expr(
    mapping: LabelMapping, dimension: str, *, pod_labels: str, ns_labels: str, namespace: str
) -> str:
    """The same rule as :func:`resolve`, over SQL column expressions (JSON label columns)."""
    parts = []
    for src in _sources(mapping, dimension):
        scope, _, key = src.partition(":")
        col = pod_labels if scope == "pod" else ns_labels
        parts.append(f"NULLIF(json_extract_string({col}, {json_key(key)}), '')")
    if dimension == "team" and mapping.namespace_rules:
        cases = " ".join(
            f"WHEN {namespace} GLOB {lit(p)} THEN {lit(t)}"
            for p, t in mapping.namespace_rules.items()
        )
        parts.append(f"CASE {cases} END")
    parts.append(lit(UNLABELED))
    return "COALESCE(" + ", ".join(parts) + ")"
