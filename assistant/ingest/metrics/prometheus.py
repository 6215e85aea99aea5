"""``penny ingest prometheus``: range queries over the Prometheus HTTP API, by chunk.

The window is cut into hour-aligned time chunks (a day by default) and each metric is
fetched per chunk with ``/api/v1/query_range`` at ``step``. A metric whose chunk comes
back with more than ``max_series`` series is fetched per namespace from the next chunk
on; a query Prometheus refuses as too large is split by namespace at once, then by
halving the time range. Each chunk is mapped to hourly rows and written before the next
is fetched, all inside one writer transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from assistant.config import Settings
from assistant.core.timestamps import minute
from assistant.errors import DataGap, InputError, SourceUnavailable
from assistant.ingest.after import AfterIngest
from assistant.ingest.metrics import plausible
from assistant.ingest.metrics.prometheus_api import PrometheusClient, QueryTooLarge
from assistant.ingest.metrics.series import (
    METRICS,
    REQUIRED,
    SELECTORS,
    Grid,
    GridSeries,
    ceil_hour,
    floor_hour,
    naive_utc,
    parse_step,
    time_chunks,
)
from assistant.ingest.metrics.store import MetricsIngestReport, write_metrics
from assistant.ingest.metrics.units import UnitRow, selector, unit_rows, write_unit_rows

__all__ = ["ingest_prometheus"]

#: Metrics without a namespace label: they cannot be split by namespace.
_CLUSTER_SCOPED = frozenset(
    {
        "kube_node_info",
        "kube_node_labels",
        "kube_node_status_capacity",
        "kube_persistentvolume_info",
        "kube_persistentvolume_capacity_bytes",
    }
)


def _selector(metric: str, extra: str | None = None) -> str:
    matchers = SELECTORS.get(metric, "").strip("{}")
    if extra:
        matchers = f"{matchers},{extra}" if matchers else extra
    return f"{metric}{{{matchers}}}" if matchers else metric


class _Fetcher:
    def __init__(self, client: PrometheusClient, max_series: int) -> None:
        self.client = client
        self.max_series = max_series
        self.split: set[str] = set()

    def _range(
        self,
        query: str,
        grid: Grid,
        k0: int,
        k1: int,
        into: dict[tuple[tuple[str, str], ...], GridSeries],
        name: str,
        *,
        halve: bool = True,
    ) -> None:
        """Query grid points k0..k1 (inclusive); halve the range while Prometheus refuses."""
        t0 = grid.start_ts
        try:
            result = self.client.query_range(
                query, t0 + k0 * grid.step_s, t0 + k1 * grid.step_s, grid.step_s
            )
        except QueryTooLarge:
            if not halve or k1 - k0 < 2:
                raise
            mid = (k0 + k1) // 2
            self._range(query, grid, k0, mid, into, name)
            self._range(query, grid, mid + 1, k1, into, name)
            return
        for labels, values in result:
            key = tuple(sorted(labels.items()))
            target = into.setdefault(key, GridSeries(name, labels))
            low, high = plausible.bounds(name, key)
            for ts, value in values:
                if not low <= value <= high and value == value:  # NaN: a stale marker
                    raise SourceUnavailable(
                        f"Prometheus at {self.client.url} returned {name}{{"
                        + ",".join(f'{k}="{v}"' for k, v in key)
                        + f"}} = {value} at {ts}: "
                        + (plausible.value_problem(value, low, high) or "implausible"),
                        hint="Fix the exporter or leave that window out (--start/--end); "
                        "nothing was imported.",
                        url=self.client.url,
                    )
                k = grid.index_of(ts)
                if k is not None:
                    target.points[k] = value

    def _by_namespace(
        self, metric: str, grid: Grid, into: dict[tuple[tuple[str, str], ...], GridSeries]
    ) -> None:
        end = grid.start_ts + grid.n * grid.step_s
        namespaces = self.client.label_values("namespace", _selector(metric), grid.start_ts, end)
        for ns in [*namespaces, ""]:
            escaped = ns.replace("\\", "\\\\").replace('"', '\\"')
            self._range(_selector(metric, f'namespace="{escaped}"'), grid, 0, grid.n, into, metric)

    def fetch(self, metric: str, grid: Grid) -> list[GridSeries]:
        try:
            return self._fetch(metric, grid)
        except QueryTooLarge as exc:
            raise SourceUnavailable(
                f"Prometheus at {self.client.url} refused {metric} even split by namespace "
                f"and time ({minute(grid.start)}): {exc}",
                hint="Use a larger --step, or raise Prometheus's --query.max-samples.",
                url=self.client.url,
            ) from exc

    def _fetch(self, metric: str, grid: Grid) -> list[GridSeries]:
        into: dict[tuple[tuple[str, str], ...], GridSeries] = {}
        if metric in self.split:
            self._by_namespace(metric, grid, into)
        else:
            try:  # a namespaced metric is split by namespace before time is halved
                self._range(
                    _selector(metric),
                    grid,
                    0,
                    grid.n,
                    into,
                    metric,
                    halve=metric in _CLUSTER_SCOPED,
                )
            except QueryTooLarge:
                if metric in _CLUSTER_SCOPED:
                    raise
                self.split.add(metric)
                into.clear()
                self._by_namespace(metric, grid, into)
            if len(into) > self.max_series and metric not in _CLUSTER_SCOPED:
                self.split.add(metric)
        return [s for s in into.values() if s.points]


def _chunks(
    fetcher: _Fetcher, grids: list[Grid], progress: bool
) -> Iterator[tuple[Grid, dict[str, list[GridSeries]]]]:
    bar: Any = None
    if progress:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        bar.start()
        task = bar.add_task("Prometheus", total=len(grids) * len(METRICS))
    try:
        for grid in grids:
            series: dict[str, list[GridSeries]] = {}
            for metric in METRICS:
                if bar is not None:
                    bar.update(task, description=f"{minute(grid.start)} {metric}")
                series[metric] = fetcher.fetch(metric, grid)
                if bar is not None:
                    bar.advance(task)
            yield grid, series
    finally:
        if bar is not None:
            bar.stop()


def ingest_prometheus(
    url: str,
    start: datetime,
    end: datetime,
    cluster: str,
    settings: Settings,
    *,
    step: str = "5m",
    bearer_token: str | None = None,
    progress: bool = False,
    chunk_hours: int = 24,
    max_series: int = 20_000,
    timeout_s: float = 120.0,
    transport: httpx.BaseTransport | None = None,
    http_options: dict[str, Any] | None = None,
    allocate: AfterIngest | None = None,
) -> MetricsIngestReport:
    """Ingest ``[start, end)`` (widened to whole UTC hours) for ``cluster`` from ``url``;
    ``allocate`` (a hook, see ``ingest.after``) runs on those hours in the same transaction."""
    step_s = parse_step(step)
    if not cluster.strip():
        raise InputError("Cluster name is empty.", hint="Pass --cluster NAME.")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"Prometheus URL {url!r} must start with http:// or https://.")
    start = floor_hour(naive_utc(start))
    end = ceil_hour(naive_utc(end))
    if end <= start:
        raise InputError(
            f"End {minute(end)} is not after start {minute(start)}.",
            hint="Use --start earlier than --end (UTC).",
        )
    if not 1 <= chunk_hours <= 24 * 31:
        raise InputError(
            f"Chunk of {chunk_hours} hours is out of range: it must be between 1 and 744.",
            hint="Pass --chunk-hours 24 (a day per range query) or fewer for fine steps.",
        )
    grids = time_chunks(start, end, step_s, chunk_hours)
    with PrometheusClient(
        url,
        bearer_token=bearer_token,
        timeout_s=timeout_s,
        transport=transport,
        http_options=http_options,
    ) as client:
        epoch = datetime(1970, 1, 1)
        names = client.metric_names((start - epoch).total_seconds(), (end - epoch).total_seconds())
        if names is not None:
            missing = [m for m in REQUIRED if m not in names]
            if missing:
                raise DataGap(
                    f"Prometheus at {url} has no data for required metrics in "
                    f"[{minute(start)}, {minute(end)}): {', '.join(missing)}.",
                    hint="Check that kube-state-metrics and cAdvisor are scraped, and the "
                    "window (UTC).",
                    url=url,
                    missing=missing,
                )
        fetcher = _Fetcher(client, max_series)
        report = MetricsIngestReport("prometheus", url, cluster, start, end, step_s)
        rows: list[UnitRow] = []
        for u in settings.units:  # usage counters: every sample at the ingest step
            found = client.query_range(
                selector(u),
                (start - epoch).total_seconds(),
                (end - epoch).total_seconds(),
                step_s,
            )
            rows += unit_rows(u, [values for _, values in found], start, end)
        write_metrics(
            settings,
            kind="prometheus",
            source=url,
            cluster=cluster,
            start=start,
            end=end,
            step_s=step_s,
            chunks=_chunks(fetcher, grids, progress),
            report=report,
            details={"url": url, "step": step, "chunk_hours": chunk_hours},
            allocate=allocate,
            extra=(
                (
                    lambda con, ingest_id: write_unit_rows(
                        con, cluster, ingest_id, start, end, settings.units, rows
                    )
                )
                if settings.units
                else None
            ),
        )
        report.queries = client.queries
        if fetcher.split:
            report.notes.append(
                "Fetched per namespace (too many series): " + ", ".join(sorted(fetcher.split))
            )
    return report
