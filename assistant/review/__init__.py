"""`penny review`: the monthly cost of a Kubernetes manifest change, for PR review.

``workloads`` parses rendered manifests, ``quantities`` reads Kubernetes quantities as the
API server does, ``prices`` and ``observed`` read the warehouse, ``estimate`` diffs and
prices (pure), ``render`` writes the PR comment or JSON, ``run`` ties them together.
"""

from assistant.review.estimate import Review, WorkloadChange, estimate
from assistant.review.render import FORMATS, render
from assistant.review.run import DEFAULT_WINDOW, review_change, review_sets
from assistant.review.workloads import ManifestSet, WorkloadSpec, load_side, parse_manifests

__all__ = [
    "DEFAULT_WINDOW",
    "FORMATS",
    "ManifestSet",
    "Review",
    "WorkloadChange",
    "WorkloadSpec",
    "estimate",
    "load_side",
    "parse_manifests",
    "render",
    "review_change",
    "review_sets",
]
