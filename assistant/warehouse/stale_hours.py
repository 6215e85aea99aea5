"""Which hours' allocation no longer matches its inputs: checked per window, recorded per
commit.

Allocation records, per hour, a fingerprint of the metrics and bill lines it saw
(``allocation_hours``); an hour is stale when what is stored now differs
(``allocation.freshness`` explains the fingerprints and who checks them). Checking a
window recomputes its fingerprints: a hash of every container-hour, tens of milliseconds
a month at 5k pods, and every tool call of an answer checks its window.

But a reader's file never changes: readers open snapshots, and every write goes through
``db.writer()``. So the writer computes every hour's verdict once, just before it commits,
and stores the stale ones (usually none) in ``stale_hours``, in the same transaction; a
read-only connection then counts a window's stale hours from that table in a millisecond.
An hour's verdict does not depend on the window it is asked for (its fingerprints are its
own), so the counts equal a window's scan exactly (tested). A connection that may write
still scans: its transaction may have changed inputs since the last commit.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

__all__ = [
    "BILL_FINGERPRINT_SQL",
    "COUNTS",
    "FINGERPRINT_SQL",
    "VERDICTS_SQL",
    "allocation_hours_columns",
    "record_stale_hours",
    "recorded_counts",
]

#: Per hour in [$1, $2): metrics_rows, metrics_hash. One definition for writing and checking.
FINGERPRINT_SQL = """
    SELECT hour, sum(n)::BIGINT AS metrics_rows, bit_xor(x)::UBIGINT AS metrics_hash FROM (
        SELECT hour, count(*) AS n,
               bit_xor(hash(cluster, namespace, pod, container, ingest_id)) AS x
        FROM main.container_hours WHERE hour >= $1 AND hour < $2 GROUP BY hour
        UNION ALL
        SELECT hour, count(*), bit_xor(hash(cluster, node, ingest_id))
        FROM main.node_hours WHERE hour >= $1 AND hour < $2 GROUP BY hour
    ) GROUP BY hour
"""

#: Per hour in [$1, $2): bill_rows, bill_hash over the lines prorated into that hour.
BILL_FINGERPRINT_SQL = """
    SELECT hour, count(*)::BIGINT AS bill_rows,
           bit_xor(hash(ingest_id, source_file, source_row))::UBIGINT AS bill_hash
    FROM (
        SELECT ingest_id, source_file, source_row, h0 + to_hours(i) AS hour
        FROM (
            SELECT *, unnest(range(n)) AS i FROM (
                SELECT ingest_id, source_file, source_row, h0,
                       greatest(1, CAST(ceil(epoch(charge_period_end - h0) / 3600.0)
                                        AS BIGINT)) AS n
                FROM (SELECT *, date_trunc('hour', charge_period_start) AS h0
                      FROM main.billing_lines
                      WHERE charge_period_start < $2 AND charge_period_end >= $1)
            )
        )
    )
    WHERE hour >= $1 AND hour < $2
    GROUP BY hour
"""

#: Per hour in [$1, $2) with inputs or an allocation: why its allocation is stale, if it is.
VERDICTS_SQL = f"""
    WITH m AS ({FINGERPRINT_SQL}), b AS ({BILL_FINGERPRINT_SQL}),
    a AS (SELECT * FROM main.allocation_hours WHERE hour >= $1 AND hour < $2),
    hours AS (SELECT hour FROM m UNION SELECT hour FROM b UNION SELECT hour FROM a)
    SELECT hours.hour,
        a.hour IS NULL AS never_allocated,
        a.hour IS NOT NULL
            AND (coalesce(m.metrics_rows, 0) <> a.metrics_rows
                 OR coalesce(m.metrics_hash, 0) <> a.metrics_hash) AS metrics_changed,
        a.hour IS NOT NULL
            AND (coalesce(b.bill_rows, 0) <> coalesce(a.bill_rows, 0)
                 OR coalesce(b.bill_hash, 0) <> coalesce(a.bill_hash, 0)) AS bill_changed
    FROM hours LEFT JOIN a USING (hour) LEFT JOIN m USING (hour) LEFT JOIN b USING (hour)
"""

#: never_allocated, metrics_changed, bill_changed hours over rows of verdicts
COUNTS = (
    "count(*) FILTER (WHERE never_allocated), count(*) FILTER (WHERE metrics_changed), "
    "count(*) FILTER (WHERE bill_changed)"
)

_TABLE = "main.stale_hours"
#: every hour there is: the recorded table covers all of them
_ALL = (datetime(1, 1, 1), datetime(9999, 1, 1))


def allocation_hours_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The columns ``allocation_hours`` has (empty: no such table, a pre-m004 warehouse;
    no ``bill_rows``: allocated before m006's bill fingerprints)."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
        "AND table_name = 'allocation_hours'"
    ).fetchall()
    return {r[0] for r in rows}


def record_stale_hours(con: duckdb.DuckDBPyConnection) -> None:
    """Store every stale hour's verdict, inside the writer's transaction, just before COMMIT.

    A warehouse without fingerprints to compare (before m004, or allocated before m006's
    bill fingerprints) records nothing: its readers scan, and ``check`` handles those.
    """
    if "bill_rows" not in allocation_hours_columns(con):
        con.execute(f"DROP TABLE IF EXISTS {_TABLE}")
        return
    con.execute(
        f"CREATE OR REPLACE TABLE {_TABLE} AS SELECT * FROM ({VERDICTS_SQL}) v "
        "WHERE v.never_allocated OR v.metrics_changed OR v.bill_changed",
        list(_ALL),
    )


def recorded_counts(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> tuple[int, int, int] | None:
    """(never allocated, metrics changed, bill changed) hours in ``[start, end)`` from the
    recorded verdicts; None when this connection must scan (it may write, or nothing was
    recorded, or it is the Spark engine's, which records nothing)."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return None
    row = con.execute(
        "SELECT current_setting('access_mode') = 'read_only', EXISTS (SELECT 1 FROM "
        "duckdb_tables() WHERE schema_name = 'main' AND table_name = 'stale_hours')"
    ).fetchone()
    if not row or not row[0] or not row[1]:
        return None
    counts = con.execute(
        f"SELECT {COUNTS} FROM {_TABLE} WHERE hour >= $1 AND hour < $2", [start, end]
    ).fetchone()
    assert counts is not None
    return int(counts[0]), int(counts[1]), int(counts[2])
