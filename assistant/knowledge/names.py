"""The warehouse's names (namespaces, workloads, teams, apps), with text that describes them.

People say "the recommender" or "payments"; the warehouse says ``recsys-api`` and
``payments-prod``. Each entity gets a sentence built from its labels, owner and the
words inside its name (with common abbreviations spelled out), so exact, fuzzy and
semantic matching have something to match against. Reading is scope-filtered in SQL:
a team only ever sees names from its own namespaces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.core.placeholders import IDLE, UNALLOCATED, UNLABELED, UNMOUNTED
from assistant.core.scope import Scope
from assistant.costs.rollup_source import cost_rows
from assistant.warehouse.db import Connection

__all__ = [
    "ENTITY_KINDS",
    "Entity",
    "EntityName",
    "describe",
    "entity_names",
    "load_entities",
    "visible_namespaces",
    "warehouse_version",
]

ENTITY_KINDS = ("namespace", "workload", "team", "app")

#: abbreviations seen in workload names, spelled out for the embedding model
_ABBREVIATIONS = {
    "recsys": "recommender system recommendations",
    "rec": "recommendations",
    "reco": "recommender",
    "api": "API service",
    "svc": "service",
    "db": "database",
    "pg": "postgres database",
    "ml": "machine learning",
    "etl": "data pipeline",
    "auth": "authentication login",
    "pay": "payments",
    "inf": "inference",
    "infer": "inference",
    "fe": "frontend",
    "be": "backend",
    "ui": "user interface web",
    "mq": "message queue",
    "k8s": "kubernetes",
    "obs": "observability monitoring",
    "mon": "monitoring",
    "ns": "namespace",
    "notif": "notifications",
    "img": "images",
    "llm": "large language model",
    "gpu": "GPU accelerator",
    "nb": "notebook",
    "jupyter": "notebook",
    "jupyterhub": "notebook server",
    "singleuser": "notebook",
    "cron": "scheduled job",
    "batch": "batch jobs",
}
_INTERNAL = (IDLE, UNALLOCATED, UNLABELED, UNMOUNTED)


@dataclass
class Entity:
    """One name a question may refer to."""

    kind: str  # namespace | workload | team | app
    name: str
    namespace: str | None = None  # the workload's namespace; a namespace's own name
    controller_kind: str | None = None
    teams: set[str] = field(default_factory=set)
    apps: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        ns = self.namespace if self.kind == "workload" else ""
        return f"{self.kind}:{ns}:{self.name}"


def _words(name: str) -> str:
    parts = [p for p in re.split(r"[-_./:\s]+", name.lower()) if p]
    spelled = [f"{p} {_ABBREVIATIONS[p]}" if p in _ABBREVIATIONS else p for p in parts]
    return " ".join(spelled)


def describe(entity: Entity) -> str:
    """The sentence that represents an entity in the semantic index."""
    bits: list[str] = []
    if entity.kind == "workload":
        kind = entity.controller_kind or "workload"
        bits.append(f"{kind} workload {entity.name} in namespace {entity.namespace}")
    elif entity.kind == "namespace":
        bits.append(f"Kubernetes namespace {entity.name}")
    elif entity.kind == "team":
        bits.append(f"team {entity.name}")
    else:
        bits.append(f"application {entity.name}")
    bits.append(f"({_words(entity.name)})")
    if entity.teams and entity.kind != "team":
        bits.append("owned by team " + ", ".join(sorted(entity.teams)))
    if entity.apps and entity.kind != "app":
        bits.append("app " + ", ".join(sorted(entity.apps)))
    if entity.namespaces and entity.kind in {"team", "app"}:
        bits.append("runs in namespaces " + ", ".join(sorted(entity.namespaces)[:8]))
    interesting = {
        k: v
        for k, v in entity.labels.items()
        if not k.endswith(("pod-template-hash", "controller-revision-hash"))
    }
    if interesting:
        labels = "; ".join(
            f"{k.rsplit('/', 1)[-1]} {_words(v)}" for k, v in sorted(interesting.items())[:12]
        )
        bits.append(f"labels: {labels}")
    return ". ".join(bits)


def warehouse_version(con: Connection) -> str:
    """Identity of the warehouse's latest ingest; the names index refreshes when it changes."""
    row = con.execute(
        "SELECT count(*), max(finished_at)::VARCHAR, max(ingest_id) FROM ingest_log"
    ).fetchone()
    return f"{row[0]}|{row[1]}|{row[2]}" if row else "0||"


def _labels(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def visible_namespaces(con: Connection, scope: Scope) -> set[str] | None:
    """Namespaces the scope may see (None = all): its own, and its teams' from allocations
    and namespace ``team`` labels."""
    if scope.admin:
        return None
    found = set(scope.namespaces)
    if scope.teams:
        marks = ", ".join("?" for _ in scope.teams)
        source, params = cost_rows(con)
        rows = con.execute(
            f"SELECT DISTINCT namespace FROM {source} a WHERE kind = 'workload' "
            f"AND team IN ({marks})",
            [*params, *scope.teams],
        ).fetchall()
        found.update(r[0] for r in rows if r[0])
        rows = con.execute(
            f"SELECT namespace FROM k8s_namespaces WHERE json_extract_string(labels, '$.team') "
            f"IN ({marks})",
            scope.teams,
        ).fetchall()
        found.update(r[0] for r in rows if r[0])
    return found


def _ns_clause(visible: set[str] | None, column: str = "namespace") -> tuple[str, list[Any]]:
    if visible is None:
        return "TRUE", []
    if not visible:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' for _ in visible)})", sorted(visible)


@dataclass(frozen=True)
class EntityName:
    """What names an entity (no labels, teams or apps): what matching a question needs."""

    kind: str
    name: str
    namespace: str | None
    controller_kind: str | None


def _entity_key(kind: str, name: str, namespace: str | None) -> str:
    """:attr:`Entity.key` without building an Entity (5k pods: 20k lookups per read)."""
    return f"{kind}:{namespace if kind == 'workload' else ''}:{name}"


@dataclass(frozen=True)
class _Sources:
    """The three reads every entity comes from, for one scope: workloads with cost
    (namespace, controller kind, workload, team, app), namespaces (namespace, labels) and
    pods' workloads (namespace, controller kind, workload, labels). A bare pod (no
    controller, e.g. a notebook) is its own workload, kind Pod."""

    alloc: list[tuple[Any, ...]]
    namespaces: list[tuple[Any, ...]]
    pods: list[tuple[Any, ...]]


def _sources(con: Connection, scope: Scope, *, labels: bool) -> _Sources:
    visible = visible_namespaces(con, scope)
    ns_sql, ns_params = _ns_clause(visible)
    scope_sql, scope_params = scope.sql_filter("team", "namespace")
    source, params = cost_rows(con)  # whole days from the daily rollups
    alloc = con.execute(
        f"SELECT DISTINCT namespace, coalesce(controller_kind, 'Pod'), "
        f"coalesce(controller_name, pod), team, app "
        f"FROM {source} a WHERE kind = 'workload' AND ({scope_sql})",
        [*params, *scope_params],
    ).fetchall()
    label = "labels" if labels else "NULL"
    namespaces = con.execute(
        f"SELECT namespace, {label} FROM k8s_namespaces WHERE {ns_sql}", ns_params
    ).fetchall()
    pods = con.execute(
        f"SELECT namespace, any_value(coalesce(controller_kind, 'Pod')), "
        f"coalesce(controller_name, pod) AS workload, any_value({label}) "
        f"FROM k8s_pods WHERE {ns_sql} GROUP BY namespace, workload",
        ns_params,
    ).fetchall()
    return _Sources(alloc, namespaces, pods)


def entity_names(con: Connection, scope: Scope) -> list[EntityName]:
    """The entities :func:`load_entities` finds for ``scope``, by name only, in its order.

    The offline engine reads every name after each write to answer its next question;
    building full :class:`Entity` objects (label sets, parsed label JSON) for 5k workloads
    was most of that. The same sources and rules (``_sources``); a test holds the two
    equal on the demo for three scopes."""
    src = _sources(con, scope, labels=False)
    found: dict[str, list[Any]] = {}  # Entity.key -> [kind, name, namespace, controller kind]

    def get(kind: str, name: str, namespace: str | None) -> list[Any]:
        key = _entity_key(kind, name, namespace)
        row = found.get(key)
        if row is None:
            row = found[key] = [kind, name, namespace, None]
        return row

    for namespace, ckind, cname, team, app in src.alloc:
        if not namespace or namespace in _INTERNAL:
            continue
        get("namespace", namespace, namespace)
        if cname and cname not in _INTERNAL:
            row = get("workload", cname, namespace)
            if ckind:
                row[3] = ckind
        if team and team not in _INTERNAL:
            get("team", team, None)
        if app and app not in _INTERNAL:
            get("app", app, None)
    for namespace, _ in src.namespaces:
        get("namespace", namespace, namespace)
    for namespace, ckind, cname, _ in src.pods:
        row = get("workload", cname, namespace)
        row[3] = row[3] or ckind
        get("namespace", namespace, namespace)
    return [EntityName(*found[k]) for k in sorted(found)]


def load_entities(
    con: Connection, scope: Scope, kinds: Iterable[str] = ENTITY_KINDS
) -> list[Entity]:
    """Every entity of ``kinds`` visible to ``scope``, merged from inventory and allocations."""
    wanted = set(kinds)
    src = _sources(con, scope, labels=True)
    out: dict[str, Entity] = {}

    def get(kind: str, name: str, namespace: str | None = None) -> Entity:
        key = _entity_key(kind, name, namespace)
        ent = out.get(key)
        if ent is None:
            ent = out[key] = Entity(kind=kind, name=name, namespace=namespace)
        return ent

    for namespace, ckind, cname, team, app in src.alloc:
        if not namespace or namespace in _INTERNAL:
            continue
        team = team if team and team not in _INTERNAL else None
        app = app if app and app not in _INTERNAL else None
        groups = [("namespace", namespace, namespace)]
        if cname and cname not in _INTERNAL:
            groups.append(("workload", cname, namespace))
        if team:
            groups.append(("team", team, None))
        if app:
            groups.append(("app", app, None))
        for kind, name, ns in groups:
            ent = get(kind, name, ns)
            ent.namespaces.add(namespace)
            if kind == "workload" and ckind:
                ent.controller_kind = ckind
            if team:
                ent.teams.add(team)
            if app:
                ent.apps.add(app)
    for namespace, labels in src.namespaces:
        ent = get("namespace", namespace, namespace)
        ent.namespaces.add(namespace)
        ent.labels.update(_labels(labels))
        if ent.labels.get("team"):
            ent.teams.add(ent.labels["team"])
    for namespace, ckind, cname, labels in src.pods:
        ent = get("workload", cname, namespace)
        ent.namespaces.add(namespace)
        ent.controller_kind = ent.controller_kind or ckind
        ent.labels.update(_labels(labels))
        get("namespace", namespace, namespace).namespaces.add(namespace)
    return sorted((e for e in out.values() if e.kind in wanted), key=lambda e: e.key)
