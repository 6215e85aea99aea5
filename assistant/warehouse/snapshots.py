"""Published read snapshots: readers never open the file a writer writes.

DuckDB lets one process write a file only while no other process has it open, even
read-only. So every reader (the server answering chats, a CLI `penny ask`, the agent's SQL)
reads a *published snapshot*: a checkpointed, closed copy of the warehouse that nobody
writes again. The writer publishes a new one at the end of every committed write, under its
own lock, and readers pick the newest when they open. A reader therefore never waits for
or blocks a writer, and sees only whole committed writes.

Layout: ``<db>.snapshots/NNNNNNNNNN.duckdb`` (a counter, newest wins) beside a
``NNNNNNNNNN.json`` naming the live file's stamp it was copied from. The newest two are
kept: a reader that picked the older one just before a publish still finds its file, and
an open handle outlives the file's removal anyway (POSIX). A warehouse with no snapshot yet
(written by an older Penny) is read directly, as before, until its next write or until
`penny serve` starts, which publishes one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from assistant.config import Settings

__all__ = ["current_snapshot", "publish", "read_path", "snapshot_dir", "stamp_of"]

_KEEP = 2


def snapshot_dir(settings: Settings) -> Path:
    return settings.db_path.with_name(settings.db_path.name + ".snapshots")


def stamp_of(path: Path) -> list[int]:
    """Identity of a file's contents from its stat: inode, mtime, size (0s if absent)."""
    try:
        st = path.stat()
    except OSError:
        return [0, 0, 0]
    return [st.st_ino, st.st_mtime_ns, st.st_size]


def _published(folder: Path) -> list[Path]:
    try:
        names = [p for p in folder.iterdir() if p.suffix == ".duckdb" and p.stem.isdigit()]
    except OSError:
        return []
    return sorted(names, key=lambda p: int(p.stem))


def current_snapshot(settings: Settings) -> Path | None:
    found = _published(snapshot_dir(settings))
    return found[-1] if found else None


def read_path(settings: Settings) -> Path:
    """The file readers open now: the newest snapshot, else the live warehouse."""
    return current_snapshot(settings) or settings.db_path


def is_current(settings: Settings) -> bool:
    """Whether the newest snapshot was copied from the live file as it is now."""
    snap = current_snapshot(settings)
    if snap is None:
        return False
    try:
        meta = json.loads(snap.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(meta.get("source_stamp") == stamp_of(settings.db_path))


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> Path:
    """Checkpoint the live file and publish a copy of it; the caller holds the writer.

    Holding the writer means no other process can change the file while it is copied, and
    the checkpoint leaves every committed change in the main file (no WAL to carry along).
    The copy is written under a temporary name and renamed, so a reader never opens half
    a snapshot.
    """
    con.execute("CHECKPOINT")
    folder = snapshot_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    existing = _published(folder)
    number = int(existing[-1].stem) + 1 if existing else 1
    final = folder / f"{number:010d}.duckdb"
    tmp = folder / f".{number:010d}.duckdb.tmp"
    shutil.copyfile(settings.db_path, tmp)
    wal = Path(f"{settings.db_path}.wal")
    if wal.exists() and wal.stat().st_size:  # a checkpoint that could not run: carry the WAL
        shutil.copyfile(wal, Path(f"{final}.wal"))
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    final.with_suffix(".json").write_text(
        json.dumps({"source_stamp": stamp_of(settings.db_path)}), encoding="utf-8"
    )
    tmp.rename(final)
    for old in existing[: max(0, len(existing) + 1 - _KEEP)]:
        for p in (old, old.with_suffix(".json"), Path(f"{old}.wal")):
            p.unlink(missing_ok=True)
    return final
