"""ingest_prometheus against a local fake of the Prometheus HTTP API: errors and splitting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.cli import main
from assistant.config import load_settings
from assistant.demo.prometheus_server import free_port
from assistant.errors import DataGap, SourceAuthError, SourceUnavailable
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.ingest.metrics.prometheus import ingest_prometheus
from assistant.warehouse.db import reader

from .cluster_file import T0, T0_S, dump, write
from .fake_prometheus import FakeConfig, fake_prometheus

END = T0 + timedelta(hours=2)


def _rows_of(cluster: str) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: [r[1:] for r in rows if r[0] == cluster] for t, rows in dump(load_settings()).items()
    }


def test_fake_prometheus_gives_the_file_rows(tmp_path: Path) -> None:
    ingest_openmetrics([write(tmp_path / "c.om")], "file", load_settings(), start=T0, end=END)
    cfg = FakeConfig()
    with fake_prometheus(cfg) as url:
        report = ingest_prometheus(url, T0, END, "http", load_settings())
    assert _rows_of("http") == _rows_of("file")
    assert report.rows["container_hours"] == 3
    # one query_range per metric (2-hour window = one chunk) + the metric-name check
    assert sum("query_range" in r for r in cfg.requests) == len(report.series)


def test_too_many_samples_splits_by_namespace(tmp_path: Path) -> None:
    ingest_openmetrics([write(tmp_path / "c.om")], "file", load_settings(), start=T0, end=END)
    cfg = FakeConfig(too_large={"container_cpu_usage_seconds_total"})
    with fake_prometheus(cfg) as url:
        report = ingest_prometheus(url, T0, END, "http", load_settings())
    assert _rows_of("http") == _rows_of("file")
    cpu_queries = [r for r in cfg.requests if "query_range" in r and "cpu_usage" in r]
    # the refused whole query, then batch, shop and the no-namespace remainder
    assert len(cpu_queries) == 4
    assert any("container_cpu_usage_seconds_total" in n for n in report.notes)


def test_time_chunks_give_the_same_rows(tmp_path: Path) -> None:
    ingest_openmetrics([write(tmp_path / "c.om")], "file", load_settings(), start=T0, end=END)
    with fake_prometheus(FakeConfig()) as url:
        report = ingest_prometheus(url, T0, END, "http", load_settings(), chunk_hours=1)
    # node-a is upserted by both 1-hour chunks but is one row; 2 node-hours.
    assert (report.rows["k8s_nodes"], report.rows["node_hours"]) == (1, 2)
    http = _rows_of("http")
    for table, rows in _rows_of("file").items():
        if table in (
            "k8s_nodes",
            "k8s_pods",
            "k8s_namespaces",
            "k8s_owners",
            "k8s_pvs",
            "k8s_hpas",
        ):
            continue  # first/last seen widen across chunks; compared below
        assert http[table] == rows, table
    assert [r[-2:] for r in http["k8s_nodes"]] == [r[-2:] for r in _rows_of("file")["k8s_nodes"]]


def test_bearer_token_required_401_is_auth_error() -> None:
    cfg = FakeConfig(token="s3cret")
    with fake_prometheus(cfg) as url:
        with pytest.raises(SourceAuthError, match="HTTP 401") as info:
            ingest_prometheus(url, T0, END, "c", load_settings(), bearer_token="wrong")
        assert info.value.context["url"] == url
        report = ingest_prometheus(url, T0, END, "c", load_settings(), bearer_token="s3cret")
    assert report.rows["node_hours"] == 2


def test_forbidden_is_auth_error() -> None:
    with (
        fake_prometheus(FakeConfig(forbid=True)) as url,
        pytest.raises(SourceAuthError, match="HTTP 403"),
    ):
        ingest_prometheus(url, T0, END, "c", load_settings())


def test_url_that_is_not_the_prometheus_root_is_a_clear_error() -> None:
    with fake_prometheus(FakeConfig()) as url:
        wrong = url + "/grafana"
        with pytest.raises(SourceUnavailable, match="rejected /api/v1/query_range") as info:
            ingest_prometheus(wrong, T0, END, "c", load_settings())
    assert info.value.context["url"] == wrong
    with reader(load_settings()) as con:  # the failed run left nothing behind
        assert con.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)


def test_cli_help_lists_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--help"]) == 0
    out = capsys.readouterr().out
    assert "prometheus" in out and "openmetrics" in out


def test_unreachable_prometheus_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SourceUnavailable, match=f"Cannot reach Prometheus at {url}"):
        ingest_prometheus(url, T0, END, "c", load_settings())


def test_missing_required_metric_is_a_data_gap_naming_it() -> None:
    cfg = FakeConfig(
        hidden={"kube_pod_container_resource_requests", "container_memory_working_set_bytes"}
    )
    with fake_prometheus(cfg) as url, pytest.raises(DataGap) as info:
        ingest_prometheus(url, T0, END, "c", load_settings())
    assert info.value.context["missing"] == [
        "kube_pod_container_resource_requests",
        "container_memory_working_set_bytes",
    ]
    assert not any("query_range" in r for r in cfg.requests)  # failed before fetching


def test_missing_dcgm_is_optional() -> None:
    cfg = FakeConfig(
        hidden={
            "DCGM_FI_DEV_GPU_UTIL",
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
            "DCGM_FI_DEV_FB_USED",
            "DCGM_FI_DEV_POWER_USAGE",
        }
    )
    with fake_prometheus(cfg) as url:
        report = ingest_prometheus(url, T0, END, "c", load_settings())
    assert report.rows["gpu_hours"] == 0 and report.rows["container_hours"] == 3
    assert report.missing_optional[-4:] == [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_POWER_USAGE",
    ]


def test_cli_prometheus_with_token_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROM_TOKEN", "tok")
    with fake_prometheus(FakeConfig(token="tok")) as url:
        code = main(
            [
                "ingest",
                "prometheus",
                "--url",
                url,
                "--start",
                "2026-10-01T10:00Z",
                "--end",
                "2026-10-01T12:00Z",
                "--cluster",
                "prod",
                "--token-env",
                "PROM_TOKEN",
                "--json",
            ]
        )
    out = capsys.readouterr().out
    assert code == 0
    assert '"container_hours": 3' in out
    with reader(load_settings()) as con:
        assert con.execute(
            "SELECT count(*) FROM container_hours WHERE cluster='prod'"
        ).fetchone() == (3,)


def test_cli_errors_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = main(
        [
            "ingest",
            "prometheus",
            "--url",
            url,
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-02",
            "--cluster",
            "prod",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "Cannot reach Prometheus" in err and "Traceback" not in err
    code = main(
        [
            "ingest",
            "prometheus",
            "--url",
            url,
            "--start",
            "yesterday-ish",
            "--end",
            "2026-10-02",
            "--cluster",
            "prod",
        ]
    )
    assert code == 1 and "Cannot read time 'yesterday-ish'" in capsys.readouterr().err
    code = main(
        [
            "ingest",
            "prometheus",
            "--url",
            url,
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-02",
            "--cluster",
            "prod",
            "--step",
            "7m",
        ]
    )
    assert code == 1 and "does not divide an hour" in capsys.readouterr().err


def test_cli_openmetrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "c.om")
    code = main(
        [
            "ingest",
            "openmetrics",
            str(path),
            "--cluster",
            "lab",
            "--start",
            "2026-10-01T10:00Z",
            "--end",
            "2026-10-01T12:00Z",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "container_hours: 3" in out and "cluster 'lab'" in out


def _cli_prometheus(url: str, cluster: str, *extra: str) -> int:
    return main(
        [
            "ingest",
            "prometheus",
            "--url",
            url,
            "--start",
            "2026-10-01T10:00Z",
            "--end",
            "2026-10-01T12:00Z",
            "--cluster",
            cluster,
            "--no-allocate",
            *extra,
        ]
    )


def _range_starts(cfg: FakeConfig, metric: str) -> list[float]:
    return [
        float(parse_qs(urlsplit(r).query)["start"][0])
        for r in cfg.requests
        if r.startswith("/api/v1/query_range") and metric in r
    ]


def test_cli_chunk_hours_fetches_that_many_hours_per_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # default: the 2-hour window is one chunk, so one range query per metric from 10:00;
    # --chunk-hours 1: two queries per metric, from 10:00 and from 11:00 (T0_S + 3600)
    whole, hourly = FakeConfig(), FakeConfig()
    with fake_prometheus(whole) as url:
        assert _cli_prometheus(url, "whole") == 0
    with fake_prometheus(hourly) as url:
        assert _cli_prometheus(url, "hourly", "--chunk-hours", "1") == 0
    capsys.readouterr()
    metric = "kube_pod_container_resource_requests"
    assert _range_starts(whole, metric) == [T0_S]
    assert _range_starts(hourly, metric) == [T0_S, T0_S + 3600]
    # the hourly rows do not depend on the chunking (inventory first/last seen aside:
    # test_time_chunks_give_the_same_rows compares those)
    for table in ("container_hours", "node_hours", "pvc_hours", "gpu_hours"):
        assert _rows_of("hourly")[table] == _rows_of("whole")[table], table
    assert len(_rows_of("hourly")["container_hours"]) == 3


@pytest.mark.parametrize("hours", ["0", "745"])
def test_cli_chunk_hours_out_of_range_is_refused_before_any_query(
    hours: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = FakeConfig()
    with fake_prometheus(cfg) as url:
        code = _cli_prometheus(url, "c", "--chunk-hours", hours)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"Chunk of {hours} hours is out of range" in err and "--chunk-hours 24" in err
    assert cfg.requests == []
    assert not load_settings().db_path.exists()  # refused before the warehouse was opened
