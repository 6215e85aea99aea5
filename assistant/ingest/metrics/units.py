"""Usage counters per workload (``settings.units``) into ``unit_usage_hours``.

A unit cost divides a workload's cost by what it served: requests, tokens, transactions.
Each configured counter (a Prometheus metric and the labels selecting the workload's
series) is read with the other metrics, from Prometheus or from an OpenMetrics file, and
turned into its increase per UTC hour: the difference of consecutive samples, a drop
counting as a restart from zero (Prometheus's ``increase()`` rule without extrapolation),
attributed to the hour of the later sample, summed over the workload's series. The rows
are written inside the metrics ingest's own transaction, so a failed ingest stores none.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from assistant.config import UnitMetric
from assistant.ingest.metrics.series import Grid, resample
from assistant.warehouse.db import Connection

__all__ = [
    "UnitRow",
    "hourly_increases",
    "on_grid",
    "read_file_series",
    "selector",
    "unit_rows",
    "write_unit_rows",
]

#: (namespace, workload, unit, metric, hour, quantity)
UnitRow = tuple[str, str, str, str, datetime, float]
Series = list[tuple[float, float]]  # (unix seconds, counter value)


def selector(u: UnitMetric) -> str:
    """The PromQL series selector for one configured counter."""
    if not u.labels:
        return u.metric
    matchers = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(u.labels.items())
    )
    return f"{u.metric}{{{matchers}}}"


def hourly_increases(series: Series, start: datetime, end: datetime) -> dict[datetime, float]:
    """Pure: the counter's increase per UTC hour within ``[start, end)``."""
    out: dict[datetime, float] = defaultdict(float)
    points = sorted((t, v) for t, v in series if math.isfinite(v))
    lo, hi = start.replace(tzinfo=UTC).timestamp(), end.replace(tzinfo=UTC).timestamp()
    for (_, before), (t, after) in pairwise(points):
        if not lo < t <= hi:
            continue
        increase = after - before if after >= before else after
        hour = datetime.fromtimestamp(t, UTC).replace(tzinfo=None, minute=0, second=0)
        if t % 3600 == 0:  # a sample on the hour closes the hour before it
            hour = datetime.fromtimestamp(t - 3600, UTC).replace(tzinfo=None, minute=0, second=0)
        out[hour] += increase
    return dict(out)


def unit_rows(
    u: UnitMetric, series: Iterable[Series], start: datetime, end: datetime
) -> list[UnitRow]:
    """Hourly quantities of one configured counter, summed over its series."""
    total: dict[datetime, float] = defaultdict(float)
    for s in series:
        for hour, q in hourly_increases(s, start, end).items():
            total[hour] += q
    return [
        (u.namespace, u.workload, u.unit, u.metric, hour, q)
        for hour, q in sorted(total.items())
        if start <= hour < end
    ]


def on_grid(series: Series, start: datetime, end: datetime, step_s: int) -> Series:
    """Raw file samples as a Prometheus range query at ``step_s`` would return them, so a
    file and the Prometheus that backfilled it give the same hourly quantities."""
    grid = Grid(start, end, step_s)
    points = sorted(series)
    got = resample([t for t, _ in points], [v for _, v in points], grid)
    return [(grid.start_ts + k * step_s, v) for k, v in sorted(got.items())]


def read_file_series(paths: Sequence[Path], u: UnitMetric) -> list[Series]:
    """The series of ``u``'s counter in OpenMetrics / Prometheus text files whose labels
    include ``u.labels``."""
    from assistant.ingest.metrics.openmetrics import _expand, _open, _parse_labels, _split

    found: dict[tuple[tuple[str, str], ...], Series] = {}
    wanted = set(u.labels.items())
    for path in _expand(list(paths)):
        scale: float | None = None
        staged: dict[tuple[tuple[str, str], ...], Series] = defaultdict(list)
        with _open(path) as fh:
            for row, line in enumerate(fh, start=1):
                if line.startswith("#"):
                    if line.strip() == "# EOF":
                        scale = 1.0
                    continue
                if not line.startswith(u.metric):
                    continue
                name, label_text, rest = _split(line)
                if name != u.metric or len(rest) < 2:
                    continue
                labels = _parse_labels(label_text, str(path), row) if label_text else ()
                if wanted <= set(labels):
                    staged[labels].append((float(rest[1]), float(rest[0])))
        factor = scale or 0.001  # OpenMetrics stamps in seconds, Prometheus text in ms
        for labels, points in staged.items():
            found.setdefault(labels, []).extend((t * factor, v) for t, v in points)
    return list(found.values())


def write_unit_rows(
    con: Connection,
    cluster: str,
    ingest_id: str,
    start: datetime,
    end: datetime,
    units: Sequence[UnitMetric],
    rows: list[UnitRow],
) -> int:
    """Replace the window's rows of the configured counters for ``cluster``."""
    for u in units:
        con.execute(
            "DELETE FROM unit_usage_hours WHERE cluster = ? AND namespace = ? AND workload = ? "
            "AND unit = ? AND hour >= ? AND hour < ?",
            [cluster, u.namespace, u.workload, u.unit, start, end],
        )
    if rows:
        con.executemany(
            "INSERT INTO unit_usage_hours (cluster, namespace, workload, unit, metric, hour, "
            "quantity, ingest_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[cluster, *r, ingest_id] for r in rows],
        )
    return len(rows)
