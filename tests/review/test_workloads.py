"""Manifests → workload specs, and every bad input named (file, document, workload, field)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import InputError
from assistant.review.quantities import QuantityError, parse_cpu, parse_gpu, parse_memory
from assistant.review.workloads import Resources, load_side, parse_manifests
from tests.review.manifests import container, cronjob, deployment, docs, hpa

D = Decimal


@pytest.mark.parametrize(
    ("text", "cores"),
    [
        ("500m", "0.5"),
        ("2", "2"),
        ("1.5", "1.5"),
        (2, "2"),
        (0.25, "0.25"),
        ("0.1m", "0.001"),
        ("2e-1", "0.2"),
        ("+1", "1"),
        (".5", "0.5"),
        ("1k", "1000"),
    ],
)
def test_cpu_quantities(text: object, cores: str) -> None:
    # 0.1m rounds up to 1m, the API server's smallest CPU unit
    assert parse_cpu(text) == D(cores)


@pytest.mark.parametrize(
    ("text", "nbytes"),
    [
        ("256Mi", 268435456),
        ("2Gi", 2 * 1024**3),
        ("1G", 10**9),
        ("128974848", 128974848),
        ("129e6", 129_000_000),
        ("1.5Ki", 1536),
        ("1E", 10**18),
        ("0.5", 1),
    ],
)
def test_memory_quantities(text: str, nbytes: int) -> None:
    assert parse_memory(text) == D(nbytes)


@pytest.mark.parametrize(
    "bad",
    [
        "1x",
        "",
        " 1",
        "1Mi ",
        "Infinity",
        "nan",
        "1e",
        "1.2.3",
        "-1",
        "1mi",
        "1e3m",
        True,
        None,
        [1],
    ],
)
def test_rejected_quantities(bad: object) -> None:
    with pytest.raises(QuantityError):
        parse_cpu(bad)


def test_gpus_must_be_whole() -> None:
    assert parse_gpu("2") == D(2)
    with pytest.raises(QuantityError, match="whole number"):
        parse_gpu("0.5")


@given(st.integers(0, 10**7))
def test_millicores_and_mebibytes_round_trip(n: int) -> None:
    assert parse_cpu(f"{n}m") == D(n) / 1000
    assert parse_memory(f"{n}Mi") == D(n) * 1024**2


def test_init_and_sidecar_containers_effective_request() -> None:
    # init 'migrate' (2 cores, 1Gi) runs before the sidecar starts: peak 2 cores, 1Gi.
    # app 500m + sidecar 100m = 600m; memory 256Mi + 0 → pod = max: 2 cores, 1Gi.
    text = deployment(
        "web",
        "shop",
        replicas=1,
        init=container("migrate", cpu="2", memory="1Gi")
        + container("proxy", cpu="100m", restart="Always"),
        containers=container("app", cpu="500m", memory="256Mi"),
    )
    spec = parse_manifests([("a.yaml", text)]).workloads[("Deployment", "shop", "web")]
    assert [c.role for c in spec.containers] == ["init", "sidecar", "app"]
    assert spec.pod_request() == Resources(D(2), D(1024**3), D(0))
    # a bigger app wins: 3 + 0.1 sidecar = 3.1 cores > 2
    bigger = text.replace("cpu: 500m", "cpu: 3")
    spec = parse_manifests([("a.yaml", bigger)]).workloads[("Deployment", "shop", "web")]
    assert spec.pod_request().cpu == D("3.1")


def test_defaults_limits_namespace_and_hpa() -> None:
    text = docs(
        # no replicas (1), no namespace (--namespace), GPU only as a limit (request = limit)
        deployment("web", "x", containers=container("app", cpu="1", gpu_limit=2)).replace(
            "  namespace: x\n", ""
        ),
        hpa("web", "team-a", 2, 5),
        cronjob("job", "team-a", "1", "1Gi", parallelism=3),
        hpa("ghost", "team-a", 1, 2),
    )
    out = parse_manifests([("a.yaml", text)], namespace="team-a")
    web = out.workloads[("Deployment", "team-a", "web")]
    assert (web.replicas, web.hpa, web.pod_request().gpu) == (1, ("web", 2, 5), D(2))
    assert out.workloads[("CronJob", "team-a", "job")].parallelism == 3
    assert out.notes == [
        "HPA ghost targets team-a/Deployment/ghost, which is not in these manifests; ignored."
    ]


def test_kind_list_and_directories(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(
        deployment("a", "ns", replicas=1, containers=container("c", cpu="1"))
    )
    (tmp_path / "sub" / "b.yml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: "
        "{name: p, namespace: ns}\n  spec:\n    containers:\n    - name: c\n      resources:"
        " {requests: {cpu: 250m}}\n"
    )
    (tmp_path / "notes.txt").write_text("not yaml: [")
    out = load_side(str(tmp_path))
    assert sorted(out.workloads) == [("Deployment", "ns", "a"), ("Pod", "ns", "p")]
    assert out.workloads[("Pod", "ns", "p")].pod_request().cpu == D("0.25")


def _error(text: str, source: str = "head.yaml") -> str:
    with pytest.raises(InputError) as info:
        parse_manifests([(source, text)])
    return str(info.value)


def test_unparsable_yaml_names_file_and_document() -> None:
    good = deployment("a", "ns", replicas=1, containers=container("c", cpu="1"))
    message = _error(
        docs(
            good,
            good.replace("name: a", "name: b"),
            "kind: Deployment\nmetadata: {name: c\nspec: {}\n",
        )
    )
    assert message.startswith("head.yaml, document 3")
    assert "is not valid YAML" in message and "Fix the YAML" in message


def test_go_template_names_file_and_says_render_first() -> None:
    templated = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n"
    )
    message = _error(templated, "chart/templates/deploy.yaml")
    assert message.startswith("chart/templates/deploy.yaml, document 1")
    assert "helm template" in message and "kustomize build" in message
    quoted = deployment(
        "web", "ns", replicas=1, containers=container("c", cpu="'{{ .Values.cpu }}'")
    )
    assert "helm template" in _error(quoted)


def test_bad_quantity_names_file_workload_container_and_field() -> None:
    text = docs(
        deployment("ok", "shop", replicas=1, containers=container("c", cpu="1")),
        deployment("web", "shop", replicas=1, containers=container("app", cpu="1x", memory="1Gi")),
    )
    message = _error(text)
    assert message.startswith(
        "head.yaml, document 2: Deployment shop/web, container 'app': "
        "resources.requests.cpu = '1x' is rejected by Kubernetes"
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.replace("replicas: 1", "replicas: -2"), "spec.replicas = -2 must be a whole"),
        (lambda t: t.replace("replicas: 1", "replicas: three"), "spec.replicas = 'three'"),
        (lambda t: t.replace("cpu: 1", "cpu: -1"), "resources.requests.cpu = -1"),
        (
            lambda t: t.replace("}\n", "}\n          limits: {nvidia.com/gpu: 0.5}\n", 1),
            "resources.limits.nvidia.com/gpu = 0.5",
        ),
        (
            lambda t: t.replace("      containers:\n", "      containers: []\n").split(
                "      - name"
            )[0],
            "has no containers",
        ),
        (lambda t: t.replace("  name: web\n", ""), "Deployment without metadata.name"),
        (lambda t: t + "---\n" + t, "is defined twice"),
    ],
)
def test_bad_fields_are_named(mutate: object, expected: str) -> None:
    text = deployment("web", "shop", replicas=1, containers=container("app", cpu="1"))
    assert callable(mutate)
    message = _error(mutate(text))
    assert expected in message and message.startswith("head.yaml, document")


def test_hpa_max_below_min() -> None:
    assert "maxReplicas 1 < spec.minReplicas 3" in _error(hpa("web", "shop", 3, 1))


def test_missing_path_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_side(str(tmp_path / "nope.yaml"))
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        load_side(str(tmp_path / "bin.yaml"))
