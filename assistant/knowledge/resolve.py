"""Resolve what a person called something to the warehouse's names.

Three passes, stopping at the first that finds anything: exact (case, spacing and
separators ignored), fuzzy (difflib ratio, or the words as a prefix of the name), then
semantic (nearest names in the Chroma index, above ``knowledge.min_semantic_score``).
Every pass only sees names the scope may see.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.knowledge.names import ENTITY_KINDS, Entity, load_entities
from assistant.warehouse.db import reader

__all__ = ["Match", "closest_names", "normalise", "resolve_entity"]

_FILLER = {
    "the",
    "our",
    "my",
    "a",
    "an",
    "team",
    "teams",
    "namespace",
    "namespaces",
    "ns",
    "service",
    "services",
    "workload",
    "workloads",
    "app",
    "application",
    "deployment",
    "'s",
    "s",
}
_FUZZY_CUTOFF = 0.75
_KIND_ORDER = {k: i for i, k in enumerate(ENTITY_KINDS)}


@dataclass(frozen=True)
class Match:
    name: str
    kind: str  # namespace | workload | team | app
    score: float  # 1.0 exact; ratio; cosine similarity
    how: Literal["exact", "fuzzy", "semantic"]
    namespace: str | None = None  # for workloads
    controller_kind: str | None = None  # workloads: Deployment, CronJob, … or Pod

    @property
    def cost_filter(self) -> dict[str, str]:
        """The query_costs filter that selects this entity."""
        if self.kind == "workload":
            if self.controller_kind == "Pod":
                return {"pod": f"{self.namespace}/{self.name}"}
            return {"controller": f"{self.controller_kind}/{self.name}"}
        return {self.kind: self.name}


def normalise(text: str) -> str:
    """Lowercase, separators to single spaces, filler words dropped."""
    words = [w for w in re.split(r"[\s\-_./:'\"?!,]+", text.lower()) if w]
    kept = [w for w in words if w not in _FILLER]
    return " ".join(kept or words)


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


def closest_names(value: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """Names that look like ``value`` (for "did you mean" errors), best first."""
    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    close = difflib.get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.5)
    found = [lowered[c] for c in close]
    needle = _compact(value)
    for c in pool:
        if needle and (needle in _compact(c) or _compact(c) in needle) and c not in found:
            found.append(c)
    return found[:n]


def _fuzzy_score(query: str, name: str) -> float:
    q, n = normalise(query), normalise(name)
    if not q:
        return 0.0
    ratio = difflib.SequenceMatcher(None, q.replace(" ", ""), n.replace(" ", "")).ratio()
    words = n.split()
    qwords = q.split()
    if words[: len(qwords)] == qwords or (len(qwords) == 1 and qwords[0] in words):
        ratio = max(ratio, 0.9)
    return ratio


def _order(matches: list[Match]) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.score, _KIND_ORDER.get(m.kind, 9), m.name))


def match_entities(text: str, entities: Sequence[Entity], *, limit: int = 5) -> list[Match]:
    """The exact and fuzzy passes over an already loaded (scope-filtered) entity list."""
    needle = _compact(text)
    exact = [
        Match(e.name, e.kind, 1.0, "exact", e.namespace, e.controller_kind)
        for e in entities
        if e.name.lower() == text.strip().lower() or _compact(e.name) == needle
    ]
    if exact:
        return _order(exact)[:limit]
    fuzzy = []
    for e in entities:
        score = _fuzzy_score(text, e.name)
        if score >= _FUZZY_CUTOFF:
            fuzzy.append(
                Match(e.name, e.kind, round(score, 4), "fuzzy", e.namespace, e.controller_kind)
            )
    return _order(fuzzy)[:limit]


def resolve_entity(
    text: str,
    settings: Settings,
    kinds: Sequence[str] = ENTITY_KINDS,
    *,
    scope: Scope | None = None,
    limit: int = 5,
    semantic: bool = True,
) -> list[Match]:
    """Names of ``kinds`` that ``text`` most likely means, best first; [] if none fits."""
    scope = scope or Scope.everything()
    bad = [k for k in kinds if k not in ENTITY_KINDS]
    if bad:
        from assistant.errors import InputError

        raise InputError(
            f"Unknown entity kind(s) {bad}.", hint=f"Use some of: {', '.join(ENTITY_KINDS)}."
        )
    with reader(settings) as con:
        entities = load_entities(con, scope, kinds)
    found = match_entities(text, entities, limit=limit)
    if found or not semantic or not entities:
        return found
    from assistant.knowledge.index import search

    floor = settings.knowledge.min_semantic_score
    # Filler words ("the", "team", "service") only dilute the query's meaning.
    hits = search(
        settings,
        normalise(text) or text,
        k=limit,
        kind="names",
        scope=scope,
        entity_kinds=tuple(kinds),
    )
    kinds_of = {(e.kind, e.name, e.namespace): e.controller_kind for e in entities}
    return _order(
        [
            Match(
                h.title,
                h.kind,
                round(h.score, 4),
                "semantic",
                h.namespace,
                kinds_of.get((h.kind, h.title, h.namespace)),
            )
            for h in hits
            if h.score >= floor
        ]
    )[:limit]
