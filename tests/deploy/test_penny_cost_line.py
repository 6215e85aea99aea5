"""Penny's own pod is a cost line like any other: the pod the Kustomize Deployment makes
(its labels and requests, read from the rendered manifest) is ingested from metrics, the
node's bill line is allocated, and Penny's cost lands on its team and app.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.allocation.allocate import allocate
from assistant.config import load_settings
from assistant.ingest.focus.run import ingest_focus
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.warehouse.db import reader
from assistant.windows import Window
from tests.deploy.manifests import TARGETS, one, render
from tests.ingest.focus.focus_rows import line, write_csv

T0 = datetime(2026, 10, 1, 10)
GIB = 1024**3


def _quantity(text: str) -> float:
    units = {"m": 1e-3, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text.removesuffix(suffix)) * factor
    return float(text)


def _openmetrics(pods: list[dict[str, Any]]) -> str:
    """One node (2 CPU, 8 GiB) running ``pods`` for 10:00–11:00, samples every minute."""
    t0 = int((T0 - datetime(1970, 1, 1)).total_seconds())
    node = {"node": "node-p"}
    series: list[tuple[str, dict[str, str], float]] = [
        ("kube_node_info", {**node, "provider_id": "aws:///us-east-1a/i-0abc00000000feed"}, 1),
        ("kube_node_status_capacity", {**node, "resource": "cpu", "unit": "core"}, 2),
        ("kube_node_status_capacity", {**node, "resource": "memory", "unit": "byte"}, 8 * GIB),
    ]
    for p in pods:
        ids = {"namespace": p["namespace"], "pod": p["pod"], "uid": p["pod"]}
        series += [
            ("kube_pod_info", {**ids, "node": "node-p"}, 1),
            ("kube_pod_labels", {**ids, **p["labels"]}, 1),
            ("kube_pod_container_status_running", {**ids, "container": "c"}, 1),
            (
                "kube_pod_container_resource_requests",
                {**ids, "container": "c", "node": "node-p", "resource": "cpu", "unit": "core"},
                p["cpu"],
            ),
            (
                "kube_pod_container_resource_requests",
                {**ids, "container": "c", "node": "node-p", "resource": "memory", "unit": "byte"},
                p["memory"],
            ),
            ("container_memory_working_set_bytes", {**ids, "container": "c"}, 1024.0),
        ]
    lines: list[str] = []
    for name in dict.fromkeys(s[0] for s in series):
        lines.append(f"# TYPE {name} gauge")
        for n, labels, value in series:
            if n != name:
                continue
            text = ",".join(f'{k}="{v}"' for k, v in labels.items())
            lines += [f"{name}{{{text}}} {value!r} {t0 + 60 * m}" for m in range(61)]
    lines.append("# TYPE container_cpu_usage_seconds counter")
    for p in pods:  # idle: the requests are what is billed
        ids = f'namespace="{p["namespace"]}",pod="{p["pod"]}",container="c"'
        lines += [
            f"container_cpu_usage_seconds_total{{{ids}}} 0.0 {t0 + 60 * m}" for m in range(61)
        ]
    return "\n".join([*lines, "# EOF"]) + "\n"


def test_pennys_pod_is_allocated_to_its_team_and_app(tmp_path: Path) -> None:
    dep = one(render(TARGETS["base"]), "Deployment")
    labels = dep["spec"]["template"]["metadata"]["labels"]
    (container,) = dep["spec"]["template"]["spec"]["containers"]
    req = container["resources"]["requests"]
    penny = {
        "namespace": dep["metadata"]["namespace"],
        "pod": "penny-5f7c9d-x2x9q",
        "labels": {
            "label_" + k.replace(".", "_").replace("/", "_").replace("-", "_"): v
            for k, v in labels.items()
        },
        "cpu": _quantity(req["cpu"]),
        "memory": _quantity(req["memory"]),
    }
    assert (penny["cpu"], penny["memory"]) == (0.25, 512 * 1024**2)
    web = {
        "namespace": "shop",
        "pod": "web-1",
        "labels": {"label_team": "payments"},
        "cpu": 1.0,
        "memory": 2.0 * GIB,
    }
    om = tmp_path / "cluster.om"
    om.write_text(_openmetrics([penny, web]), encoding="utf-8")
    settings = load_settings()
    ingest_openmetrics([om], "prod", settings, start=T0, end=T0 + timedelta(hours=1))
    bill = line(
        ResourceId="i-0abc00000000feed",
        BilledCost="0.096",
        EffectiveCost="0.096",
        ChargePeriodStart="2026-10-01 10:00:00",
        ChargePeriodEnd="2026-10-01 11:00:00",
    )
    ingest_focus([write_csv(tmp_path / "bill.csv", [bill])], settings)
    allocate(settings, Window(T0, T0 + timedelta(hours=1)))
    with reader(settings) as con:
        rows = con.execute(
            "SELECT team, app, sum(total_cost) FROM allocations WHERE namespace = ? GROUP BY ALL",
            [penny["namespace"]],
        ).fetchall()
    # OpenCost's ratio split of the node's $0.096/h: r_c = 0.031611 / 0.004237,
    # M = 2·r_c + 8 GiB, p_ram = 0.096 / M, p_cpu = p_ram·r_c;
    # Penny = 0.25 core·p_cpu + 0.5 GiB·p_ram for one hour
    r_c = Decimal("0.031611") / Decimal("0.004237")
    p_ram = Decimal("0.096") / (2 * r_c + 8)
    expected = Decimal("0.25") * p_ram * r_c + Decimal("0.5") * p_ram
    assert [(t, a) for t, a, _ in rows] == [("platform", "penny")]
    assert rows[0][2] == pytest.approx(expected, abs=Decimal("1e-9"))
