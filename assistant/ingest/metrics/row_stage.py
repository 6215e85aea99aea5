"""An ingest's hourly rows staged in Parquet, then inserted in one statement per table.

Why not insert each chunk into the writer's open transaction, as the ingest once did:
DuckDB keeps about 140 bytes per appended row outside its buffer pool (so outside
``memory_limit``) until the transaction commits, whatever the column types — measured
at 16.6 MB per 120k-row chunk, 5k pods × 30 days growing by ~20 MB of RSS a chunk and
20k pods × 30 days past 3 GB. Committing each chunk keeps it flat but breaks "a failed
ingest leaves the warehouse as it was", and one ``INSERT … SELECT`` of all the rows in
the transaction is flat too (same test). So each chunk's rows are cast to the table's
column types and written to a Parquet file by a private in-memory DuckDB connection,
and :meth:`RowStage.insert_into` adds every table's files inside the writer's single
transaction. Only the temporary directory grows with the window (1 GB for 14.4M
container-hours of random values); it is removed when the stage closes, whatever
happened.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from assistant.ingest.metrics.rows import COLUMNS, MetricsRows

__all__ = ["RowStage", "table_batch", "typed_select"]

#: DuckDB memory for the stage's own connection: it only casts one chunk's batch.
STAGE_MEMORY = "256MB"


def _column(values: list[Any], dtype: str) -> np.ndarray[Any, Any]:
    """A numpy column DuckDB scans with NULLs intact: NaN stands for NULL in a DOUBLE
    array (DuckDB reads it so; the mapping never makes a NaN), None in an object one."""
    if dtype in ("DOUBLE", "INTEGER", "BIGINT"):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(values, dtype=object)


def table_batch(
    rows: MetricsRows, table: str, types: Mapping[str, str]
) -> dict[str, np.ndarray[Any, Any]] | None:
    """``table``'s rows of a chunk as numpy columns (exact doubles, no text round trip),
    or None when the chunk has none."""
    if table in rows.columns:
        batch = {c: rows.columns[table][c] for c in COLUMNS[table]}
        return batch if len(batch[COLUMNS[table][0]]) else None
    table_rows = rows.tables[table]
    if not table_rows:
        return None
    return {c: _column([row[c] for row in table_rows], types[c]) for c in COLUMNS[table]}


def typed_select(table: str, types: Mapping[str, str], source: str = "metrics_batch") -> str:
    """``SELECT ?, <each column cast to its type>, ? FROM source`` (cluster, ingest id)."""
    return (
        "SELECT ?, "
        + ", ".join(f"CAST({c} AS {types[c]})" for c in COLUMNS[table])
        + f", ? FROM {source}"
    )


class RowStage:
    """Hourly rows of one ingest on disk, chunk by chunk, until the writer inserts them.

    ``types`` maps each table to its column types (JSON read as VARCHAR, as the writer
    inserts it). :meth:`add` is called from one thread at a time (the ingest's stage
    thread); :meth:`insert_into` after the last ``add`` has returned.
    """

    def __init__(self, types: Mapping[str, Mapping[str, str]]) -> None:
        self.types = types
        self._tmp = Path(tempfile.mkdtemp(prefix="penny-rows-"))
        self._files: dict[str, int] = {}  # Parquet files written per table
        self.con = duckdb.connect(
            config={"memory_limit": STAGE_MEMORY, "temp_directory": str(self._tmp / "spill")}
        )
        self.con.execute("SET enable_progress_bar = false")

    def add(self, rows: MetricsRows, tables: tuple[str, ...]) -> None:
        """Write this chunk's rows of ``tables`` to one Parquet file per table."""
        for table in tables:
            batch = table_batch(rows, table, self.types[table])
            if batch is None:
                continue
            n = self._files.get(table, 0)
            path = self._tmp / table / f"{n:05d}.parquet"
            path.parent.mkdir(exist_ok=True)
            names = ", ".join(f"CAST({c} AS {self.types[table][c]}) AS {c}" for c in batch)
            self.con.register("metrics_batch", batch)
            try:
                self.con.execute(
                    f"COPY (SELECT {names} FROM metrics_batch) TO '{_sql_path(path)}' "
                    "(FORMAT parquet)"
                )
            finally:
                self.con.unregister("metrics_batch")
            self._files[table] = n + 1

    def insert_into(self, con: duckdb.DuckDBPyConnection, cluster: str, ingest_id: str) -> None:
        """Every staged table into ``con`` (the writer, inside its transaction), one
        ``INSERT … SELECT`` per table: DuckDB writes the rows out as it reads them."""
        for table in self._files:
            cols = ", ".join(COLUMNS[table])
            files = _sql_path(self._tmp / table / "*.parquet")
            con.execute(
                f"INSERT INTO {table} (cluster, {cols}, ingest_id) "
                f"SELECT ?, {cols}, ? FROM read_parquet('{files}')",
                [cluster, ingest_id],
            )

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> RowStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
