"""Opening the Spark engine like the DuckDB warehouse: a writer that commits, a reader.

``spark_writer`` mirrors :func:`assistant.warehouse.db.writer`: the body's statements
change the tables in the session only, and the lake is written when the body returns
(an exception leaves the lake as it was). ``spark_reader`` mirrors ``reader``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from assistant.config import Settings
from assistant.spark.connection import SparkConnection
from assistant.spark.lake import Lake
from assistant.spark.session import spark_session

__all__ = ["spark_reader", "spark_writer"]


@contextmanager
def spark_writer(settings: Settings) -> Iterator[SparkConnection]:
    spark = spark_session(settings)
    con = SparkConnection(spark, Lake(spark, settings.lake_root), writable=True)
    try:
        yield con
        con.commit()
    finally:
        con.close()


@contextmanager
def spark_reader(settings: Settings) -> Iterator[SparkConnection]:
    spark = spark_session(settings)
    con = SparkConnection(spark, Lake(spark, settings.lake_root), writable=False)
    try:
        yield con
    finally:
        con.close()
