"""The Chroma index under ``$PENNY_HOME/chroma``: knowledge docs and the warehouse's names.

Two collections per embedding model (so switching models never mixes vector spaces):
``docs`` holds markdown chunked by heading (``assistant/knowledge/docs``, shipped in the wheel, plus
files added with ``penny knowledge add``, kept in ``$PENNY_HOME/knowledge``); ``names``
holds one record per namespace, workload, team and app with its describing sentence.

Reindexing is idempotent: chunk ids are derived from source, heading and content, so an
unchanged doc is a no-op and a removed section is deleted. The names collection records
which warehouse ingest it was built from and rebuilds itself when that changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.knowledge.embeddings import PennyEmbeddingFunction, get_embedder
from assistant.knowledge.names import (
    ENTITY_KINDS,
    describe,
    load_entities,
    warehouse_version,
)
from assistant.warehouse.db import reader

__all__ = [
    "Chunk",
    "Hit",
    "IndexStats",
    "add_doc",
    "chunk_markdown",
    "docs_sources",
    "refresh_names",
    "reindex_docs",
    "search",
]

_MAX_CHUNK_CHARS = 1500
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_CLIENTS: dict[str, Any] = {}
_CLIENT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Chunk:
    source: str  # file name, e.g. allocation.md
    title: str  # the document's first heading
    heading: str  # "Title › Section › Subsection"
    text: str

    @property
    def chunk_id(self) -> str:
        digest = hashlib.sha1(f"{self.source}\0{self.heading}\0{self.text}".encode()).hexdigest()
        return f"{self.source}:{digest[:16]}"


@dataclass
class Hit:
    kind: str  # doc | namespace | workload | team | app
    title: str  # doc heading path, or the entity's name
    text: str
    score: float  # cosine similarity, 1 = identical
    source: str | None = None  # doc file
    namespace: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "title": self.title,
            "score": round(self.score, 4),
            "text": self.text,
        }
        if self.source:
            out["source"] = self.source
        if self.namespace:
            out["namespace"] = self.namespace
        return out


@dataclass
class IndexStats:
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    total: int = 0


def chunk_markdown(text: str, source: str) -> list[Chunk]:
    """Split markdown at #, ## and ### headings; long sections split at paragraphs."""
    title = source
    path: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    body: list[str] = []
    in_code = False

    def flush() -> None:
        if "".join(body).strip():
            sections.append((" › ".join(path) or title, list(body)))
        body.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            flush()
            level, heading = len(match.group(1)), match.group(2).strip()
            if level == 1 and title == source:
                title = heading
            path[:] = [*path[: level - 1], heading]
            continue
        body.append(line)
    flush()
    chunks: list[Chunk] = []
    for heading, lines in sections:
        for piece in _split_long("\n".join(lines).strip()):
            chunks.append(Chunk(source=source, title=title, heading=heading, text=piece))
    return chunks


def _split_long(text: str) -> list[str]:
    if len(text) <= _MAX_CHUNK_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", text):
        if current and len(current) + len(para) + 2 > _MAX_CHUNK_CHARS:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        pieces.append(current)
    return pieces


def _repo_docs_dir() -> Path:
    # Shipped as package data, so an installed wheel indexes the same docs as a checkout.
    return Path(__file__).resolve().parent / "docs"


def user_docs_dir(settings: Settings) -> Path:
    return settings.home / "knowledge"


def docs_sources(settings: Settings) -> list[Path]:
    """Markdown files to index: the knowledge docs, then user-added ones."""
    repo_dir = settings.knowledge.docs_dir or _repo_docs_dir()
    files: list[Path] = []
    for folder in (repo_dir, user_docs_dir(settings)):
        if folder.is_dir():
            files.extend(
                sorted(
                    p
                    for p in folder.iterdir()
                    if p.suffix.lower() in {".md", ".markdown"} and p.is_file()
                )
            )
    return files


def _client(settings: Settings) -> Any:
    path = settings.chroma_path
    with _CLIENT_LOCK:
        key = str(path)
        if key not in _CLIENTS:
            path.mkdir(parents=True, exist_ok=True)
            import chromadb  # heavy: only when the index is used
            from chromadb.config import Settings as ChromaSettings

            _CLIENTS[key] = chromadb.PersistentClient(
                path=key, settings=ChromaSettings(anonymized_telemetry=False)
            )
        return _CLIENTS[key]


def _collection(settings: Settings, what: str) -> Any:
    embedder = get_embedder(settings)
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", embedder.model_id).strip("-").lower()
    return _client(settings).get_or_create_collection(
        f"penny-{what}-{slug}"[:60],
        embedding_function=PennyEmbeddingFunction(embedder),
        configuration={"hnsw": {"space": "cosine"}},
    )


def _sync(
    collection: Any,
    records: dict[str, tuple[str, dict[str, Any]]],
    scope_where: dict[str, Any] | None = None,
) -> IndexStats:
    """Make ``collection`` (or its part matching ``scope_where``) hold exactly ``records``."""
    existing = (
        set(collection.get(where=scope_where, include=[])["ids"])
        if scope_where
        else set(collection.get(include=[])["ids"])
    )
    new_ids = [i for i in records if i not in existing]
    stale = sorted(existing - set(records))
    if stale:
        collection.delete(ids=stale)
    for start in range(0, len(new_ids), 64):
        batch = new_ids[start : start + 64]
        collection.add(
            ids=batch,
            documents=[records[i][0] for i in batch],
            metadatas=[records[i][1] for i in batch],
        )
    return IndexStats(
        added=len(new_ids),
        unchanged=len(records) - len(new_ids),
        removed=len(stale),
        total=len(records),
    )


def reindex_docs(settings: Settings) -> IndexStats:
    """Bring the docs collection in line with the markdown on disk (idempotent)."""
    records: dict[str, tuple[str, dict[str, Any]]] = {}
    user_dir = user_docs_dir(settings)
    for path in docs_sources(settings):
        text = _read_markdown(path)
        origin = "user" if path.parent == user_dir else "repo"
        for chunk in chunk_markdown(text, path.name):
            records[chunk.chunk_id] = (
                f"{chunk.heading}\n\n{chunk.text}",
                {
                    "source": chunk.source,
                    "title": chunk.title,
                    "heading": chunk.heading,
                    "origin": origin,
                },
            )
    return _sync(_collection(settings, "docs"), records)


def _read_markdown(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"Cannot read {path} as UTF-8 markdown: {exc}",
            hint="Pass a readable .md file.",
            path=str(path),
        ) from exc


def add_doc(settings: Settings, path: Path) -> IndexStats:
    """Copy a user's markdown file into ``$PENNY_HOME/knowledge`` and index it."""
    path = path.expanduser()
    if not path.is_file():
        raise InputError(f"{path} is not a file.", hint="Pass the path of a markdown file.")
    if path.suffix.lower() not in {".md", ".markdown"}:
        raise InputError(
            f"{path.name} is not markdown (.md or .markdown).",
            hint="Convert it to markdown first.",
            path=str(path),
        )
    text = _read_markdown(path)
    if not chunk_markdown(text, path.name):
        raise InputError(f"{path} has no text to index.", path=str(path))
    target_dir = user_docs_dir(settings)
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target_dir / path.name)
    return reindex_docs(settings)


def _state_path(settings: Settings) -> Path:
    return settings.chroma_path / "penny-names-state.json"


def refresh_names(settings: Settings, *, force: bool = False) -> IndexStats | None:
    """Rebuild the names collection if the warehouse changed since it was built.

    Returns None when it was already current. The index holds every name; scope is applied
    at query time from a scope-filtered SQL read of the warehouse.
    """
    embedder = get_embedder(settings)
    with reader(settings) as con:
        version = f"{warehouse_version(con)}|{embedder.model_id}"
        state_file = _state_path(settings)
        if (
            not force
            and state_file.is_file()
            and json.loads(state_file.read_text()).get("version") == version
        ):
            return None
        entities = load_entities(con, Scope.everything())
    records = {
        e.key: (
            describe(e),
            {"kind": e.kind, "name": e.name, "namespace": e.namespace or "", "key": e.key},
        )
        for e in entities
    }
    collection = _collection(settings, "names")
    # Descriptions change with labels: rewrite every record whose text changed.
    current = collection.get(ids=list(records), include=["documents"]) if records else None
    if current:
        changed = [
            i
            for i, doc in zip(current["ids"], current["documents"], strict=True)
            if records[i][0] != doc
        ]
        if changed:
            collection.delete(ids=changed)
    stats = _sync(collection, records)
    state_file.write_text(json.dumps({"version": version}))
    return stats


def visible_keys(settings: Settings, scope: Scope, kinds: tuple[str, ...]) -> list[str]:
    with reader(settings) as con:
        return [e.key for e in load_entities(con, scope, kinds)]


def search(
    settings: Settings,
    query: str,
    *,
    k: int = 5,
    kind: str = "all",
    scope: Scope | None = None,
    entity_kinds: tuple[str, ...] = ENTITY_KINDS,
) -> list[Hit]:
    """Nearest docs chunks and/or names to ``query``, best first (names limited to scope)."""
    scope = scope or Scope.everything()
    hits: list[Hit] = []
    if kind in {"docs", "all"}:
        docs = _collection(settings, "docs")
        if docs.count() == 0:
            reindex_docs(settings)
        if docs.count():
            res = docs.query(query_texts=[query], n_results=min(k, docs.count()))
            for doc, meta, dist in zip(
                res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            ):
                body = doc.split("\n\n", 1)[-1]
                hits.append(
                    Hit(
                        kind="doc",
                        title=str(meta["heading"]),
                        text=body,
                        score=1.0 - float(dist),
                        source=str(meta["source"]),
                    )
                )
    if kind in {"names", "all"} and settings.db_path.exists():
        refresh_names(settings)
        names = _collection(settings, "names")
        keys = None if scope.admin else visible_keys(settings, scope, entity_kinds)
        where: dict[str, Any] | None
        if keys is not None:
            where = {"key": {"$in": keys}} if keys else None
        else:
            where = (
                {"kind": {"$in": list(entity_kinds)}}
                if set(entity_kinds) != set(ENTITY_KINDS)
                else None
            )
        if names.count() and (keys is None or keys):
            res = names.query(query_texts=[query], n_results=min(k, names.count()), where=where)
            for doc, meta, dist in zip(
                res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            ):
                hits.append(
                    Hit(
                        kind=str(meta["kind"]),
                        title=str(meta["name"]),
                        text=doc,
                        score=1.0 - float(dist),
                        namespace=str(meta["namespace"]) or None,
                    )
                )
    hits.sort(key=lambda h: h.score, reverse=True)
    return hits[:k] if kind == "all" else hits
