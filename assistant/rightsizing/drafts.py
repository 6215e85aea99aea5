"""Reviewable changes for a recommendation. Penny drafts; a human applies.

One :class:`Draft` carries every form of the same change: the patch YAML (strategic
merge for built-in kinds, JSON merge for custom resources), the `kubectl patch`
command, a kustomize patch with its target selector, a unified diff against the
manifest found in a directory, a Helm values hint when the workload comes from a chart,
in-place resize commands for Kubernetes ≥ 1.33, and a pull-request description.
"""

from __future__ import annotations

import difflib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from assistant.errors import InputError, NotFound
from assistant.rightsizing.manifests import (
    containers_path,
    edit_resources,
    find_chart,
    find_manifest,
    format_cpu,
    format_memory,
)
from assistant.rightsizing.pr import pr_description
from assistant.rightsizing.recommend import Recommendation

__all__ = ["BUILTIN_KINDS", "FORMATS", "Draft", "draft_change", "resource_changes"]

FORMATS = ("patch", "kustomize", "diff", "pr")
Format = Literal["patch", "kustomize", "diff", "pr"]

#: kinds the API server accepts strategic merge patches for, with their apiVersion
BUILTIN_KINDS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Pod": "v1",
}
RESIZE_PODS_SHOWN = 5


@dataclass
class Draft:
    workload: str
    fmt: str
    text: str  # what the chosen format prints
    patch_type: str  # strategic | merge
    patch: dict[str, Any]
    patch_yaml: str
    kubectl_command: str
    kustomize_patch: str
    kustomization: str
    diff: str | None = None
    manifest_path: str | None = None
    helm_hint: str | None = None
    resize_commands: list[str] = field(default_factory=list)
    hpa_command: str | None = None
    pr_description: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def resource_changes(rec: Recommendation) -> dict[str, dict[str, str | None]]:
    """Per container the resource fields to set ('requests.cpu': '229m'); None removes."""
    out: dict[str, dict[str, str | None]] = {}
    for c in rec.containers:
        if c.status != "ok":
            continue
        p, cur = c.proposed, c.current
        fields: dict[str, str | None] = {
            "requests.cpu": format_cpu(float(p["cpu_request"] or 0)),
            "requests.memory": format_memory(float(p["ram_request"] or 0)),
        }
        if p["ram_limit"] is not None:
            fields["limits.memory"] = format_memory(float(p["ram_limit"]))
        if p["cpu_limit"] is not None:
            fields["limits.cpu"] = format_cpu(float(p["cpu_limit"]))
        elif cur["cpu_limit"] is not None:
            fields["limits.cpu"] = None
        out[c.container] = fields
    return out


def _resources(fields: dict[str, str | None], *, keep_nulls: bool) -> dict[str, Any]:
    res: dict[str, dict[str, Any]] = {}
    for key, value in fields.items():
        section, _, name = key.partition(".")
        if value is None and not keep_nulls:
            continue
        res.setdefault(section, {})[name] = value
    return res


def _nest(path: list[str], leaf: Any) -> dict[str, Any]:
    node: Any = leaf
    for key in reversed(path):
        node = {key: node}
    return dict(node)


def _patch(rec: Recommendation, changes: dict[str, dict[str, str | None]]) -> dict[str, Any]:
    containers = [
        {"name": name, "resources": _resources(fields, keep_nulls=True)}
        for name, fields in changes.items()
    ]
    return _nest(containers_path(rec.kind), containers)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def _kubectl(rec: Recommendation, patch: dict[str, Any], patch_type: str) -> str:
    return (
        f"kubectl patch {rec.kind.lower()} {shlex.quote(rec.name)} -n "
        f"{shlex.quote(rec.namespace)} --type {patch_type} -p "
        f"{shlex.quote(json.dumps(patch, separators=(',', ':')))}"
    )


def _resize(rec: Recommendation, changes: dict[str, dict[str, str | None]]) -> list[str]:
    body = {
        "spec": {
            "containers": [
                {"name": n, "resources": _resources(f, keep_nulls=False)}
                for n, f in changes.items()
            ]
        }
    }
    text = shlex.quote(json.dumps(body, separators=(",", ":")))
    return [
        f"kubectl patch pod {shlex.quote(pod)} -n {shlex.quote(rec.namespace)} "
        f"--subresource resize --patch {text}"
        for pod in rec.pods[:RESIZE_PODS_SHOWN]
    ]


def _hpa_command(rec: Recommendation) -> str | None:
    if rec.hpa is None:
        return None
    metric = {
        "type": "Resource",
        "resource": {
            "name": rec.hpa.metric,
            "target": {"type": "Utilization", "averageUtilization": round(rec.hpa.new_target)},
        },
    }
    body = json.dumps({"spec": {"metrics": [metric]}}, separators=(",", ":"))
    return (
        f"kubectl patch hpa {shlex.quote(rec.hpa.hpa)} -n {shlex.quote(rec.namespace)} "
        f"--type merge -p {shlex.quote(body)}"
    )


def _helm_hint(
    rec: Recommendation, root: Path, changes: dict[str, dict[str, str | None]]
) -> str | None:
    chart = find_chart(root, name=rec.name)
    if chart is None:
        return None
    key = chart.resources_keys[0] if chart.resources_keys else "resources"
    lines = [
        f"# {rec.workload} comes from the Helm chart {chart.chart_name!r} "
        f"({chart.chart_dir}). Set in {chart.values_path or 'values.yaml'} at `{key}`:"
    ]
    for name, fields in changes.items():
        if len(changes) > 1:
            lines.append(f"# container {name}")
        nested = _nest(key.split("."), _resources(fields, keep_nulls=False))
        lines.append(_dump(nested).rstrip())
    sets = [f"--set {key}.{k}={v}" for f in changes.values() for k, v in f.items() if v]
    lines.append(
        f"# or: helm upgrade RELEASE {chart.chart_dir} -n {rec.namespace} "
        f"--reuse-values {' '.join(sets)}"
    )
    return "\n".join(lines) + "\n"


def draft_change(
    rec: Recommendation, *, fmt: str = "patch", manifests_dir: Path | str | None = None
) -> Draft:
    """Every reviewable form of ``rec``'s change; ``fmt`` picks which one ``text`` holds."""
    if fmt not in FORMATS:
        raise InputError(
            f"Unknown draft format {fmt!r}.", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    if not rec.draftable:
        raise InputError(
            f"{rec.workload} cannot be changed by a patch: "
            + (rec.disposition.note or f"a {rec.kind} is not drafted"),
            hint="Penny never drafts a change the API server would refuse: Jobs' pod "
            "templates and bare pods' resources are immutable. Change the manifest, chart or "
            "pipeline that creates it (the recommendation's proposed requests apply there).",
            workload=rec.workload,
            disposition=rec.disposition.kind,
        )
    changes = resource_changes(rec)
    if not changes:
        raise InputError(
            f"{rec.workload} has no recommendation to draft ({rec.status}).",
            hint="Wait for more usage history (settings.rightsizing.min_history_hours).",
        )
    builtin = rec.kind in BUILTIN_KINDS
    patch_type = "strategic" if builtin else "merge"
    patch = _patch(rec, changes)
    notes: list[str] = []
    if not builtin:
        notes.append(
            f"{rec.kind} is a custom resource: a JSON merge patch replaces the whole "
            "containers list, so merge the fields into the manifest (use the diff)."
        )
    if any(v is None for f in changes.values() for v in f.values()):
        notes.append("The CPU limit is removed (strategy: no CPU limit, to avoid throttling).")
    api_version = BUILTIN_KINDS.get(rec.kind, "# apiVersion of the custom resource")
    file_name = f"penny-rightsize-{rec.namespace}-{rec.name}.yaml"
    kpatch = {
        "apiVersion": api_version,
        "kind": rec.kind,
        "metadata": {"name": rec.name, "namespace": rec.namespace},
        **patch,
    }
    kustomization = _dump(
        {
            "patches": [
                {
                    "path": file_name,
                    "target": {"kind": rec.kind, "name": rec.name, "namespace": rec.namespace},
                }
            ]
        }
    )
    draft = Draft(
        workload=rec.workload,
        fmt=fmt,
        text="",
        patch_type=patch_type,
        patch=patch,
        patch_yaml=_dump(patch),
        kubectl_command=_kubectl(rec, patch, patch_type),
        kustomize_patch=f"# {file_name}\n" + _dump(kpatch),
        kustomization=kustomization,
        resize_commands=_resize(rec, changes),
        hpa_command=_hpa_command(rec),
        notes=notes,
    )
    if rec.pods:
        notes.append(
            "In-place resize (Kubernetes ≥ 1.33) changes running pods only; the next "
            "rollout uses the template, so merge the patch too. On 1.33 a memory limit "
            "decrease is refused unless the container's resizePolicy restarts it."
        )
    if manifests_dir is not None:
        root = Path(manifests_dir)
        match = find_manifest(root, kind=rec.kind, name=rec.name, namespace=rec.namespace)
        if match is not None:
            new_text = edit_resources(match, rec.kind, changes)
            rel = match.path.relative_to(root).as_posix()
            draft.manifest_path = str(match.path)
            draft.diff = "".join(
                difflib.unified_diff(
                    match.text.splitlines(keepends=True),
                    new_text.splitlines(keepends=True),
                    fromfile=f"a/{rel}",
                    tofile=f"b/{rel}",
                )
            )
        else:
            draft.helm_hint = _helm_hint(rec, root, changes)
    if fmt == "diff" and draft.diff is None:
        if draft.helm_hint:
            draft.text = draft.helm_hint
        elif manifests_dir is None:
            raise InputError(
                "--format diff needs --manifests DIR.",
                hint="Point --manifests at the folder holding your YAML.",
            )
        else:
            raise NotFound(
                f"No {rec.kind} named {rec.name!r} (namespace {rec.namespace} or unset) under "
                f"{manifests_dir}, and no Helm chart named like it.",
                hint="Check the folder, or use --format patch / kustomize instead.",
            )
    draft.pr_description = pr_description(rec, draft)
    if not draft.text:
        draft.text = {
            "patch": _patch_text(draft),
            "kustomize": f"{draft.kustomize_patch}\n# kustomization.yaml\n{kustomization}",
            "diff": draft.diff or "",
            "pr": draft.pr_description,
        }[fmt]
    return draft


def _patch_text(draft: Draft) -> str:
    lines = [
        f"# {draft.patch_type} merge patch for {draft.workload}",
        draft.patch_yaml.rstrip(),
        "",
        "# apply after review:",
        draft.kubectl_command,
    ]
    if draft.hpa_command:
        lines += ["", "# and the HPA target that keeps the scale point:", draft.hpa_command]
    if draft.resize_commands:
        lines += [
            "",
            "# in-place resize of running pods (Kubernetes >= 1.33):",
            *draft.resize_commands,
        ]
    if draft.helm_hint:
        lines += ["", draft.helm_hint.rstrip()]
    lines += [f"# note: {n}" for n in draft.notes]
    return "\n".join(lines) + "\n"
