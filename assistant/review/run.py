"""`review_change()`: read both sides, pick the cluster and window, price, diff.

The one I/O function of the package: manifests from disk or stdin, facts and prices from a
read-only warehouse connection. Everything it returns comes from the pure ``estimate``.
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.review.estimate import Review, estimate
from assistant.review.observed import cluster_facts
from assistant.review.prices import resolve_cluster, resolve_window, unit_prices
from assistant.review.workloads import ManifestSet, load_side
from assistant.warehouse.db import reader

__all__ = ["DEFAULT_WINDOW", "review_change", "review_sets"]

DEFAULT_WINDOW = "30d"


def review_sets(
    base: ManifestSet,
    head: ManifestSet,
    *,
    settings: Settings,
    cluster: str | None = None,
    window: str = DEFAULT_WINDOW,
    scope: Scope | None = None,
) -> Review:
    """Price two parsed manifest sets against the warehouse (read-only). ``scope`` hides
    the observed cost of workloads the asker may not see (the CLI sees everything)."""
    namespaces = {k[1] for k in base.workloads.keys() | head.workloads.keys()}
    with reader(settings) as con:
        name = resolve_cluster(con, namespaces, cluster)
        win = resolve_window(con, name, window)
        prices = unit_prices(con, name, win, settings)
        facts = cluster_facts(con, name, win, hours=prices.hours, scope=scope)
    return estimate(base, head, prices, facts)


def review_change(
    base: str,
    head: str,
    *,
    settings: Settings,
    cluster: str | None = None,
    namespace: str = "default",
    window: str = DEFAULT_WINDOW,
) -> Review:
    """The cost of going from the manifests at ``base`` to those at ``head`` (paths: a
    file, a directory of .yaml/.yml, or ``-`` for stdin on one side)."""
    return review_sets(
        load_side(base, namespace=namespace),
        load_side(head, namespace=namespace),
        settings=settings,
        cluster=cluster,
        window=window,
    )
