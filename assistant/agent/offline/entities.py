"""Which names a question mentions: written out, as a bill alias, misspelt, or by meaning.

:class:`EntityFinder` knows the names the asker may see (namespaces, workloads, teams,
apps, nodes, clusters) and the bill's own values (services, categories, providers,
accounts, regions). ``hits`` finds every name written out in the question, and every
provider-neutral bill alias ("S3", "EKS control plane", "data transfer", "credits",
"spot"). Words no rule claimed are resolved one phrase at a time by ``resolve``: fuzzy
(typos: "stroefront" is storefront) then semantic through the Chroma index ("the
recommender" is recsys-inference). A semantic reading below ``floor`` (calibrated on the
demo, docs/offline-engine.md) is *weak*: it is said to the asker, never used as a filter.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.agent.offline.refs import BILL_KINDS, EntityRef, Hit, Name
from assistant.agent.offline.vocabulary import BILL_ALIASES
from assistant.config import Settings
from assistant.core.placeholders import GLOBAL, NONE, UNKNOWN
from assistant.core.scope import Scope
from assistant.costs.rollup_source import cost_rows
from assistant.knowledge.names import entity_names
from assistant.knowledge.resolve import Match, normalise, resolve_entity
from assistant.warehouse.db import reader
from assistant.warehouse.memo import memo

__all__ = ["FUZZY_FLOOR", "EntityFinder", "Name", "NameIndex", "warehouse_finder", "words"]

#: preference when one written name is several kinds ("payments": team and namespace)
_KIND_ORDER = ("team", "namespace", "workload", "app", "cluster", "node", *BILL_KINDS)
#: fuzzy readings at or above this become filters (stated in the answer); below: weak
FUZZY_FLOOR = 0.8
#: bill values that are ordinary words: only their aliases name them
_GENERIC_VALUES = {"other", "usage", "standard", UNKNOWN, NONE, GLOBAL}

#: bill dimensions whose values are ordinary words ("Storage", "Credit", "Cluster"): a
#: question names them through the aliases in vocabulary.BILL_ALIASES only
_ALIAS_ONLY = ("service_category", "charge_category", "pricing_category", "resource_type")

Semantic = Callable[[str, "str | None"], "EntityRef | None"]


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[tuple[str, int, int]]:
    """The question's words, lowercased, with their character spans."""
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text.lower())]


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


def _aliases(names: Sequence[Name]) -> list[tuple[re.Pattern[str], EntityRef]]:
    """Each bill alias with the value it stands for in this bill, or a 'missing' reading."""
    by_kind: dict[str, list[Name]] = {}
    for n in names:
        if n.kind in BILL_KINDS:
            by_kind.setdefault(n.kind, []).append(n)
    out = []
    for phrase, kind, value, label in BILL_ALIASES:
        hit = next((n for n in by_kind.get(kind, []) if re.search(value, n.name, re.I)), None)
        ref = (
            EntityRef(hit.name, kind, dict(hit.filter), "alias", 1.0)
            if hit
            else EntityRef(label, kind, {}, "missing", 1.0)
        )
        out.append((re.compile(rf"\b(?:{phrase})\b"), ref))
    return out


@dataclass(frozen=True)
class NameIndex:
    """The names of a warehouse prepared for matching: built once per warehouse state.

    Preparing is word-splitting every name (35k at 5k pods), which cost more than the
    rest of an offline answer; the index depends on the names alone, so
    :func:`warehouse_finder` keeps it in the warehouse memo with the names.
    """

    names: tuple[Name, ...]
    aliases: tuple[tuple[re.Pattern[str], EntityRef], ...]
    keys: tuple[tuple[str, Name], ...]

    @classmethod
    def build(cls, names: Sequence[Name]) -> NameIndex:
        kept = tuple(n for n in names if n.name.lower() not in _GENERIC_VALUES)
        keys = []
        for n in kept:
            if n.kind in _ALIAS_ONLY:
                continue
            for key in (n.name, *n.keys):
                split = _WORD.findall(key.lower())  # the words of words(key), spans unneeded
                if split:
                    keys.append((" " + " ".join(split) + " ", n))
        return cls(kept, tuple(_aliases(names)), tuple(keys))


class EntityFinder:
    """Finds the names in a question among ``names``; ``semantic`` resolves by meaning."""

    def __init__(
        self,
        names: Sequence[Name] | NameIndex,
        semantic: Semantic | None = None,
        *,
        floor: float = 0.36,
        hidden: EntityFinder | None = None,
    ):
        index = names if isinstance(names, NameIndex) else NameIndex.build(names)
        self.names: Sequence[Name] = index.names
        self.semantic = semantic
        self.floor = floor
        #: every name in the warehouse (scoped askers): one outside the scope is said to be
        #: "not visible to you", never answered with a total for something else
        self.hidden = hidden
        self.aliases = index.aliases
        self._keys = index.keys

    def hits(self, text: str) -> list[Hit]:
        """Every name and bill alias written out in ``text`` (overlaps included)."""
        ws = words(text)
        joined = " " + " ".join(w for w, _, _ in ws) + " "
        starts = {}  # character offset in ``joined`` -> word index
        pos = 1
        for i, (w, _, _) in enumerate(ws):
            starts[pos] = i
            pos += len(w) + 1
        found: list[Hit] = []
        for key, n in self._keys:
            at = joined.find(key)
            while at >= 0:
                first = starts.get(at + 1)
                if first is not None:
                    last = first + len(key.split()) - 1
                    phrase = text[ws[first][1] : ws[last][2]]
                    found.append(Hit(ws[first][1], ws[last][2], _ref(n, "exact", 1.0, phrase)))
                at = joined.find(key, at + 1)
        lowered = text.lower()
        for pattern, ref in self.aliases:
            for m in pattern.finditer(lowered):
                phrase = text[m.start() : m.end()]
                found.append(Hit(m.start(), m.end(), _with_phrase(ref, phrase)))
        if self.hidden is not None:
            seen = {(h.start, h.end) for h in found}
            found += [
                Hit(h.start, h.end, replace(h.ref, how="not_visible", filter={}))
                for h in self.hidden.hits(text)
                if not h.ref.is_bill and (h.start, h.end) not in seen
            ]
        return found

    def fuzzy(self, phrase: str, kind_hint: str | None) -> EntityRef | None:
        """The closest written-out name to a misspelt phrase (best ratio, kind hint first)."""
        q = normalise(phrase).replace(" ", "")
        if len(q) < 4:
            return None
        best: tuple[float, int, Name] | None = None
        for n in self.names:
            if n.kind in ("node",) or n.kind in BILL_KINDS:
                continue
            cand = normalise(n.name).replace(" ", "")
            ratio = difflib.SequenceMatcher(None, q, cand).ratio()
            parts = normalise(n.name).split()
            if len(q) >= 5 and (parts[0] == q or q in parts):
                ratio = max(ratio, 0.9)  # "ledger" for ledger-worker
            hinted = 0 if kind_hint and n.kind == kind_hint else 1
            key = (ratio, -hinted, n)
            if best is None or key[:2] > best[:2]:
                best = key
        if best is None or best[0] < 0.75:
            return None
        return _ref(best[2], "fuzzy", round(best[0], 4), phrase)

    def resolve(self, phrase: str, kind_hint: str | None) -> EntityRef | None:
        """A phrase no rule claimed: fuzzy first, then by meaning; None if nothing fits."""
        found = self.fuzzy(phrase, kind_hint)
        if found is None and self.semantic is not None:
            found = self.semantic(phrase, kind_hint)
        return found

    def is_weak(self, ref: EntityRef) -> bool:
        """A reading too unsure to filter by (said to the asker instead)."""
        if ref.how == "fuzzy":
            return ref.score < FUZZY_FLOOR
        if ref.how == "semantic":
            return ref.score < self.floor
        return False

    def __call__(self, text: str, kind_hint: str | None) -> EntityRef | None:
        """The one name ``text`` (a side of "A vs B") refers to, if any."""
        hits = [h for h in self.hits(text) if not h.ref.is_bill]
        if hits:

            def rank(h: Hit) -> tuple[int, int, int]:
                hinted = 0 if kind_hint and h.ref.kind == kind_hint else 1
                order = _KIND_ORDER.index(h.ref.kind) if h.ref.kind in _KIND_ORDER else 99
                return (-(h.end - h.start), hinted, order)

            return sorted(hits, key=rank)[0].ref
        from assistant.agent.offline.reading import Reading

        reading = Reading(text)
        reading.mark_cues()
        leftover = " ".join(w for run in reading.runs() for w in run.words if w not in _KIND_WORDS)
        if not leftover or len(leftover.split()) > 3:
            return None
        found = self.resolve(leftover, kind_hint)
        return None if found is None or self.is_weak(found) else found


_KIND_WORDS = {
    "team",
    "teams",
    "namespace",
    "namespaces",
    "ns",
    "app",
    "apps",
    "workload",
    "workloads",
    "cluster",
    "clusters",
    "node",
    "nodes",
    "cost",
    "costs",
    "spend",
    "spent",
    "compare",
    "vs",
    "versus",
}


def _with_phrase(ref: EntityRef, phrase: str) -> EntityRef:
    return EntityRef(
        ref.name, ref.kind, dict(ref.filter), ref.how, ref.score, phrase, ref.namespace
    )


def _load_names(settings: Settings, scope: Scope) -> tuple[Name, ...]:
    """The names ``scope`` may see, read once per warehouse state (``assistant.warehouse.memo``)."""
    key = ("offline-names", scope.admin, tuple(scope.teams), tuple(scope.namespaces))
    return memo(settings, key, lambda: tuple(_read_names(settings, scope)))


def _name_index(settings: Settings, scope: Scope) -> NameIndex:
    """:func:`_load_names` prepared for matching, kept as long as the names are."""
    key = ("offline-name-index", scope.admin, tuple(scope.teams), tuple(scope.namespaces))
    return memo(settings, key, lambda: NameIndex.build(_load_names(settings, scope)))


_BILL_NAMED = ("service", "service_category", "charge_category", "pricing_category")
_BILL_NAMED_ADMIN = ("provider", "billing_account", "sub_account", "region", "resource_type")


def _read_names(settings: Settings, scope: Scope) -> list[Name]:
    from assistant.billing.lines import bill_values

    out: list[Name] = []
    with reader(settings) as con:
        for e in entity_names(con, scope):
            m = Match(e.name, e.kind, 1.0, "exact", e.namespace, e.controller_kind)
            out.append(Name(e.name, e.kind, m.cost_filter, e.namespace, e.controller_kind))
        scope_sql, params = scope.sql_filter("team", "namespace")
        source, source_params = cost_rows(con)
        for dim in ("node", "cluster"):
            rows = con.execute(
                f"SELECT DISTINCT {dim} FROM {source} a WHERE kind = 'workload' AND "
                f"{dim} IS NOT NULL AND ({scope_sql})",
                [*source_params, *params],
            ).fetchall()
            out.extend(Name(r[0], dim, {dim: r[0]}) for r in rows)
        # the bill's own values: what a service or category is called is not a secret, but
        # accounts and regions are only offered to those who may read the bill
        for dim in _BILL_NAMED + (_BILL_NAMED_ADMIN if scope.admin else ()):
            out.extend(Name(v, dim, {dim: v}) for v in bill_values(con, dim))
    return out


def warehouse_finder(settings: Settings, scope: Scope) -> EntityFinder:
    """A finder over the names ``scope`` may see, with Chroma as the last resort."""
    if not settings.db_path.exists():
        return EntityFinder([])
    names = _load_names(settings, scope)
    index = _name_index(settings, scope)
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

    hidden = None if scope.admin else EntityFinder(_name_index(settings, Scope.everything()))
    return EntityFinder(index, semantic, floor=settings.knowledge.filter_floor, hidden=hidden)
