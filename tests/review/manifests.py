"""Manifest text for the review tests: a BASE and a HEAD that cover every kind of change.

Prices in tests/review/cluster_rows.py: CPU $0.03/core-h, RAM $0.0045/GiB-h, GPU $2.50/GPU-h.
"""

from __future__ import annotations


def deployment(
    name: str,
    namespace: str,
    *,
    replicas: int | None = None,
    containers: str,
    init: str = "",
    extra_spec: str = "",
) -> str:
    reps = f"  replicas: {replicas}\n" if replicas is not None else ""
    inits = f"      initContainers:\n{init}" if init else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
        f"  namespace: {namespace}\nspec:\n{reps}  template:\n    spec:\n{extra_spec}"
        f"{inits}      containers:\n{containers}"
    )


def container(
    name: str,
    *,
    cpu: str | None = None,
    memory: str | None = None,
    gpu_limit: int | None = None,
    restart: str | None = None,
) -> str:
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    requests = ", ".join(f"{k}: {v}" for k, v in req.items())
    out = f"      - name: {name}\n"
    if restart:
        out += f"        restartPolicy: {restart}\n"
    out += "        resources:\n"
    out += f"          requests: {{{requests}}}\n"
    if gpu_limit is not None:
        out += f"          limits: {{nvidia.com/gpu: {gpu_limit}}}\n"
    return out


def hpa(target: str, namespace: str, low: int, high: int) -> str:
    return (
        f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n"
        f"  name: {target}\n  namespace: {namespace}\nspec:\n  scaleTargetRef:\n"
        f"    apiVersion: apps/v1\n    kind: Deployment\n    name: {target}\n"
        f"  minReplicas: {low}\n  maxReplicas: {high}\n"
    )


def statefulset(name: str, namespace: str, replicas: int, cpu: str, memory: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {name}\n"
        f"  namespace: {namespace}\nspec:\n  replicas: {replicas}\n  serviceName: {name}\n"
        f"  template:\n    spec:\n      containers:\n" + container("main", cpu=cpu, memory=memory)
    )


def cronjob(name: str, namespace: str, cpu: str, memory: str, parallelism: int = 1) -> str:
    return (
        f"apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\n"
        f"  namespace: {namespace}\nspec:\n  schedule: '0 1 * * *'\n  jobTemplate:\n"
        f"    spec:\n      parallelism: {parallelism}\n      template:\n        spec:\n"
        f"          restartPolicy: OnFailure\n          containers:\n"
        f"          - name: main\n            image: busybox\n            resources:\n"
        f"              requests: {{cpu: {cpu}, memory: {memory}}}\n"
    )


def daemonset(name: str, namespace: str, cpu: str, memory: str, selector: str = "") -> str:
    sel = f"      nodeSelector: {{{selector}}}\n" if selector else ""
    return (
        f"apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\n"
        f"  namespace: {namespace}\nspec:\n  template:\n    spec:\n{sel}      containers:\n"
        + container("agent", cpu=cpu, memory=memory)
    )


CONFIGMAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\n  namespace: shop\n"
    "data:\n  rule: 'summary: {{ $labels.instance }} is down'\n"
)


def docs(*parts: str) -> str:
    return "---\n".join(parts)


def base_set() -> str:
    return docs(
        deployment(
            "web", "shop", replicas=3, containers=container("app", cpu="500m", memory="256Mi")
        ),
        statefulset("cache", "shop", 2, "1", "2Gi"),
        cronjob("nightly", "data", "1", "1Gi"),
        deployment("api", "shop", containers=container("app", cpu="250m", memory="512Mi")),
        hpa("api", "shop", 2, 4),
        deployment(
            "infer", "ml", replicas=1, containers=container("server", cpu="2", memory="8Gi")
        ),
        deployment(
            "worker",
            "shop",
            replicas=1,
            init=container("migrate", cpu="1", memory="1Gi"),
            containers=container("app", cpu="250m", memory="512Mi"),
        ),
        daemonset("agent", "monitoring", "100m", "128Mi"),
        deployment(
            "static", "shop", replicas=2, containers=container("nginx", cpu="100m", memory="64Mi")
        ),
        CONFIGMAP,
    )


def head_set() -> str:
    return docs(
        deployment("web", "shop", replicas=6, containers=container("app", cpu="1", memory="256Mi")),
        cronjob("nightly", "data", "2", "1Gi"),
        cronjob("report", "data", "4", "8Gi", parallelism=2),
        deployment("api", "shop", containers=container("app", cpu="250m", memory="512Mi")),
        hpa("api", "shop", 3, 10),
        deployment(
            "infer",
            "ml",
            replicas=1,
            containers=container("server", cpu="2", memory="8Gi", gpu_limit=1),
        ),
        deployment(
            "worker",
            "shop",
            replicas=1,
            init=container("migrate", cpu="1", memory="1Gi"),
            containers=container("app", cpu="1500m", memory="512Mi"),
        ),
        daemonset("agent", "monitoring", "200m", "128Mi"),
        daemonset("dcgm", "monitoring", "100m", "128Mi", selector="pool: gpu"),
        deployment(
            "static", "shop", replicas=2, containers=container("nginx", cpu="100m", memory="64Mi")
        ),
        CONFIGMAP,
    )
