"""Finding the FOCUS data files behind the paths and URLs a user gives.

Three layouts are understood, on the local disk and in object stores alike (the same code
walks an fsspec filesystem, :mod:`assistant.ingest.stores`):

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

Files in an object store are downloaded (:func:`localize`) to a temporary folder before
they are read; ``DataFile.origin`` keeps their URL for reports and ``source_file``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from fsspec import AbstractFileSystem

from assistant.errors import ImportFileError
from assistant.ingest.stores import filesystem, is_url, store_error

__all__ = ["DataFile", "Discovery", "discover", "file_format", "localize"]

Format = Literal["csv", "parquet"]
Layout = Literal["file", "aws-data-exports", "azure-export"]


@dataclass(frozen=True)
class DataFile:
    #: the local file read (for an object store: its location until ``localize`` runs)
    path: Path
    format: Format
    layout: Layout = "file"
    manifest: str | None = None
    #: where it came from when that is not ``path`` (an object-store URL)
    origin: str | None = None
    #: the store's version of the object (ETag), when it has one
    etag: str | None = None

    @property
    def source(self) -> str:
        return self.origin or str(self.path)


@dataclass
class Discovery:
    files: list[DataFile] = field(default_factory=list)
    #: (path, reason) of files seen but deliberately not read
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: the object store the files are in (None: the local disk)
    fs: AbstractFileSystem | None = None
    #: manifest → its ETag (or local mtime), for sync's watermarks
    manifests: dict[str, str] = field(default_factory=dict)


def file_format(path: PurePosixPath | Path | str) -> Format | None:
    """csv (also gzip'd) or parquet, from the file name; None for anything else."""
    name = PurePosixPath(str(path)).name.lower()
    if name.endswith((".csv", ".csv.gz", ".gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _is_manifest(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name == "manifest.json" or name.endswith("-manifest.json")


class _Tree:
    """One filesystem seen as sorted '/'-separated paths; remote listings are cached."""

    def __init__(self, fs: AbstractFileSystem, url: str | None) -> None:
        self.fs, self.url = fs, url
        self.remote = url is not None
        self.known: dict[str, dict[str, Any]] = {}
        self.listed: list[str] = []  # roots whose every file is in ``known``

    def norm(self, path: str) -> str:
        return path.rstrip("/") if self.remote else str(Path(path).expanduser().resolve())

    def display(self, path: str) -> str:
        return str(self.fs.unstrip_protocol(path)) if self.remote else path

    def files(self, root: str) -> list[str]:
        found = self.fs.find(root, detail=True)
        self.known.update(found)
        self.listed.append(root)
        return sorted((p for p, info in found.items() if info.get("type") != "directory"), key=_key)

    def is_file(self, path: str) -> bool:
        if path in self.known:
            return True
        if self.remote and any(_under(path, root) for root in self.listed):
            return False  # listed already: no request per guessed location
        return bool(self.fs.isfile(path)) if self.remote else Path(path).is_file()

    def etag(self, path: str) -> str:
        info = self.known.get(path) or self.fs.info(path)
        tag = info.get("ETag") or info.get("etag") or info.get("md5Hash") or info.get("mtime")
        return str(tag or info.get("size", ""))

    def read_text(self, path: str) -> str:
        data: bytes = self.fs.cat_file(path)
        return data.decode("utf-8-sig")

    def data_file(
        self, path: str, fmt: Format, layout: Layout = "file", manifest: str | None = None
    ) -> DataFile:
        if not self.remote:
            return DataFile(Path(path), fmt, layout, manifest)
        return DataFile(
            Path(path),
            fmt,
            layout,
            self.display(manifest) if manifest else None,
            origin=self.display(path),
            etag=self.etag(path),
        )


def _key(path: str) -> tuple[str, ...]:
    return PurePosixPath(path).parts


def discover(paths: list[Path] | list[str] | list[Path | str]) -> Discovery:
    """Expand ``paths`` (local paths or object-store URLs of one store) into data files."""
    if not paths:
        raise ImportFileError("no paths given", file="", hint="Pass FOCUS files or folders.")
    urls = [str(p) for p in paths if is_url(str(p))]
    if urls and len(urls) != len(paths):
        raise ImportFileError(
            "mix of object-store URLs and local paths",
            file=", ".join(str(p) for p in paths),
            hint="Ingest the URLs and the local paths in two commands.",
        )
    fs, _ = filesystem(urls[0] if urls else None)
    tree = _Tree(fs, urls[0] if urls else None)
    found = Discovery(fs=fs if tree.remote else None)
    try:
        for raw in paths:
            _discover_one(tree, str(raw), found)
    except (OSError, ValueError) as exc:
        if not tree.remote or isinstance(exc, json.JSONDecodeError):
            raise
        raise store_error(", ".join(urls), exc) from exc
    # The same file reached twice (a folder and a file inside it) is read once.
    unique: dict[str, DataFile] = {}
    for f in found.files:
        unique.setdefault(f.source, f)
    found.files = list(unique.values())
    return found


def _discover_one(tree: _Tree, raw: str, found: Discovery) -> None:
    path = tree.norm(tree.fs._strip_protocol(raw) if tree.remote else raw)
    shown = raw if tree.remote else path
    if not tree.fs.exists(path):
        raise ImportFileError(
            "no such file or directory",
            file=shown if tree.remote else str(Path(raw).expanduser()),
            hint="Check the path; pass FOCUS CSV/Parquet files, folders or export manifests.",
        )
    if tree.fs.isdir(path):
        _walk(tree, path, found)
    elif _is_manifest(path):
        found.files.extend(_manifest_files(tree, path, _read_manifest(tree, path)))
        found.manifests[tree.display(path)] = tree.etag(path)
    else:
        fmt = file_format(path)
        if fmt is None:
            raise ImportFileError(
                "not a FOCUS data file (expected .csv, .csv.gz or .parquet)", file=shown
            )
        found.files.append(tree.data_file(path, fmt))


def _walk(tree: _Tree, folder: str, found: Discovery) -> None:
    entries = tree.files(folder)
    manifests = [p for p in entries if _is_manifest(p)]
    covered: list[str] = []  # export roots whose files only their manifest may list
    listed: set[str] = set()
    keep, older = _newest_azure_runs(tree, manifests, found)
    covered.extend(_export_root(m, d) for m, d in older)
    for manifest, data in keep:
        files = _manifest_files(tree, manifest, data)
        found.manifests[tree.display(manifest)] = tree.etag(manifest)
        covered.append(_export_root(manifest, data))
        listed.update(str(f.path) for f in files)
        found.files.extend(files)
    for path in entries:
        if _is_manifest(path) or path in listed:
            continue
        fmt = file_format(path)
        if fmt is None:
            found.skipped.append((tree.display(path), "not a .csv, .csv.gz or .parquet file"))
        elif any(_under(path, root) for root in covered):
            found.skipped.append(
                (tree.display(path), "under an export whose manifest does not list it")
            )
        else:
            found.files.append(tree.data_file(path, fmt))


def _under(path: str, root: str) -> bool:
    return PurePosixPath(path).is_relative_to(PurePosixPath(root))


def _read_manifest(tree: _Tree, path: str) -> dict[str, Any]:
    try:
        data = json.loads(tree.read_text(path))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(
            f"unreadable export manifest: {exc}", file=tree.display(path)
        ) from exc
    except OSError as exc:
        if tree.remote:
            raise
        raise ImportFileError(f"unreadable export manifest: {exc}", file=path) from exc
    if not isinstance(data, dict) or not (
        isinstance(data.get("dataFiles"), list)
        or isinstance(data.get("reportKeys"), list)
        or isinstance(data.get("blobs"), list)
    ):
        raise ImportFileError(
            "not an AWS Data Exports manifest (no 'dataFiles') nor an Azure export manifest "
            "(no 'blobs')",
            file=tree.display(path),
        )
    return data


Manifests = list[tuple[str, dict[str, Any]]]


def _newest_azure_runs(
    tree: _Tree, manifests: list[str], found: Discovery
) -> tuple[Manifests, Manifests]:
    """All manifests, keeping only the newest Azure run per export and date range.

    Returns (manifests to read, older Azure runs whose files must be skipped).
    """
    keep: Manifests = []
    older: Manifests = []
    newest: dict[tuple[str, str, str], tuple[str, int]] = {}
    for manifest in manifests:
        data = _read_manifest(tree, manifest)
        if "blobs" not in data:
            keep.append((manifest, data))
            continue
        run = data.get("runInfo") or {}
        export = data.get("exportConfig") or {}
        key = (
            str(
                export.get("resourceId")
                or export.get("exportName")
                or PurePosixPath(manifest).parent.parent
            ),
            str(run.get("startDate", "")),
            str(run.get("endDate", "")),
        )
        stamp = str(run.get("submittedTime", ""))
        if key in newest and newest[key][0] >= stamp:
            found.skipped.append((tree.display(manifest), "an older run of the same Azure export"))
            older.append((manifest, data))
            continue
        if key in newest:
            old = keep[newest[key][1]]
            found.skipped.append((tree.display(old[0]), "an older run of the same Azure export"))
            older.append(old)
            keep[newest[key][1]] = (manifest, data)
            newest[key] = (stamp, newest[key][1])
        else:
            newest[key] = (stamp, len(keep))
            keep.append((manifest, data))
    return keep, older


def _export_root(manifest: str, data: dict[str, Any]) -> str:
    """Azure: the manifest's folder. AWS: the export folder above ``metadata/<partition>``."""
    folder = PurePosixPath(manifest).parent
    if "blobs" in data:
        return str(folder)
    for parent in [folder, *folder.parents]:
        if parent.name == "metadata":
            return str(parent.parent)
    return str(folder)


def _manifest_files(tree: _Tree, manifest: str, data: dict[str, Any]) -> list[DataFile]:
    if "blobs" in data:
        layout: Layout = "azure-export"
        entries = [b.get("blobName") if isinstance(b, dict) else None for b in data["blobs"]]
    else:
        layout = "aws-data-exports"
        entries = list(data.get("dataFiles") or data.get("reportKeys") or [])
    root = _export_root(manifest, data)
    shown = tree.display(manifest)
    files: list[DataFile] = []
    for entry in entries:
        if not isinstance(entry, str) or not entry:
            raise ImportFileError(f"manifest lists a data file as {entry!r}", file=shown)
        found = _resolve(tree, entry, str(PurePosixPath(manifest).parent), root)
        fmt = file_format(found) if found else None
        if found is None or fmt is None:
            raise ImportFileError(
                f"the manifest lists {entry!r}, but no such data file is under "
                f"{tree.display(root)}",
                file=shown,
                hint="Copy the whole export folder (data and metadata) before ingesting.",
            )
        files.append(tree.data_file(found, fmt, layout, manifest))
    if not files:
        raise ImportFileError("the export manifest lists no data files", file=shown)
    return files


def _resolve(tree: _Tree, entry: str, manifest_dir: str, root: str) -> str | None:
    """Find the copy of a manifest entry (an S3 URI or a blob path) in this tree."""
    text = entry.split("://", 1)[1].split("/", 1)[-1] if "://" in entry else entry
    parts = [p for p in PurePosixPath(text).parts if p not in ("/", "")]
    for base in (manifest_dir, root, str(PurePosixPath(root).parent)):
        for k in range(len(parts), 0, -1):
            candidate = str(PurePosixPath(base).joinpath(*parts[-k:]))
            if tree.is_file(candidate):
                return candidate
    if not parts:
        return None
    matches = [p for p in tree.files(root) if PurePosixPath(p).name == parts[-1]]
    return matches[0] if len(matches) == 1 else None


@contextmanager
def localize(found: Discovery) -> Iterator[list[DataFile]]:
    """The files as local files to read: object-store files downloaded to a temporary
    folder (removed on exit), local ones as they are."""
    if found.fs is None:
        yield found.files
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="penny-focus-") as tmp:
        out: list[DataFile] = []
        for i, f in enumerate(found.files):
            local = Path(tmp) / f"{i:05d}-{f.path.name}"
            try:
                found.fs.get_file(str(f.path), str(local))
            except (OSError, ValueError) as exc:
                raise store_error(f.source, exc) from exc
            out.append(replace(f, path=local))
        yield out
