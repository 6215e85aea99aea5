"""Spark engine fixtures: one local SparkSession for the test session, small data.

The demo warehouse (tests/demo_warehouse.py) and a small generated cluster are each
exported to a lake and allocated by both engines once per session; tests compare what
the engines answer. Spark runs in local mode with the JVM this machine has (Java 17).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from assistant.allocation.allocate import AllocationReport, allocate
from assistant.config import Settings, load_settings
from assistant.spark.export import export_lake
from assistant.warehouse.db import writer
from assistant.windows import Window
from bench.allocation import load_cluster
from tests.demo_warehouse import demo_copy

#: the demo week both engines re-allocate and answer for (Spark's cost grows with statements
#: and files more than with rows; a week keeps the suite's Spark time down)
WEEK = Window(datetime(2026, 10, 5), datetime(2026, 10, 12))


@dataclass
class Allocated:
    settings: Settings
    duckdb: AllocationReport
    spark: AllocationReport


def _both(settings: Settings, window: Window | None = None) -> Allocated:
    export_lake(settings)
    duck = allocate(settings, window, engine="duckdb")
    spark = allocate(settings, window, engine="spark")
    return Allocated(settings, duck, spark)


@pytest.fixture(scope="session")
def demo_allocated(tmp_path_factory: pytest.TempPathFactory) -> Allocated:
    """The small demo (3 clusters, Sept–Nov 20 2026) exported to a lake; one October
    week re-allocated by DuckDB in the warehouse and by Spark in the lake."""
    home = demo_copy(tmp_path_factory, "spark-demo")
    return _both(load_settings(home=home, db=home / "penny.duckdb"), WEEK)


@pytest.fixture(scope="session")
def generated_allocated(tmp_path_factory: pytest.TempPathFactory) -> Allocated:
    """The bench's synthetic cluster at 60 pods × 2 days (3 nodes, an hourly EC2 line per
    node and an EKS line per hour), written straight into the raw tables."""
    home = tmp_path_factory.mktemp("spark-generated")
    settings = load_settings(home=home, db=Path(home) / "penny.duckdb")
    with writer(settings) as con:
        load_cluster(con, 60, 2)
    return _both(settings)
