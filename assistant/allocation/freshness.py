"""Has the cluster data changed since ``penny allocate``?

Container rows are computed when read (the ``allocations`` view), but idle, unallocated
and the unit prices were fixed when allocation ran. If metrics are re-ingested afterwards,
the view would price the new container rows against the old idle rows and the identity
workload + idle + unallocated = bill would no longer hold. So allocation records, per hour,
a fingerprint of the metrics it saw (``allocation_hours.metrics_rows``/``metrics_hash``),
and queries compare it with the metrics now stored: any difference means "re-run
``penny allocate``". The fingerprint is the row count and the XOR of per-row hashes of
the key and ingest id over ``container_hours`` and ``node_hours``: re-ingesting an hour
writes a new ingest id, adding or removing a row changes both numbers.
"""

from __future__ import annotations

from datetime import datetime

from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["FINGERPRINT_SQL", "STALE_NOTE", "stale_hours"]

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

STALE_NOTE = (
    "metrics changed since the last `penny allocate` for {hours} hour(s) of this "
    "window: costs may not add up to the bill; run `penny allocate`"
)


def stale_hours(con: Connection, window: Window | tuple[datetime, datetime]) -> int:
    """How many allocated hours in ``window`` whose metrics differ from what allocation saw."""
    start, end = (window.start, window.end) if isinstance(window, Window) else window
    has = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'allocation_hours'"
    ).fetchone()
    if not has or not has[0]:  # a warehouse from before m004 kept these (see allocate)
        return 0
    row = con.execute(
        f"""
        SELECT count(*) FROM main.allocation_hours a
        LEFT JOIN ({FINGERPRINT_SQL}) f USING (hour)
        WHERE a.hour >= $1 AND a.hour < $2
          AND (coalesce(f.metrics_rows, 0) <> a.metrics_rows
               OR coalesce(f.metrics_hash, 0) <> a.metrics_hash)
        """,
        [start, end],
    ).fetchone()
    return int(row[0]) if row else 0
