"""Finding a workload's manifest in a directory and editing its resources in place.

Edits are a ruamel.yaml round trip of only the matching document: the other documents
of a multi-document file are kept byte for byte, and inside the edited one comments,
key order, quoting style and indentation (guessed from the document) survive, so the
unified diff shows the resource lines and nothing else.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from assistant.errors import InputError

__all__ = [
    "ChartMatch",
    "ManifestMatch",
    "containers_path",
    "edit_resources",
    "find_chart",
    "find_manifest",
    "format_cpu",
    "format_memory",
]

_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
MIB = 1024 * 1024


def format_cpu(cores: float) -> str:
    """Kubernetes quantity: whole cores as '2', otherwise millicores ('229m')."""
    milli = round(cores * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def format_memory(nbytes: float) -> str:
    """'1Gi' when a whole number of GiB, else MiB ('460Mi'), else bytes."""
    n = round(nbytes)
    if n % (1024 * MIB) == 0:
        return f"{n // (1024 * MIB)}Gi"
    if n % MIB == 0:
        return f"{n // MIB}Mi"
    return str(n)


def containers_path(kind: str) -> list[str]:
    """Where a kind keeps its containers; unknown kinds (CRs) are assumed pod-template shaped."""
    if kind == "Pod":
        return ["spec", "containers"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template", "spec", "containers"]
    return ["spec", "template", "spec", "containers"]


@dataclass
class ManifestMatch:
    path: Path
    text: str  # the whole file
    start: int  # character span of the matching document
    end: int


@dataclass
class ChartMatch:
    chart_dir: Path
    chart_name: str
    values_path: Path | None
    resources_keys: list[str]  # dotted paths of `resources:` keys found in values.yaml


def _documents(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _DOC_SPLIT.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return spans


def _is_template(path: Path, text: str) -> bool:
    return "{{" in text or any((p / "Chart.yaml").is_file() for p in path.parents)


def find_manifest(root: Path, *, kind: str, name: str, namespace: str) -> ManifestMatch | None:
    """The first document (by sorted path) with this kind and name, whose namespace is
    the workload's or unset (kustomize/helm set it later). Templated files are skipped."""
    if not root.is_dir():
        raise InputError(
            f"--manifests {root} is not a directory.",
            hint="Point it at the folder that holds your Kubernetes YAML.",
        )
    yaml = YAML(typ="safe")
    for path in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
        text = path.read_text(encoding="utf-8")
        if _is_template(path, text):
            continue
        for start, end in _documents(text):
            try:
                doc = yaml.load(text[start:end])
            except YAMLError:
                continue
            if not isinstance(doc, dict) or doc.get("kind") != kind:
                continue
            meta = doc.get("metadata") or {}
            if meta.get("name") == name and meta.get("namespace") in (None, namespace):
                return ManifestMatch(path, text, start, end)
    return None


def find_chart(root: Path, *, name: str) -> ChartMatch | None:
    """A Helm chart under ``root`` named like the workload (chart name ⊂ workload name)."""
    yaml = YAML(typ="safe")
    for chart_file in sorted(root.rglob("Chart.yaml")):
        try:
            meta = yaml.load(chart_file.read_text(encoding="utf-8")) or {}
        except YAMLError:
            continue
        chart = str(meta.get("name") or chart_file.parent.name)
        if chart == name or name.startswith(chart + "-") or name.endswith("-" + chart):
            values = chart_file.parent / "values.yaml"
            keys: list[str] = []
            if values.is_file():
                try:
                    keys = _resource_keys(yaml.load(values.read_text(encoding="utf-8")))
                except YAMLError:
                    keys = []
            return ChartMatch(chart_file.parent, chart, values if values.is_file() else None, keys)
    return None


def _resource_keys(node: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            path = f"{prefix}{k}"
            if k == "resources":
                out.append(path)
            else:
                out.extend(_resource_keys(v, path + "."))
    return out


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the document writes them.

    ruamel's own guesser reports one indent for both, which turns the common
    "mapping 2, list items indented 2 more" style into mapping 4.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping: int | None = None
    offset: int | None = None
    for cur, nxt in itertools.pairwise(lines):
        if not re.search(r":\s*(#.*)?$", cur):
            continue
        step = (len(nxt) - len(nxt.lstrip())) - (len(cur) - len(cur.lstrip()))
        if step < 0:
            continue
        if nxt.lstrip().startswith("- "):
            offset = step if offset is None else offset
        elif step > 0 and mapping is None:
            mapping = step
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset or 0
    return mapping, offset + 2, offset


def _keep_style(old: Any, new: str) -> Any:
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    return new


def _set(mapping: CommentedMap, key: str, value: str | None) -> None:
    if value is None:
        if key in mapping:
            del mapping[key]
        return
    mapping[key] = _keep_style(mapping.get(key), value)


def edit_resources(
    match: ManifestMatch, kind: str, changes: dict[str, dict[str, str | None]]
) -> str:
    """The file's new text with each named container's resources set.

    ``changes`` maps container name → {"requests.cpu": "229m", "limits.cpu": None, …};
    None removes the key. Only the matching document is re-serialised.
    """
    segment = match.text[match.start : match.end]
    mapping, sequence, offset = guess_indent(segment)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    doc = yaml.load(segment)
    node: Any = doc
    for key in containers_path(kind):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list):
        raise InputError(f"{match.path}: no {'.'.join(containers_path(kind))} in the {kind}.")
    seen = set()
    for container in node:
        cname = container.get("name")
        if cname not in changes:
            continue
        seen.add(cname)
        resources = container.get("resources")
        if resources is None:
            resources = container["resources"] = CommentedMap()
        for field, value in changes[cname].items():
            section, _, res = field.partition(".")
            block = resources.get(section)
            if block is None:
                if value is None:
                    continue
                block = resources[section] = CommentedMap()
            _set(block, res, value)
            if not block:
                del resources[section]
    missing = set(changes) - seen
    if missing:
        raise InputError(
            f"{match.path}: container(s) {', '.join(sorted(missing))} not in the manifest.",
            hint="Is the manifest out of date with the cluster?",
        )
    out = io.StringIO()
    yaml.dump(doc, out)
    new_segment = out.getvalue()
    lead = segment[: len(segment) - len(segment.lstrip("\n"))]
    if not segment.endswith("\n"):
        new_segment = new_segment.rstrip("\n")
    return match.text[: match.start] + lead + new_segment + match.text[match.end :]
