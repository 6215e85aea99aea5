"""Finding the FOCUS data files behind the paths a user gives.

Three layouts are understood:

* plain files (``.csv``, ``.csv.gz``/``.gz``, ``.parquet``) and folders of them (recursive);
* AWS Data Exports: ``<export>/metadata/<partition>/<export>-Manifest.json`` whose
  ``dataFiles`` lists S3 URIs of ``<export>/data/<partition>/…`` files (the legacy CUR
  ``reportKeys`` list is read the same way);
* Azure Cost Management exports (FocusCost, partitioned): a ``manifest.json`` beside the
  ``part_*.csv(.gz)``/``.parquet`` files whose ``blobs[].blobName`` lists them.

Where a manifest exists it is the authority: the exporters leave older executions' files
next to the current ones, so files under an export that its manifest does not list are
skipped (and reported), never ingested twice. For Azure, several runs of the same export
and date range keep only the newest run (``runInfo.submittedTime``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from assistant.errors import ImportFileError

__all__ = ["DataFile", "Discovery", "discover", "file_format"]

Format = Literal["csv", "parquet"]
Layout = Literal["file", "aws-data-exports", "azure-export"]


@dataclass(frozen=True)
class DataFile:
    path: Path
    format: Format
    layout: Layout = "file"
    manifest: Path | None = None


@dataclass
class Discovery:
    files: list[DataFile] = field(default_factory=list)
    #: (path, reason) of files seen but deliberately not read
    skipped: list[tuple[str, str]] = field(default_factory=list)


def file_format(path: Path) -> Format | None:
    """csv (also gzip'd) or parquet, from the file name; None for anything else."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz", ".gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _is_manifest(path: Path) -> bool:
    name = path.name.lower()
    return name == "manifest.json" or name.endswith("-manifest.json")


def discover(paths: list[Path]) -> Discovery:
    """Expand ``paths`` into the data files to ingest, in a stable order."""
    if not paths:
        raise ImportFileError("no paths given", file="", hint="Pass FOCUS files or folders.")
    found = Discovery()
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise ImportFileError(
                "no such file or directory",
                file=str(path),
                hint="Check the path; pass FOCUS CSV/Parquet files, folders or export manifests.",
            )
        if path.is_dir():
            _walk(path, found)
        elif _is_manifest(path):
            found.files.extend(_manifest_files(path, _read_manifest(path)))
        else:
            fmt = file_format(path)
            if fmt is None:
                raise ImportFileError(
                    "not a FOCUS data file (expected .csv, .csv.gz or .parquet)",
                    file=str(path),
                )
            found.files.append(DataFile(path.resolve(), fmt))
    # The same file reached twice (a folder and a file inside it) is read once.
    unique: dict[Path, DataFile] = {}
    for f in found.files:
        unique.setdefault(f.path, f)
    found.files = list(unique.values())
    return found


def _walk(folder: Path, found: Discovery) -> None:
    entries = sorted(p for p in folder.rglob("*") if p.is_file())
    manifests = [p for p in entries if _is_manifest(p)]
    covered: list[Path] = []  # export roots whose files only their manifest may list
    listed: set[Path] = set()
    keep, older = _newest_azure_runs(manifests, found)
    covered.extend(_export_root(m, d) for m, d in older)
    for manifest, data in keep:
        files = _manifest_files(manifest, data)
        covered.append(_export_root(manifest, data))
        listed.update(f.path for f in files)
        found.files.extend(files)
    for path in entries:
        if _is_manifest(path) or path.resolve() in listed:
            continue
        fmt = file_format(path)
        if fmt is None:
            found.skipped.append((str(path), "not a .csv, .csv.gz or .parquet file"))
        elif any(path.resolve().is_relative_to(root) for root in covered):
            found.skipped.append((str(path), "under an export whose manifest does not list it"))
        else:
            found.files.append(DataFile(path.resolve(), fmt))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"unreadable export manifest: {exc}", file=str(path)) from exc
    if not isinstance(data, dict) or not (
        isinstance(data.get("dataFiles"), list)
        or isinstance(data.get("reportKeys"), list)
        or isinstance(data.get("blobs"), list)
    ):
        raise ImportFileError(
            "not an AWS Data Exports manifest (no 'dataFiles') nor an Azure export manifest "
            "(no 'blobs')",
            file=str(path),
        )
    return data


Manifests = list[tuple[Path, dict[str, Any]]]


def _newest_azure_runs(manifests: list[Path], found: Discovery) -> tuple[Manifests, Manifests]:
    """All manifests, keeping only the newest Azure run per export and date range.

    Returns (manifests to read, older Azure runs whose files must be skipped).
    """
    keep: Manifests = []
    older: Manifests = []
    newest: dict[tuple[str, str, str], tuple[str, int]] = {}
    for manifest in manifests:
        data = _read_manifest(manifest)
        if "blobs" not in data:
            keep.append((manifest, data))
            continue
        run = data.get("runInfo") or {}
        export = data.get("exportConfig") or {}
        key = (
            str(export.get("resourceId") or export.get("exportName") or manifest.parent.parent),
            str(run.get("startDate", "")),
            str(run.get("endDate", "")),
        )
        stamp = str(run.get("submittedTime", ""))
        if key in newest and newest[key][0] >= stamp:
            found.skipped.append((str(manifest), "an older run of the same Azure export"))
            older.append((manifest, data))
            continue
        if key in newest:
            old = keep[newest[key][1]]
            found.skipped.append((str(old[0]), "an older run of the same Azure export"))
            older.append(old)
            keep[newest[key][1]] = (manifest, data)
            newest[key] = (stamp, newest[key][1])
        else:
            newest[key] = (stamp, len(keep))
            keep.append((manifest, data))
    return keep, older


def _export_root(manifest: Path, data: dict[str, Any]) -> Path:
    """Azure: the manifest's folder. AWS: the export folder above ``metadata/<partition>``."""
    folder = manifest.resolve().parent
    if "blobs" in data:
        return folder
    for parent in [folder, *folder.parents]:
        if parent.name == "metadata":
            return parent.parent
    return folder


def _manifest_files(manifest: Path, data: dict[str, Any]) -> list[DataFile]:
    if "blobs" in data:
        layout: Layout = "azure-export"
        entries = [b.get("blobName") if isinstance(b, dict) else None for b in data["blobs"]]
    else:
        layout = "aws-data-exports"
        entries = list(data.get("dataFiles") or data.get("reportKeys") or [])
    root = _export_root(manifest, data)
    files: list[DataFile] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry:
            raise ImportFileError(f"manifest lists a data file as {entry!r}", file=str(manifest))
        local = _resolve(entry, manifest.resolve().parent, root)
        fmt = file_format(local) if local else None
        if local is None or fmt is None:
            raise ImportFileError(
                f"the manifest lists {entry!r}, but no such data file is under {root}",
                file=str(manifest),
                hint="Copy the whole export folder (data and metadata) before ingesting.",
            )
        files.append(DataFile(local, fmt, layout, manifest.resolve()))
    if not files:
        raise ImportFileError("the export manifest lists no data files", file=str(manifest))
    return files


def _resolve(entry: str, manifest_dir: Path, root: Path) -> Path | None:
    """Find the local copy of a manifest entry (an S3 URI or a blob path)."""
    text = entry.split("://", 1)[1].split("/", 1)[-1] if "://" in entry else entry
    parts = [p for p in PurePosixPath(text).parts if p not in ("/", "")]
    for base in (manifest_dir, root, root.parent):
        for k in range(len(parts), 0, -1):
            candidate = base.joinpath(*parts[-k:])
            if candidate.is_file():
                return candidate.resolve()
    matches = sorted(p for p in root.rglob("*") if parts and p.name == parts[-1])
    return matches[0].resolve() if len(matches) == 1 else None
