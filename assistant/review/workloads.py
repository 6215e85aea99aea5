"""Rendered Kubernetes manifests → typed workload specs (what a review prices).

Only what changes cost is kept: per container requests (CPU, memory, GPUs), the replica
count or its HPA range, a Job's parallelism and a DaemonSet's nodeSelector. Parsing is
pure (:func:`parse_manifests` over text); :func:`load_side` reads a file, a directory of
``.yaml``/``.yml`` files or stdin. Users render charts and overlays first (``helm
template``, ``kustomize build``): a document still holding Go template actions is refused
with that advice, because its numbers are not the ones the cluster will get.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import InputError
from assistant.review.quantities import QuantityError, parse_cpu, parse_gpu, parse_memory

__all__ = [
    "GPU_RESOURCES",
    "WORKLOAD_KINDS",
    "ContainerSpec",
    "ManifestSet",
    "Resources",
    "WorkloadSpec",
    "load_side",
    "parse_manifests",
]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job", "CronJob", "Pod")
GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
TEMPLATE_HINT = (
    "Render it first: `helm template RELEASE CHART -f values.yaml > out.yaml` or "
    "`kustomize build DIR > out.yaml`, and review the rendered files."
)
_PARSERS: dict[str, Callable[[object], Decimal]] = {
    "cpu": parse_cpu,
    "memory": parse_memory,
    **{key: parse_gpu for key in GPU_RESOURCES},
}
ZERO = Decimal(0)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


@dataclass(frozen=True)
class Resources:
    """Requested amounts: CPU cores, memory bytes, GPU devices."""

    cpu: Decimal = ZERO
    memory: Decimal = ZERO
    gpu: Decimal = ZERO

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory, self.gpu + other.gpu)

    def max(self, other: Resources) -> Resources:
        return Resources(
            max(self.cpu, other.cpu), max(self.memory, other.memory), max(self.gpu, other.gpu)
        )


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    role: str  # app | init | sidecar (an init container that keeps running)
    requests: Resources


@dataclass(frozen=True)
class WorkloadSpec:
    kind: str
    namespace: str
    name: str
    containers: tuple[ContainerSpec, ...]
    replicas: int | None  # Deployment/StatefulSet/ReplicaSet/Pod; None otherwise
    parallelism: int | None = None  # Job/CronJob pods running at once
    node_selector: tuple[tuple[str, str], ...] = ()
    hpa: tuple[str, int, int] | None = None  # (name, min, max) from an HPA document
    source: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    def pod_request(self) -> Resources:
        """Kubernetes' effective pod request, per resource: the larger of the app containers'
        sum (plus running sidecars) and each init container's request (plus the sidecars
        started before it) — what the scheduler reserves for the pod."""
        sidecars, init_peak = Resources(), Resources()
        for c in self.containers:
            if c.role == "sidecar":
                sidecars = sidecars + c.requests
                init_peak = init_peak.max(sidecars)
            elif c.role == "init":
                init_peak = init_peak.max(c.requests + sidecars)
        apps = Resources()
        for c in self.containers:
            if c.role == "app":
                apps = apps + c.requests
        return init_peak.max(apps + sidecars)

    def cost_shape(self) -> tuple[Any, ...]:
        """Everything that changes the price; equal shapes cost the same."""
        return (
            self.containers,
            self.replicas,
            self.parallelism,
            self.node_selector,
            self.hpa[1:] if self.hpa else None,
        )


@dataclass
class ManifestSet:
    """One side of a review: workloads by (kind, namespace, name), plus notes."""

    workloads: dict[tuple[str, str, str], WorkloadSpec] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fix_hint(value: object, advice: str = "Fix the manifest and run again.") -> str:
    return TEMPLATE_HINT if "{{" in str(value) else advice


def _where(source: str, index: int) -> str:
    return f"{source}, document {index}"


def _int_field(value: Any, default: int, *, where: str, label: str, path: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"{where}: {label}: {path} = {value!r} must be a whole number >= 0.",
            hint=_fix_hint(value),
            field=path,
            value=str(value),
        )
    return value


def _requests(container: dict[str, Any], *, where: str, label: str, path: str) -> Resources:
    """Requests, with a resource's limit standing in when only the limit is set (the API
    server defaults a missing request to the limit)."""
    resources = container.get("resources") or {}
    if not isinstance(resources, dict):
        raise InputError(f"{where}: {label}: {path}.resources must be a mapping.")
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    if not isinstance(requests, dict) or not isinstance(limits, dict):
        raise InputError(f"{where}: {label}: {path}.resources.requests/limits must be mappings.")
    amounts: dict[str, Decimal] = {"cpu": ZERO, "memory": ZERO, "gpu": ZERO}
    for key, parse in _PARSERS.items():
        section, raw = (
            ("requests", requests.get(key)) if key in requests else ("limits", limits.get(key))
        )
        if key not in requests and key not in limits:
            continue
        try:
            value = parse(raw)
        except QuantityError as exc:
            raise InputError(
                f"{where}: {label}, container {container.get('name')!r}: "
                f"resources.{section}.{key} = {raw!r} is rejected by Kubernetes ({exc}).",
                hint=_fix_hint(
                    raw,
                    "Use a quantity like 500m or 2 for cpu, 512Mi or 2Gi "
                    "for memory, a whole number for GPUs.",
                ),
                field=f"resources.{section}.{key}",
                value=str(raw),
                container=str(container.get("name")),
            ) from exc
        slot = "gpu" if key in GPU_RESOURCES else key
        amounts[slot] += value
    return Resources(amounts["cpu"], amounts["memory"], amounts["gpu"])


def _pod_spec(doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    kind = doc["kind"]
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec, ["spec"]
    if kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        return (job.get("template") or {}).get("spec") or {}, [
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "spec",
        ]
    return (spec.get("template") or {}).get("spec") or {}, ["spec", "template", "spec"]


def _workload(doc: dict[str, Any], *, namespace: str, where: str) -> WorkloadSpec:
    kind = doc["kind"]
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(
            f"{where}: {kind} without metadata.name.",
            hint="Every workload needs a name to be matched between sides.",
        )
    ns = meta.get("namespace") or namespace
    label = f"{kind} {ns}/{name}"
    pod, path = _pod_spec(doc)
    containers: list[ContainerSpec] = []
    for section in ("initContainers", "containers"):
        for i, c in enumerate(pod.get(section) or []):
            if not isinstance(c, dict):
                raise InputError(
                    f"{where}: {label}: {'.'.join(path)}.{section}[{i}] is not a mapping."
                )
            role = (
                "app"
                if section == "containers"
                else ("sidecar" if c.get("restartPolicy") == "Always" else "init")
            )
            cpath = f"{'.'.join(path)}.{section}[{i}]"
            containers.append(
                ContainerSpec(
                    str(c.get("name") or f"#{i}"),
                    role,
                    _requests(c, where=where, label=label, path=cpath),
                )
            )
    if not any(c.role == "app" for c in containers):
        raise InputError(f"{where}: {label} has no containers in {'.'.join(path)}.containers.")
    spec = doc.get("spec") or {}
    replicas: int | None = None
    parallelism: int | None = None
    if kind in {"Deployment", "StatefulSet", "ReplicaSet"}:
        replicas = _int_field(
            spec.get("replicas"), 1, where=where, label=label, path="spec.replicas"
        )
    elif kind == "Pod":
        replicas = 1
    elif kind == "Job":
        parallelism = _int_field(
            spec.get("parallelism"), 1, where=where, label=label, path="spec.parallelism"
        )
    elif kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        parallelism = _int_field(
            job.get("parallelism"),
            1,
            where=where,
            label=label,
            path="spec.jobTemplate.spec.parallelism",
        )
    selector = pod.get("nodeSelector") or {}
    return WorkloadSpec(
        kind,
        ns,
        name,
        tuple(containers),
        replicas,
        parallelism,
        tuple(sorted((str(k), str(v)) for k, v in selector.items())),
        source=where,
    )


def _hpa(
    doc: dict[str, Any], *, namespace: str, where: str
) -> tuple[tuple[str, str, str], tuple[str, int, int]]:
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    ref = spec.get("scaleTargetRef") or {}
    label = f"HorizontalPodAutoscaler {meta.get('name')}"
    low = _int_field(spec.get("minReplicas"), 1, where=where, label=label, path="spec.minReplicas")
    high = _int_field(
        spec.get("maxReplicas"), low, where=where, label=label, path="spec.maxReplicas"
    )
    if high < low:
        raise InputError(f"{where}: {label}: spec.maxReplicas {high} < spec.minReplicas {low}.")
    ns = meta.get("namespace") or namespace
    return (str(ref.get("kind")), ns, str(ref.get("name"))), (str(meta.get("name")), low, high)


def _documents(text: str, source: str) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    index = 0
    try:
        for index, doc in enumerate(yaml.load_all(text, Loader=_LOADER), start=1):
            docs.append((index, doc))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        templated = "{{" in text
        raise InputError(
            f"{_where(source, index + 1)}{line} is not valid YAML: {problem}.",
            hint=TEMPLATE_HINT if templated else "Fix the YAML and run again.",
            file=source,
            document=index + 1,
        ) from exc
    return docs


def _flatten(doc: Any) -> list[Any]:
    """A ``kind: List`` (kubectl get -o yaml) holds its objects under ``items``."""
    if isinstance(doc, dict) and doc.get("kind") == "List":
        return list(doc.get("items") or [])
    return [doc]


def parse_manifests(texts: list[tuple[str, str]], *, namespace: str = "default") -> ManifestSet:
    """Workloads and HPA ranges from (source name, YAML text) pairs; other kinds are ignored.

    ``namespace`` is used for documents without ``metadata.namespace``. The same workload
    twice on one side is an error: the review could not tell which one the cluster gets.
    """
    out = ManifestSet()
    hpas: dict[tuple[str, str, str], tuple[str, int, int]] = {}
    for source, text in texts:
        for index, raw in _documents(text, source):
            for doc in _flatten(raw):
                if not isinstance(doc, dict) or doc.get("kind") not in (
                    *WORKLOAD_KINDS,
                    "HorizontalPodAutoscaler",
                ):
                    continue
                where = _where(source, index)
                meta = doc.get("metadata") or {}
                if any("{{" in str(meta.get(k) or "") for k in ("name", "namespace")):
                    raise InputError(
                        f"{where}: {doc['kind']} {meta.get('name')!r} still holds "
                        "Go template actions ({{ … }}).",
                        hint=TEMPLATE_HINT,
                        file=source,
                        document=index,
                    )
                if doc["kind"] == "HorizontalPodAutoscaler":
                    target, bounds = _hpa(doc, namespace=namespace, where=where)
                    hpas[target] = bounds
                    continue
                spec = _workload(doc, namespace=namespace, where=where)
                if spec.key in out.workloads:
                    raise InputError(
                        f"{where}: {spec.label} is defined twice (also in "
                        f"{out.workloads[spec.key].source}).",
                        hint="Keep one definition per side.",
                    )
                out.workloads[spec.key] = spec
    for target, bounds in sorted(hpas.items()):
        scaled = out.workloads.get(target)
        if scaled is None:
            out.notes.append(
                f"HPA {bounds[0]} targets {target[1]}/{target[0]}/{target[2]}, "
                "which is not in these manifests; ignored."
            )
            continue
        out.workloads[target] = dataclasses.replace(scaled, hpa=bounds)
    return out


def _read(path: str) -> list[tuple[str, str]]:
    if path == "-":
        return [("<stdin>", sys.stdin.read())]
    p = Path(path)
    if p.is_dir():
        files = sorted({*p.rglob("*.yaml"), *p.rglob("*.yml")})
        return [(str(f), f.read_text(encoding="utf-8")) for f in files if f.is_file()]
    if p.is_file():
        return [(str(p), p.read_text(encoding="utf-8"))]
    raise InputError(
        f"{path} does not exist.",
        hint="Pass a rendered manifest file or directory for each side; use an "
        "empty directory for a side with no workloads.",
    )


def load_side(path: str, *, namespace: str = "default") -> ManifestSet:
    """Read one side (file, directory, or ``-`` for stdin) and parse it."""
    try:
        texts = _read(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}).") from exc
    return parse_manifests(texts, namespace=namespace)
