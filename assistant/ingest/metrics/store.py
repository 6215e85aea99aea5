"""Writing metrics rows: one transaction per ingest, whole hours replaced, rows tagged.

Both sources end here. :func:`write_metrics` opens the single writer, deletes the
cluster's hourly rows in ``[start, end)`` (so re-ingesting an overlapping window never
double-counts), maps and writes each chunk's hourly rows as it arrives, folds the
chunks' inventory rows in Python (:mod:`assistant.ingest.metrics.fold`) and upserts them
once (widening ``first_seen``/``last_seen``, newest attributes win), checks the required
metrics were seen, and logs the run — or rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.core.timestamps import minute
from assistant.errors import DataGap, InputError
from assistant.ingest.after import AfterIngest
from assistant.ingest.log import start_run
from assistant.ingest.metrics.chunk import ChunkSeries
from assistant.ingest.metrics.fold import InventoryFold
from assistant.ingest.metrics.gpu_share import REPLICAS_LABEL
from assistant.ingest.metrics.mapping import map_chunk
from assistant.ingest.metrics.rows import COLUMNS, HOURLY_TABLES, MetricsRows
from assistant.ingest.metrics.series import OPTIONAL, REQUIRED, Grid, GridSeries
from assistant.warehouse.db import Connection, writer

__all__ = ["MetricsIngestReport", "apply_time_slicing", "write_metrics", "write_rows"]

Chunk = tuple[Grid, Mapping[str, list[GridSeries]]]

#: DuckDB memory for the ingest's writer connection (the sample store has its own).
WRITER_MEMORY = "768MB"

#: Inventory tables: primary key columns (after ``cluster``) for the upsert.
_KEYS = {
    "k8s_nodes": ("node",),
    "k8s_namespaces": ("namespace",),
    "k8s_owners": ("namespace", "kind", "name"),
    "k8s_pods": ("namespace", "pod"),
    "k8s_pvs": ("pv",),
    "k8s_hpas": ("namespace", "hpa"),
}


@dataclass
class MetricsIngestReport:
    """What one metrics ingest did; ``summary()`` is what the CLI prints."""

    kind: str  # prometheus | openmetrics
    source: str  # URL or file paths
    cluster: str
    window_start: datetime
    window_end: datetime
    step_s: int
    ingest_id: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)  # series seen per metric
    missing_optional: list[str] = field(default_factory=list)
    queries: int = 0
    notes: list[str] = field(default_factory=list)
    #: what the ``allocate`` hook returned for the ingested hours (penny ingest: the
    #: AllocationReport of their re-allocation); None without a hook
    allocation: Any = None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, Any]:
        allocation, self.allocation = self.allocation, None
        try:
            data = asdict(self)
        finally:
            self.allocation = allocation
        data["allocation"] = allocation.to_dict() if hasattr(allocation, "to_dict") else None
        data["window_start"] = self.window_start.isoformat() + "Z"
        data["window_end"] = self.window_end.isoformat() + "Z"
        data["total_rows"] = self.total_rows
        return data

    def summary(self) -> str:
        lines = [
            f"Ingested {self.kind} metrics for cluster {self.cluster!r} "
            f"[{minute(self.window_start)}, {minute(self.window_end)}) UTC "
            f"at {self.step_s}s step: {self.total_rows} rows (ingest {self.ingest_id}).",
        ]
        lines += [f"  {t}: {n}" for t, n in self.rows.items() if n]
        if self.missing_optional:
            lines.append(
                "Optional metrics absent (no rows of that kind): "
                + ", ".join(self.missing_optional)
            )
        lines += self.notes
        a = self.allocation
        if a is not None and hasattr(a, "reconciled"):
            lines.append(
                f"Allocated {a.window.label()}: {a.container_hours} container-hours, "
                f"{a.node_hours} node-hours; "
                + (
                    "reconciled to the bill."
                    if a.reconciled
                    else "NOT reconciled: see penny allocate."
                )
            )
        return "\n".join(lines)


def _delete_window(con: Connection, cluster: str, start: datetime, end: datetime) -> None:
    for table in HOURLY_TABLES:
        con.execute(
            f"DELETE FROM {table} WHERE cluster = ? AND hour >= ? AND hour < ?",
            [cluster, start, end],
        )


def apply_time_slicing(con: Connection, cluster: str, ingest_id: str) -> None:
    """GPU units of this ingest's rows on time-sliced nodes → physical GPUs (``gpu_share``).

    The device plugin advertises each GPU ``replicas`` times on such a node (GPU feature
    discovery labels it ``nvidia.com/gpu.replicas``), so its capacity and every request
    on it are divided by the replicas: one definition of a GPU for capacity and shares.
    Runs once per ingest, on the rows it wrote, after the node labels are stored.
    """
    replicas = (
        f"SELECT node, TRY_CAST(json_extract_string(labels, '$.\"{REPLICAS_LABEL}\"') "
        "AS DOUBLE) AS r FROM k8s_nodes WHERE cluster = ?"
    )
    for table, column in (("node_hours", "gpu_count"), ("container_hours", "gpu_request")):
        con.execute(
            f"UPDATE {table} t SET {column} = t.{column} / k.r FROM ({replicas}) k "
            f"WHERE t.cluster = ? AND t.ingest_id = ? AND t.node = k.node AND k.r > 1 "
            f"AND t.{column} IS NOT NULL",
            [cluster, cluster, ingest_id],
        )


def _column_types(con: Connection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {name: ("VARCHAR" if dtype == "JSON" else dtype) for name, dtype in rows}


def _column(values: list[Any], dtype: str) -> np.ndarray[Any, Any]:
    """A numpy column DuckDB scans with NULLs intact: NaN stands for NULL in a DOUBLE
    array (DuckDB reads it so; the mapping never makes a NaN), None in an object one."""
    if dtype in ("DOUBLE", "INTEGER", "BIGINT"):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(values, dtype=object)


def write_rows(
    con: Connection,
    cluster: str,
    ingest_id: str,
    rows: MetricsRows,
    tmp_dir: Path | None = None,
    types: dict[str, dict[str, str]] | None = None,
) -> None:
    """Bulk-load each table from numpy columns (exact doubles, no text round trip).

    ``types`` caches each table's column types across chunks; ``tmp_dir`` is unused
    (rows once went through JSON files) and kept for callers.
    """
    types = {} if types is None else types
    for table in COLUMNS:
        table_rows = rows.tables[table]
        if not table_rows and table not in rows.columns:
            continue
        cols = ("cluster", *COLUMNS[table], "ingest_id")
        if table not in types:
            types[table] = _column_types(con, table)
        ctypes = types[table]
        if table in rows.columns:
            batch = {c: rows.columns[table][c] for c in COLUMNS[table]}
            if not len(batch[COLUMNS[table][0]]):
                continue
        else:
            batch = {c: _column([row[c] for row in table_rows], ctypes[c]) for c in COLUMNS[table]}
        con.register("metrics_batch", batch)
        select = (
            "SELECT ?, "
            + ", ".join(f"CAST({c} AS {ctypes[c]})" for c in COLUMNS[table])
            + ", ? FROM metrics_batch"
        )
        col_list = ", ".join(cols)
        try:
            if table in _KEYS:
                updates = []
                for c in cols:
                    if c in _KEYS[table] or c == "cluster":
                        continue
                    if c == "first_seen":
                        updates.append(
                            f"first_seen = least({table}.first_seen, EXCLUDED.first_seen)"
                        )
                    elif c == "last_seen":
                        updates.append(
                            f"last_seen = greatest({table}.last_seen, EXCLUDED.last_seen)"
                        )
                    elif "last_seen" in cols:  # re-ingesting an older window keeps newer facts
                        updates.append(
                            f"{c} = CASE WHEN EXCLUDED.last_seen >= {table}.last_seen "
                            f"THEN EXCLUDED.{c} ELSE {table}.{c} END"
                        )
                    else:
                        updates.append(f"{c} = EXCLUDED.{c}")
                con.execute(
                    f"INSERT INTO {table} ({col_list}) {select} "
                    f"ON CONFLICT DO UPDATE SET {', '.join(updates)}",
                    [cluster, ingest_id],
                )
            else:
                con.execute(f"INSERT INTO {table} ({col_list}) {select}", [cluster, ingest_id])
        finally:
            con.unregister("metrics_batch")


def _check_unique(con: Connection, cluster: str, start: datetime, end: datetime) -> None:
    """One row per container and hour, as the primary key m005 dropped used to ensure
    (its index did not fit the writer's memory at 20k pods × 30 days)."""
    row = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM container_hours WHERE cluster = ? AND hour >= ? "
        "AND hour < ? GROUP BY namespace, pod, container, hour HAVING count(*) > 1)",
        [cluster, start, end],
    ).fetchone()
    if row and row[0]:
        raise InputError(
            f"{row[0]} container-hours of cluster {cluster!r} came out twice in "
            f"[{minute(start)}, {minute(end)}); nothing was stored.",
            hint="Two sources map to one container and hour (e.g. the same cAdvisor series "
            "scraped by two jobs under different labels); ingest them separately.",
            cluster=cluster,
        )


def write_metrics(
    settings: Settings,
    *,
    kind: str,
    source: str,
    cluster: str,
    start: datetime,
    end: datetime,
    step_s: int,
    chunks: Iterable[Chunk],
    details: dict[str, Any] | None = None,
    report: MetricsIngestReport | None = None,
    extra: Callable[[Connection, str], int] | None = None,
    allocate: AfterIngest | None = None,
) -> MetricsIngestReport:
    """Map and store every chunk in one transaction; DataGap if a required metric is absent.

    ``extra(con, ingest_id)`` writes more rows in the same transaction (usage counters).
    ``allocate`` (``penny ingest`` passes ``allocation.touched.allocate_touched_in``) runs
    in the same transaction on the ingested hours: the warehouse is never left with
    metrics its allocation has not seen. Bulk loads and the sync allocate afterwards.
    """
    report = report or MetricsIngestReport(kind, source, cluster, start, end, step_s)
    seen: dict[str, int] = dict.fromkeys((*REQUIRED, *OPTIONAL), 0)
    types: dict[str, dict[str, str]] = {}
    inventory = InventoryFold(_KEYS)
    with writer(settings) as con:
        # a month of a large cluster is millions of rows in one transaction: bound DuckDB's
        # memory (it spills) instead of letting it take its default 80% of the machine
        con.execute(f"SET memory_limit = '{WRITER_MEMORY}'")
        con.execute("SET preserve_insertion_order = false")
        run = start_run(con, kind, source)
        report.ingest_id = run.ingest_id
        _delete_window(con, cluster, start, end)
        # One thread writes chunk i while this one maps chunk i+1: DuckDB's inserts (index
        # upkeep, mostly outside the GIL) overlap numpy and Python. Writes stay in chunk
        # order, one at a time, and only that thread touches ``con`` until it is joined.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="penny-write") as pool:
            pending: Future[None] | None = None
            try:
                for grid, series in chunks:
                    counts = (
                        series.counts()
                        if isinstance(series, ChunkSeries)
                        else {
                            metric: sum(1 for s in group if s.span() is not None)
                            for metric, group in series.items()
                        }
                    )
                    for metric, n in counts.items():
                        seen[metric] = seen.get(metric, 0) + n
                    rows = map_chunk(series, grid)
                    for table in _KEYS:  # inventory: folded here, upserted once below
                        inventory.add(table, rows.tables[table])
                        rows.tables[table] = []
                    if pending is not None:
                        pending.result()  # re-raises the writer's error here
                    pending = pool.submit(
                        write_rows, con, cluster, run.ingest_id, rows, types=types
                    )
                if pending is not None:
                    pending.result()
                pending = None
                folded = MetricsRows()
                for table in _KEYS:
                    folded.add(table, inventory.table_rows(table))
                write_rows(con, cluster, run.ingest_id, folded, types=types)
                apply_time_slicing(con, cluster, run.ingest_id)
            finally:
                if pending is not None:
                    wait([pending])  # never leave the writer mid-insert
        _check_unique(con, cluster, start, end)
        missing = [m for m in REQUIRED if not seen.get(m)]
        if missing:
            raise DataGap(
                f"Required metrics absent from {source} for "
                f"[{minute(start)}, {minute(end)}): {', '.join(missing)}.",
                hint="Check that kube-state-metrics and cAdvisor (kubelet) are scraped, "
                "and that the window holds data.",
                source=source,
                missing=missing,
            )
        report.series = seen
        report.missing_optional = [m for m in OPTIONAL if not seen.get(m)]
        if extra is not None:
            report.notes.append(f"{extra(con, run.ingest_id)} hourly usage-counter rows (units)")
        if any(m.startswith("DCGM_") for m in report.missing_optional):
            report.notes.append(
                "No DCGM series: no GPU utilisation rows (GPU requests are "
                "still costed from kube-state-metrics)."
            )
        # Count what the run left in place: an object upserted by several chunks is one row.
        totals = {
            t: int(
                con.execute(
                    f"SELECT count(*) FROM {t} WHERE ingest_id = ?", [run.ingest_id]
                ).fetchone()[0]  # type: ignore[index]
            )  # type: ignore[index]
            for t in COLUMNS
        }
        report.rows = totals
        if allocate is not None:
            report.allocation = allocate(con, settings, start, end)
        run.finish(
            sum(totals.values()),
            window_start=start,
            window_end=end,
            details={
                "cluster": cluster,
                "step_s": step_s,
                "rows": totals,
                "missing_optional": report.missing_optional,
                **(details or {}),
            },
        )
    return report
