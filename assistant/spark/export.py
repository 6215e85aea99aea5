"""Copying the DuckDB warehouse into the lake: how a one-machine Penny moves to Spark.

Every table is written with DuckDB's own Parquet writer, partitioned like the lake
(:attr:`~assistant.spark.schema.Table.partitions`), into a sibling folder that then
replaces the table's folder. Types Spark has no exact twin for travel as their Spark
column type (JSON as text, UBIGINT as DECIMAL(20,0)). Local lake paths only: for an
object store, copy the folder (or write the lake from Spark jobs directly).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assistant.config import Settings
from assistant.errors import InputError
from assistant.spark.schema import Table, spark_type, tables
from assistant.warehouse.sql_text import path_lit

__all__ = ["ExportReport", "export_lake"]


@dataclass
class ExportReport:
    lake: str
    rows: dict[str, int]


def _select(table: Table) -> str:
    cols = []
    for c in table.columns:
        target = spark_type(c.duck_type)
        duck = {"STRING": "VARCHAR", "TIMESTAMP_NTZ": "TIMESTAMP"}.get(target, target)
        cols.append(f'CAST("{c.name}" AS {duck}) AS "{c.name}"')
    if table.day_column:
        cols.append(f'CAST("{table.day_column}" AS DATE) AS day')
    return f"SELECT {', '.join(cols)} FROM main.{table.name}"


def export_lake(settings: Settings, lake: str | None = None) -> ExportReport:
    """Write every warehouse table to ``lake`` (default ``settings.lake_root``); an empty
    table leaves no folder (the lake reads a missing table as empty)."""
    target = lake or settings.lake_root
    if "://" in target:
        raise InputError(
            f"Export writes a local folder, not {target!r}.",
            hint="Export to a folder, then copy it to the object store.",
        )
    root = Path(target)
    root.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    # not reader(): read-only readers are barred from the file system, and this writes files
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        for table in tables().values():
            count = con.execute(f"SELECT count(*) FROM main.{table.name}").fetchone()
            rows[table.name] = n = int(count[0]) if count else 0
            final = root / table.name
            staging = root / f"{table.name}.staging-{uuid.uuid4().hex[:8]}"
            if n:
                opts = "FORMAT parquet"
                if table.partitions:
                    opts += f", PARTITION_BY ({', '.join(table.partitions)})"
                    out = str(staging)
                else:
                    staging.mkdir()
                    out = str(staging / "data.parquet")
                con.execute(f"COPY ({_select(table)}) TO {path_lit(out)} ({opts})")
            if final.exists():
                shutil.rmtree(final)
            if n:
                staging.rename(final)
    finally:
        con.close()
    return ExportReport(str(root), rows)
