"""The lake: the warehouse's tables as Parquet folders, partitioned by cluster and day.

``<lake>/<table>/cluster=<c>/day=<YYYY-MM-DD>/part-….parquet`` (partitions per
:attr:`Table.partitions`). The root is any path Spark's Hadoop file system reads:
a local folder, ``hdfs://…``, ``s3a://bucket/penny``, ``abfss://…``, ``gs://…``.
Tables are written whole: the new contents go to a sibling folder, which then replaces
the old one by two renames, so readers see the old table or the new one. Plain Parquet
was chosen over Delta Lake or Iceberg because their Spark jars are not on PyPI (they
would be fetched from Maven at run time, which Penny never does) and every engine
(DuckDB, Spark, Trino, Athena) reads it; the price is no multi-table transaction.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from assistant.spark.schema import Table, spark_type, tables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Lake"]


class Lake:
    """Reading and replacing lake tables through one SparkSession."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        jvm: Any = spark.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._fs = self._path(self.root).getFileSystem(conf)

    def path(self, table: str) -> str:
        return f"{self.root}/{table}"

    def exists(self, table: str) -> bool:
        return bool(self._fs.exists(self._path(self.path(table))))

    def read(self, table: Table) -> DataFrame:
        """The table in its warehouse column order and types (empty when not written)."""
        columns = ", ".join(
            f"CAST({_q(c.name)} AS {spark_type(c.duck_type)}) AS {_q(c.name)}"
            for c in table.columns
        )
        if not self.exists(table.name):
            empty = ", ".join(
                f"CAST(NULL AS {spark_type(c.duck_type)}) AS {_q(c.name)}" for c in table.columns
            )
            return self.spark.sql(f"SELECT {empty} FROM (SELECT 1) WHERE false")
        # an explicit schema: no job to infer it from the files' footers
        parts = {"cluster": "STRING", "day": "DATE"}
        ddl = ", ".join(
            [
                f"{_q(c.name)} {spark_type(c.duck_type)}"
                for c in table.columns
                if c.name not in table.partitions
            ]
            + [f"{p} {parts[p]}" for p in table.partitions]
        )
        raw = (
            self.spark.read.schema(ddl)
            .option("basePath", self.path(table.name))
            .parquet(self.path(table.name))
        )
        raw.createOrReplaceTempView(f"_lake_{table.name}")
        return self.spark.sql(f"SELECT {columns} FROM _lake_{table.name}")

    def replace(self, table: Table, data: DataFrame) -> None:
        """Write ``data`` as the whole table, then swap it in by renames."""
        path = self.path(table.name)
        staging = f"{path}.staging-{uuid.uuid4().hex[:8]}"
        out = data
        if table.day_column:
            out = out.withColumn("day", out[table.day_column].cast("date"))
        writer = out.write.mode("overwrite")
        if table.partitions:
            writer = writer.partitionBy(*table.partitions)
        writer.parquet(staging)
        old = f"{path}.old-{uuid.uuid4().hex[:8]}"
        had = self.exists(table.name)
        if had:
            self._fs.rename(self._path(path), self._path(old))
        self._fs.rename(self._path(staging), self._path(path))
        if had:
            self._fs.delete(self._path(old), True)

    def tables(self) -> dict[str, Table]:
        return tables()


def _q(name: str) -> str:
    return f"`{name}`"
