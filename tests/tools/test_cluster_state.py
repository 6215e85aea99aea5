"""cluster_state against a local HTTP Kubernetes API (real official client), and its fallback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.kube.snapshot import take_snapshot
from tests.tools.fake_kube import FakeKube, running, write_kubeconfig
from tools.registry import ToolContext, call


@pytest.fixture
def kube(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKube]:
    with running() as fake:
        monkeypatch.setenv("KUBECONFIG", str(fake.kubeconfig(tmp_path / "kubeconfig")))
        yield fake


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ctx(settings: Settings, scope: Scope | None = None) -> ToolContext:
    return ToolContext.create(settings, scope)


def test_nodes_live_capacity_allocatable_and_requested(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "nodes"}, _ctx(settings))
    assert result.ok, result.error
    assert result.provenance.source == "kubernetes-api"
    nodes = {n["name"]: n for n in result.data["items"]}
    a, b = nodes["node-a"], nodes["node-b"]
    assert (a["capacity_type"], b["capacity_type"]) == ("on-demand", "spot")
    assert a["capacity"] == {"cpu_cores": 4.0, "memory_gib": 16.0, "gpus": 0.0}
    assert a["allocatable"]["cpu_cores"] == 3.92
    # node-a running pods: recsys 500m+100m, report 250m, checkout 250m, coredns 100m = 1.2
    # (the Succeeded checkout-web-old pod does not count); 1.2 / 3.92 = 30.6 %
    assert a["requested"]["cpu_cores"] == 1.2
    assert a["cpu_requested_pct"] == 30.6
    # memory: 1024 + 128 + 512 + 256 + 70 = 1990 MiB = 1.943 GiB
    assert a["requested"]["memory_gib"] == 1.943
    # node-b: recsys 0.6 + ledger 2 = 2.6 cores of 7.91 = 32.9 %
    assert b["requested"]["cpu_cores"] == 2.6 and b["cpu_requested_pct"] == 32.9
    assert a["instance_type"] == "m5.xlarge" and a["pods"] == 4


def test_workloads_roll_up_owners_and_attach_hpa(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "workloads"}, _ctx(settings))
    assert result.ok, result.error
    items = result.data["items"]
    # sorted by total CPU requested: ledger 2.0, recsys 1.2, checkout 0.25, report 0.25, dns 0.1
    assert [(w["kind"], w["name"]) for w in items] == [
        ("StatefulSet", "payments-ledger"),
        ("Deployment", "recsys-api"),
        ("Deployment", "checkout-web"),
        ("CronJob", "nightly-report"),
        ("Deployment", "coredns"),
    ]
    recsys = items[1]
    assert recsys["pods_running"] == 2 and recsys["desired_replicas"] == 2
    assert recsys["per_pod_requests"]["cpu_request_cores"] == 0.6
    assert recsys["per_pod_requests"]["memory_limit_bytes"] == 2 * 1024**3
    assert recsys["total_requests"]["cpu_request_cores"] == 1.2
    assert recsys["hpa"] == {
        "name": "recsys-api",
        "min_replicas": 2,
        "max_replicas": 10,
        "metrics": [{"resource": "cpu", "target_utilization_pct": 70, "target_value": None}],
    }
    assert items[3]["schedule"] == "0 2 * * *"


def test_pods_name_filter_and_cronjob_rollup(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "pods", "name": "nightly"}, _ctx(settings))
    assert result.ok, result.error
    (pod,) = result.data["items"]
    assert pod["controller"] == {"kind": "CronJob", "name": "nightly-report"}
    assert pod["cpu_request_cores"] == 0.25 and pod["memory_request_bytes"] == 512 * 1024**2


def test_top_n_bounds_output_and_says_how_many_more(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "pods", "top_n": 2}, _ctx(settings))
    assert result.data["total"] == 7 and result.data["shown"] == 2 and result.data["more"] == 5
    assert result.provenance.truncated is True
    # largest requests first: the 2-core ledger pod
    assert result.data["items"][0]["name"] == "payments-ledger-0"


def test_summary_admin(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "summary"}, _ctx(settings))
    data = result.data
    # running/pending pods: 2 recsys + ledger + report + checkout + coredns = 6; 3.8 cores
    assert data["pods_running"] == 6 and data["requested"]["cpu_cores"] == 3.8
    assert data["nodes"]["by_capacity_type"] == {"on-demand": 1, "spot": 1}
    assert data["nodes"]["allocatable"]["cpu_cores"] == 11.83
    assert data["cpu_requested_pct"] == 32.1  # 3.8 / 11.83
    assert data["workloads"] == 5 and data["hpas"] == 1 and data["namespaces"] == 4


def test_team_scope_queries_only_its_namespaces(kube: FakeKube, warehouse: Settings) -> None:
    scope = Scope(teams=["ml"], user="mia")
    result, _ = call("cluster_state", {"kind": "pods"}, _ctx(warehouse, scope))
    assert result.ok, result.error
    assert {p["namespace"] for p in result.data["items"]} == {"ml-serving"}
    assert result.data["total"] == 2
    pod_paths = [p for p in kube.requests if p.endswith("/pods")]
    assert pod_paths == ["/api/v1/namespaces/ml-serving/pods"]  # never the cluster-wide list
    nodes, _ = call("cluster_state", {"kind": "nodes"}, _ctx(warehouse, scope))
    assert nodes.ok is False and "cluster-wide" in (nodes.error or "")
    other, _ = call(
        "cluster_state", {"kind": "pods", "namespace": "payments-prod"}, _ctx(warehouse, scope)
    )
    assert other.ok is False and "ml-serving" in (other.error or "")


def test_unknown_namespace_suggests_close_names(kube: FakeKube, settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "pods", "namespace": "payments"}, _ctx(settings))
    assert result.ok is False
    assert "payments-prod" in (result.error or "")


def test_bad_kind_is_an_actionable_error(settings: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "deployments"}, _ctx(settings))
    assert result.ok is False
    assert "'nodes', 'pods', 'workloads', 'hpas', 'namespaces' or 'summary'" in result.error


def test_falls_back_to_snapshot_when_api_unreachable(
    kube: FakeKube, warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = take_snapshot(warehouse)
    assert info.counts["Pod"] == 7 and info.cluster == "fixture-ctx"
    dead = write_kubeconfig(tmp_path / "dead", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("KUBECONFIG", str(dead))
    result, _ = call("cluster_state", {"kind": "workloads"}, _ctx(warehouse))
    assert result.ok, result.error
    assert result.provenance.source == "snapshot"
    assert result.provenance.freshness == info.taken_at.isoformat() + "Z"
    assert any("Kubernetes API unavailable" in n for n in result.provenance.notes)
    names = [w["name"] for w in result.data["items"]]
    assert names[:2] == ["payments-ledger", "recsys-api"]  # same answer as live
    # a team reading the snapshot sees only its namespaces (filtered in SQL)
    scoped, _ = call("cluster_state", {"kind": "pods"}, _ctx(warehouse, Scope(teams=["web"])))
    assert {p["namespace"] for p in scoped.data["items"]} == {"checkout"}
    live_only, _ = call("cluster_state", {"kind": "pods", "source": "live"}, _ctx(warehouse))
    assert live_only.ok is False and "source='snapshot'" in (live_only.error or "")


def test_no_snapshot_and_no_api_is_no_data(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = write_kubeconfig(tmp_path / "dead", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("KUBECONFIG", str(dead))
    result, _ = call("cluster_state", {"kind": "pods"}, _ctx(settings))
    assert result.ok is True and result.status == "no_data"
    assert "penny snapshot" in (result.error or "")


def test_wrong_token_is_auth_error(
    kube: FakeKube, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kube.kubeconfig(tmp_path / "bad", token="nope")))
    result, _ = call("cluster_state", {"kind": "pods", "source": "live"}, _ctx(settings))
    assert result.ok is False and "HTTP 401" in (result.error or "")


def test_penny_snapshot_cli_stores_objects(
    kube: FakeKube, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["snapshot"]) == 0
    out = capsys.readouterr().out
    assert "Pod 7" in out and "fixture-ctx" in out
    from assistant.warehouse.db import reader

    with reader(settings) as con:
        kinds = dict(
            con.execute("SELECT kind, count(*) FROM cluster_snapshots GROUP BY kind").fetchall()
        )
        log = con.execute("SELECT kind, rows_written FROM ingest_log").fetchall()
    assert kinds["Node"] == 2 and kinds["HorizontalPodAutoscaler"] == 1 and kinds["Pod"] == 7
    assert log == [("snapshot", sum(kinds.values()))]


H = "2026-10-20 04:00:00"  # the latest inventory hour
GIB = 1024**3


@pytest.fixture
def inventory(warehouse: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Prometheus inventory rows: two nodes and two pods at H, an older pod an hour before."""
    from assistant.warehouse.db import writer

    dead = write_kubeconfig(tmp_path / "dead", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("KUBECONFIG", str(dead))
    with writer(warehouse) as con:
        con.execute(
            "INSERT INTO k8s_nodes VALUES ('prod', 'node-a', 'aws:///us-east-1a/i-0a', "
            "'i-0a', 'm5.xlarge', 'us-east-1', 'us-east-1a', 'on-demand', "
            '\'{"karpenter.sh/capacity-type": "on-demand", '
            '"node.kubernetes.io/instance-type": "m5.xlarge"}\', NULL, NULL, \'ing1\')'
        )
        con.execute(
            "INSERT INTO k8s_nodes VALUES ('prod', 'node-g', 'aws:///us-east-1a/i-0g', "
            "'i-0g', 'g5.xlarge', 'us-east-1', 'us-east-1a', 'spot', "
            "'{\"karpenter.sh/capacity-type\": \"spot\"}', NULL, NULL, 'ing1')"
        )
        for node, gpu in (("node-a", None), ("node-g", 1.0)):
            con.execute(
                "INSERT INTO node_hours VALUES ('prod', ?, ?, 1.0, 4, ?, ?, 'ing1')",
                [node, H, 16 * GIB, gpu],
            )
        con.execute(
            "INSERT INTO node_hours VALUES ('prod', 'node-old', '2026-10-20 03:00', "
            "1.0, 2, 8589934592, NULL, 'ing1')"
        )
        rows = [  # namespace, pod, container, node, hour, cpu req, cpu lim, ram req, ram lim, gpu
            (
                "ml-serving",
                "recsys-api-7d9f-abcde",
                "api",
                "node-g",
                H,
                0.5,
                1.0,
                GIB,
                2 * GIB,
                1.0,
            ),
            (
                "payments-prod",
                "payments-ledger-0",
                "ledger",
                "node-a",
                H,
                2.0,
                None,
                4 * GIB,
                4 * GIB,
                None,
            ),
            (
                "checkout",
                "checkout-web-5c-xyz",
                "web",
                "node-a",
                "2026-10-20 03:00",
                0.25,
                None,
                GIB,
                None,
                None,
            ),
        ]
        for ns, pod, ctr, node, hour, cr, cl, rr, rl, gpu in rows:
            con.execute(
                "INSERT INTO container_hours (cluster, namespace, pod, container, node, hour, "
                "running_hours, cpu_request_cores, cpu_limit_cores, ram_request_bytes, "
                "ram_limit_bytes, gpu_request, ingest_id) "
                "VALUES ('prod', ?, ?, ?, ?, ?, 1.0, ?, ?, ?, ?, ?, 'ing1')",
                [ns, pod, ctr, node, hour, cr, cl, rr, rl, gpu],
            )
        con.execute(
            "INSERT INTO k8s_hpas VALUES ('prod', 'ml-serving', 'recsys-api', "
            "'Deployment', 'recsys-api', 2, 10, 'cpu', 70.0, NULL, 'ing1')"
        )
    return warehouse


def test_inventory_answers_without_api_or_snapshot(inventory: Settings) -> None:
    result, _ = call("cluster_state", {"kind": "workloads"}, _ctx(inventory))
    assert result.ok, result.error
    assert result.provenance.source == "warehouse"
    assert result.provenance.freshness == "2026-10-20T05:00:00Z"  # end of the latest hour
    items = result.data["items"]
    assert [(w["kind"], w["name"], w["pods_running"]) for w in items] == [
        ("StatefulSet", "payments-ledger", 1),
        ("Deployment", "recsys-api", 1),
    ]
    recsys = items[1]
    assert recsys["total_requests"] == {
        "cpu_request_cores": 0.5,
        "cpu_limit_cores": 1.0,
        "memory_request_bytes": GIB,
        "memory_limit_bytes": 2 * GIB,
        "gpu_request": 1.0,
    }
    assert recsys["hpa"]["min_replicas"] == 2 and recsys["desired_replicas"] is None
    nodes, _ = call("cluster_state", {"kind": "nodes"}, _ctx(inventory))
    by_name = {n["name"]: n for n in nodes.data["items"]}
    assert set(by_name) == {"node-a", "node-g"}  # node-old is not at H
    assert by_name["node-g"]["capacity_type"] == "spot"
    assert by_name["node-g"]["requested"]["gpus"] == 1.0
    # node-a: ledger 2 cores of 4 = 50 %
    assert by_name["node-a"]["cpu_requested_pct"] == 50.0


def test_inventory_respects_scope(inventory: Settings) -> None:
    web, _ = call("cluster_state", {"kind": "pods"}, _ctx(inventory, Scope(teams=["web"])))
    # checkout's only pod ran at 03:00, not in the latest hour
    assert web.status == "no_data"
    ml, _ = call("cluster_state", {"kind": "pods"}, _ctx(inventory, Scope(teams=["ml"])))
    assert [p["name"] for p in ml.data["items"]] == ["recsys-api-7d9f-abcde"]


def test_fresher_snapshot_wins_over_inventory(inventory: Settings) -> None:
    from assistant.warehouse.db import writer

    with writer(inventory) as con:
        con.execute(
            "INSERT INTO cluster_snapshots VALUES ('snap1', 'prod', '2026-10-21 00:00', "
            '\'Namespace\', NULL, \'checkout\', \'{"kind": "Namespace", "metadata": '
            '{"name": "checkout", "labels": {}}}\', \'ing1\')'
        )
    result, _ = call("cluster_state", {"kind": "namespaces"}, _ctx(inventory))
    assert result.provenance.source == "snapshot"
    assert result.provenance.freshness == "2026-10-21T00:00:00Z"
    forced, _ = call(
        "cluster_state", {"kind": "namespaces", "source": "inventory"}, _ctx(inventory)
    )
    assert forced.provenance.source == "warehouse"
    assert {n["name"] for n in forced.data["items"]} == {
        "ml-serving",
        "payments-prod",
        "checkout",
        "kube-system",
    }


def test_penny_snapshot_unknown_context_is_a_clean_error(
    kube: FakeKube, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["snapshot", "--context", "nope"]) == 1
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert "context 'nope'" in err and "kubectl config get-contexts" in err
    assert not settings.db_path.exists()  # nothing written
