"""Which warehouse name a question is about: exact words first, then fuzzy, then Chroma.

:class:`EntityFinder` scans the question for any visible name (namespaces, workloads,
teams, apps, nodes, clusters) written out, so "the payments team" finds team
``payments`` without guessing which words form the name. When no name is written out
it falls back to the words left after dropping question words, and resolves them with
:func:`assistant.knowledge.resolve.resolve_entity` (fuzzy, then semantic through the
Chroma index), so "the recommender" finds ``recsys-api``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.agent.offline.intents import EntityRef
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.knowledge.names import load_entities
from assistant.knowledge.resolve import Match, resolve_entity
from assistant.warehouse.db import reader
from assistant.warehouse.memo import memo

__all__ = ["EntityFinder", "Name", "warehouse_finder"]

#: preference when one written name is several kinds ("payments": team and namespace)
_KIND_ORDER = ("team", "namespace", "workload", "app", "cluster", "node")

#: kinds whose query_costs filter takes the bare name (and the tool checks it)
_CHECKABLE = ("team", "namespace", "app", "cluster", "node")

#: words that never name anything by themselves
_STOP_WORDS = """
a about above across after again against all also am an and any anything are as at be
been before being below between both but by can cost costs costing could did do does
doing down during each few for from had has have having he her here hers how i if in
into is it its itself just last me more most much my no nor not now of off on once only
or other our ours out over own past same she should show so some spend spent spending
such than that the their them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you
your total month week day days weeks months year quarter much money dollars pay paid
run running cluster clusters team teams namespace namespaces app apps workload workloads
service services bill tell give list please us let know cost? me? vs versus compare
compared breakdown break top biggest largest expensive costliest highest lowest kubernetes
k8s cloud aws infra infrastructure penny pod pods node nodes container containers env
envs environment environments controller controllers deployment deployments job jobs
cronjob cronjobs statefulset statefulsets label labels per each by share cost center
centers grouped group split most least rank ranked ranking daily weekly monthly trend
trends trending over time series timeline
"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Name:
    name: str
    kind: str
    filter: dict[str, str]
    namespace: str | None = None
    controller_kind: str | None = None


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _ref(name: Name, how: str, score: float, phrase: str) -> EntityRef:
    return EntityRef(
        name.name,
        name.kind,
        dict(name.filter),
        how,
        score,
        phrase,
        name.namespace,
        name.controller_kind,
    )


class EntityFinder:
    """Finds the entity a question names among ``names``; ``semantic`` resolves leftovers."""

    def __init__(
        self,
        names: Sequence[Name],
        semantic: Callable[[str, str | None], EntityRef | None] | None = None,
        hidden: EntityFinder | None = None,
    ):
        self.names = list(names)
        self.semantic = semantic
        #: every name in the warehouse, for saying "not visible to you" instead of
        #: silently answering for something else
        self.hidden = hidden

    def __call__(self, text: str, kind_hint: str | None) -> EntityRef | None:
        found = self._visible(text, kind_hint)
        if found is not None and found.how != "unresolved":
            return found
        if self.hidden is not None:
            other = self.hidden._exact(text, kind_hint)
            if other is not None:
                return replace(other, how="not_visible", filter={})
        return found

    def _exact(self, text: str, kind_hint: str | None) -> EntityRef | None:
        words = _words(text)
        joined = " " + " ".join(words) + " "
        hits: list[tuple[int, int, Name]] = []
        for n in self.names:
            key = " " + " ".join(_words(n.name)) + " "
            if key.strip() and key in joined:
                hits.append((len(key), joined.index(key), n))
        if hits:

            def rank(hit: tuple[int, int, Name]) -> tuple[int, int, int]:
                length, _, n = hit
                hinted = 0 if kind_hint and n.kind == kind_hint else 1
                return (-length, hinted, _KIND_ORDER.index(n.kind) if n.kind in _KIND_ORDER else 9)

            best = sorted(hits, key=rank)[0][2]
            return _ref(best, "exact", 1.0, best.name)
        return None

    def _visible(self, text: str, kind_hint: str | None) -> EntityRef | None:
        exact = self._exact(text, kind_hint)
        if exact is not None:
            return exact
        words = _words(text)
        leftover = " ".join(w for w in words if w not in _STOP and not w.isdigit())
        if not leftover or len(leftover.split()) > 4:
            return None
        found = self.semantic(leftover, kind_hint) if self.semantic else None
        if found is None and kind_hint in _CHECKABLE:
            # "team xyz": a name of a known kind that matches nothing. Pass it on as written
            # so the tool says it does not exist and suggests the closest names.
            return EntityRef(
                leftover, kind_hint, {kind_hint: leftover}, "unresolved", 0.0, leftover
            )
        token = _name_token(text) if found is None else None
        if token is not None:
            # "what did foo-bar-baz cost?": a name that names nothing is said out loud,
            # never dropped for the whole bill
            return EntityRef(token, "name", {}, "unresolved", 0.0, token)
        return found


#: words joined by - _ . as Kubernetes names are ("foo-bar-baz", "api_v2", "web.1")
_NAME_TOKEN = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")
#: hyphenated words of ordinary English that are not names
_COMMON_PARTS = frozenset(
    {
        "on",
        "demand",
        "over",
        "date",
        "to",
        "year",
        "week",
        "day",
        "month",
        "per",
        "based",
        "wide",
        "term",
        "time",
        "level",
        "end",
        "long",
        "short",
        "real",
        "self",
        "e",
        "g",
        "i",
        "x",
        "vs",
        "non",
        "pre",
        "re",
        "co",
    }
)


def _name_token(text: str) -> str | None:
    """A token written like a Kubernetes name ("foo-bar-baz"), not an ordinary word: the
    question names something even when nothing by that name exists."""
    for token in _NAME_TOKEN.findall(text.lower()):
        parts = re.split(r"[-_.]", token)
        if any(ch.isalpha() for ch in token) and not all(
            p in _COMMON_PARTS or p in _STOP or p.isdigit() for p in parts
        ):
            return token
    return None


def _load_names(settings: Settings, scope: Scope) -> tuple[Name, ...]:
    """The names ``scope`` may see, read once per warehouse state (``assistant.warehouse.memo``)."""
    key = ("offline-names", scope.admin, tuple(scope.teams), tuple(scope.namespaces))
    return memo(settings, key, lambda: tuple(_read_names(settings, scope)))


def _read_names(settings: Settings, scope: Scope) -> list[Name]:
    out: list[Name] = []
    with reader(settings) as con:
        for e in load_entities(con, scope):
            m = Match(e.name, e.kind, 1.0, "exact", e.namespace, e.controller_kind)
            out.append(Name(e.name, e.kind, m.cost_filter, e.namespace, e.controller_kind))
        scope_sql, params = scope.sql_filter("team", "namespace")
        for dim in ("node", "cluster"):
            rows = con.execute(
                f"SELECT DISTINCT {dim} FROM allocations WHERE kind = 'workload' AND "
                f"{dim} IS NOT NULL AND ({scope_sql})",
                params,
            ).fetchall()
            out.extend(Name(r[0], dim, {dim: r[0]}) for r in rows)
    return out


def warehouse_finder(settings: Settings, scope: Scope) -> EntityFinder:
    """A finder over the names ``scope`` may see, with Chroma as the last resort."""
    if not settings.db_path.exists():
        return EntityFinder([])
    names = _load_names(settings, scope)
    by_key = {(n.kind, n.name, n.namespace): n for n in names}

    def semantic(phrase: str, kind_hint: str | None) -> EntityRef | None:
        kinds: tuple[str, ...] = ("namespace", "workload", "team", "app")
        if kind_hint in kinds:
            kinds = (kind_hint,)
        # The names index is rebuilt from the warehouse, so the match depends only on the
        # warehouse state, the phrase, the kinds, the scope and the score floor.
        key = (
            "offline-semantic",
            phrase,
            kinds,
            scope.admin,
            tuple(scope.teams),
            tuple(scope.namespaces),
            settings.knowledge.min_semantic_score,
            settings.knowledge.embeddings,
            str(settings.chroma_path),
        )
        found = memo(
            settings,
            key,
            lambda: tuple(resolve_entity(phrase, settings, kinds, scope=scope, limit=1)),
        )
        if not found:
            return None
        m = found[0]
        name = by_key.get((m.kind, m.name, m.namespace)) or Name(
            m.name, m.kind, m.cost_filter, m.namespace, m.controller_kind
        )
        return _ref(name, m.how, m.score, phrase)

    hidden = None if scope.admin else EntityFinder(_load_names(settings, Scope.everything()))
    return EntityFinder(names, semantic, hidden)
