"""A real Prometheus: backfill the known cluster with promtool, serve it, ingest over HTTP.

The warehouse rows must equal what ingest_openmetrics makes of the same file, and the
hand-computed numbers of cluster_file.py must come out of the real server too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.demo.prometheus_server import PrometheusServer, backfill
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.ingest.metrics.prometheus import ingest_prometheus
from tests.conftest import require_binary

from .cluster_file import MIB, T0, dump, write

pytestmark = pytest.mark.prometheus
END = T0 + timedelta(hours=2)


@pytest.fixture
def om_file(tmp_path: Path) -> Path:
    return write(tmp_path / "cluster.om")


@pytest.fixture
def prometheus(om_file: Path, tmp_path: Path) -> Iterator[str]:
    require_binary("prometheus")
    require_binary("promtool")
    backfill(om_file, tmp_path / "tsdb")
    server = PrometheusServer(tmp_path / "tsdb")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        assert server.process is None


def test_real_prometheus_round_trip(prometheus: str, om_file: Path) -> None:
    settings = load_settings()
    report = ingest_prometheus(prometheus, T0, END, "real", settings, progress=True)
    ingest_openmetrics([om_file], "file", settings, start=T0, end=END)
    rows = dump(settings)
    for table, table_rows in rows.items():
        real = [r[1:] for r in table_rows if r[0] == "real"]
        assert real, table
        assert real == [r[1:] for r in table_rows if r[0] == "file"], table
    assert report.missing_optional == []
    web11 = next(
        r
        for r in rows["container_hours"]
        if r[0] == "real" and r[2] == "web-abc-1" and r[5] == T0 + timedelta(hours=1)
    )
    # restart at 11:30: (11 intervals × 0.25 cores + 5 s / 300 s) / 12; memory 300/500 MiB
    # for 6 points each → mean 400 MiB; one restart, OOMKilled.
    assert web11[9] == pytest.approx((11 * 0.25 + 5 / 300) / 12, rel=1e-12)
    assert (web11[13], web11[14], web11[16], web11[17]) == (400 * MIB, 500 * MIB, 1, 1)
    job = next(r for r in rows["container_hours"] if r[0] == "real" and r[2] == "report-1-xyz")
    assert (job[6], job[9]) == (0.5, pytest.approx(5.8 / 6, rel=1e-12))
