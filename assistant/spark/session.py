"""The SparkSession Penny runs on: local mode by default, any cluster by settings.

One session per process (Spark allows one active session per JVM); the configuration
that Penny's numbers depend on is forced here, whatever the cluster's defaults:
UTC, timestamps without time zone (DuckDB's TIMESTAMP), decimal arithmetic that
never trades scale for precision, and partition values read as strings.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["REQUIRED_CONF", "spark_session"]

#: Settings every Penny Spark session has; cluster-specific settings come from
#: ``warehouse.spark_conf`` and may not override these.
REQUIRED_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
}
#: Local-mode defaults sized for a laptop or CI (a few hundred MB of data).
_LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
}


def spark_session(settings: Settings) -> SparkSession:
    """The process's SparkSession for ``settings.warehouse`` (created on first use)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - pyspark is a dependency
        raise ConfigError(
            "The Spark engine needs pyspark, which is not installed.",
            hint="pip install 'penny-finops[spark]' (or pyspark>=3.5), or use engine duckdb.",
        ) from exc
    wh = settings.warehouse
    if (
        wh.spark_master.startswith("local")
        and not os.environ.get("PYSPARK_GATEWAY_PORT")
        and not (os.environ.get("JAVA_HOME") or shutil.which("java"))
    ):
        raise ConfigError(
            "The Spark engine needs Java 17 or newer, and no `java` is on PATH.",
            hint="Install a JRE (e.g. apt-get install openjdk-17-jre-headless) or set "
            "JAVA_HOME; or use --engine duckdb.",
        )
    active = SparkSession.getActiveSession()
    if active is not None:
        _force(active)
        return active
    submitted = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))  # spark-submit chose the master
    builder: Any = SparkSession.builder.appName("penny")
    if not submitted:
        builder = builder.master(wh.spark_master)
    local = wh.spark_master.startswith("local") and not submitted
    conf = {**(_LOCAL_CONF if local else {}), **wh.spark_conf}
    conf.update(REQUIRED_CONF)
    for key, value in conf.items():
        builder = builder.config(key, value)
    # PySpark logs every failed query's plan as JSON on stderr; Penny raises its own error
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    _force(session)
    return session


def _force(session: SparkSession) -> None:
    for key, value in REQUIRED_CONF.items():
        if key != "spark.sql.timestampType" or session.conf.get(key) != value:
            session.conf.set(key, value)
