"""Cluster snapshots: the Kubernetes API's objects, trimmed, stored in ``cluster_snapshots``.

``penny snapshot`` takes one (every kind in :data:`KINDS`, one transaction, logged in
``ingest_log`` as kind ``snapshot``); ``cluster_state`` reads the latest one when the
API cannot be reached. Reads filter namespaces in SQL, so a scoped asker never
receives another team's objects.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.config import Settings
from assistant.ingest.log import start_run
from assistant.kube.client import KINDS, connect, list_objects
from assistant.kube.shape import trim
from assistant.warehouse.db import Connection, writer

__all__ = ["SnapshotInfo", "latest_snapshot", "snapshot_objects", "take_snapshot"]


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    cluster: str
    taken_at: datetime  # naive UTC
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "cluster": self.cluster,
            "taken_at": self.taken_at.isoformat() + "Z",
            "counts": self.counts,
        }


def take_snapshot(settings: Settings, context: str | None = None) -> SnapshotInfo:
    """Read every kind from the API, then store them all in one transaction."""
    session = connect(settings, context)
    taken_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    objects = {kind: [trim(o) for o in list_objects(session, kind)] for kind in KINDS}
    snapshot_id = uuid.uuid4().hex
    counts = {kind: len(items) for kind, items in objects.items()}
    with writer(settings) as con:
        run = start_run(con, "snapshot", f"kubernetes-api {session.server} ({session.cluster})")
        rows = [
            (
                snapshot_id,
                session.cluster,
                taken_at,
                kind,
                (o["metadata"].get("namespace") if kind != "Namespace" else None),
                o["metadata"]["name"],
                json.dumps(o),
                run.ingest_id,
            )
            for kind, items in objects.items()
            for o in items
        ]
        if rows:
            con.executemany("INSERT INTO cluster_snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        run.finish(
            len(rows),
            window_start=taken_at,
            window_end=taken_at,
            details={"snapshot_id": snapshot_id, "cluster": session.cluster, "counts": counts},
        )
    return SnapshotInfo(snapshot_id, session.cluster, taken_at, counts)


def latest_snapshot(con: Connection, cluster: str | None = None) -> SnapshotInfo | None:
    """The most recent snapshot (of ``cluster``, if given), or None if there is none."""
    where, params = ("WHERE cluster = ?", [cluster]) if cluster else ("", [])
    row = con.execute(
        f"SELECT snapshot_id, cluster, max(taken_at) AS taken_at FROM cluster_snapshots {where} "
        f"GROUP BY snapshot_id, cluster ORDER BY taken_at DESC LIMIT 1",
        params,
    ).fetchone()
    if row is None:
        return None
    counts = dict(
        con.execute(
            "SELECT kind, count(*) FROM cluster_snapshots WHERE snapshot_id = ? GROUP BY kind",
            [row[0]],
        ).fetchall()
    )
    return SnapshotInfo(row[0], row[1], row[2], counts)


def snapshot_objects(
    con: Connection, snapshot_id: str, kinds: list[str], namespaces: set[str] | None
) -> dict[str, list[dict[str, Any]]]:
    """Objects of ``kinds`` from one snapshot; ``namespaces`` (None = all) filters in SQL.

    Nodes are cluster-wide and only returned when ``namespaces`` is None; a Namespace
    object is visible when its own name is in ``namespaces``.
    """
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    if not kinds:
        return out
    marks = ", ".join("?" for _ in kinds)
    sql = f"SELECT kind, object FROM cluster_snapshots WHERE snapshot_id = ? AND kind IN ({marks})"
    params: list[Any] = [snapshot_id, *kinds]
    if namespaces is not None:
        names = sorted(namespaces) or ["\0"]
        ns_marks = ", ".join("?" for _ in names)
        sql += (
            f" AND ((kind = 'Namespace' AND name IN ({ns_marks})) "
            f"OR (kind NOT IN ('Namespace', 'Node') AND namespace IN ({ns_marks})))"
        )
        params += names + names
    sql += " ORDER BY kind, namespace, name"
    for kind, obj in con.execute(sql, params).fetchall():
        out[kind].append(json.loads(obj) if isinstance(obj, str) else obj)
    return out
