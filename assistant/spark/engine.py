"""Which engine answers, DuckDB (one machine) or Spark (the lake), and opening it.

``warehouse.engine`` in settings is the default; ``penny allocate`` and ``penny costs``
take ``--engine``. Both engines run the same SQL (Spark through a DuckDB-compatible
connection, :mod:`assistant.spark.connection`), so callers get a connection and never
branch on the engine themselves.

``spark_writer`` mirrors :func:`assistant.warehouse.db.writer`: the body's statements
change the tables in the session only, and the lake is written when the body returns
(an exception leaves the lake as it was). ``spark_reader`` mirrors ``reader``. PySpark
is imported only when the Spark engine is chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal

from assistant.config import Settings
from assistant.errors import InputError
from assistant.warehouse.db import reader, writer

__all__ = [
    "ENGINES",
    "Engine",
    "engine_reader",
    "engine_writer",
    "resolve_engine",
    "spark_reader",
    "spark_writer",
]

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def resolve_engine(settings: Settings, engine: str | None) -> Engine:
    """``engine`` if given, else the configured one; InputError on an unknown name."""
    name = (engine or settings.warehouse.engine).strip().lower()
    if name not in ENGINES:
        raise InputError(
            f"Unknown engine {engine!r}.",
            hint="Use duckdb (this machine's warehouse) or spark (the Parquet lake).",
            value=engine,
        )
    return name  # type: ignore[return-value]


def engine_writer(settings: Settings, engine: str | None = None) -> AbstractContextManager[Any]:
    """The writer of the chosen engine (one transaction / one lake commit)."""
    if resolve_engine(settings, engine) == "spark":
        return spark_writer(settings)
    return writer(settings)


def engine_reader(settings: Settings, engine: str | None = None) -> AbstractContextManager[Any]:
    """A read-only connection of the chosen engine."""
    if resolve_engine(settings, engine) == "spark":
        return spark_reader(settings)
    return reader(settings)


@contextmanager
def spark_writer(settings: Settings) -> Iterator[Any]:
    from assistant.spark.connection import SparkConnection
    from assistant.spark.lake import Lake
    from assistant.spark.session import spark_session

    spark = spark_session(settings)
    con = SparkConnection(spark, Lake(spark, settings.lake_root), writable=True)
    try:
        yield con
        con.commit()
    finally:
        con.close()


@contextmanager
def spark_reader(settings: Settings) -> Iterator[Any]:
    from assistant.spark.connection import SparkConnection
    from assistant.spark.lake import Lake
    from assistant.spark.session import spark_session

    spark = spark_session(settings)
    con = SparkConnection(spark, Lake(spark, settings.lake_root), writable=False)
    try:
        yield con
    finally:
        con.close()
