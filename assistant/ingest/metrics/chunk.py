"""One time chunk's grid points of many series as arrays, readable as series objects too.

The hourly rules take ``{metric: [GridSeries]}``. Building one Python object per series
per chunk costs more than the arithmetic for the large metrics (at 5k pods a day's
chunk holds ~55k series), so a file ingest hands the rules a :class:`ChunkSeries`: the
chunk's ``(series id, k, value)`` arrays grouped by metric, from which a set-based rule
reads :meth:`ChunkSeries.points` directly, and which builds a metric's
:class:`~assistant.ingest.metrics.series.ArrayGridSeries` list only when a rule asks
for it. Per-series facts derived from labels (a container key, a resource factor) are
worked out once per ingest through :meth:`SeriesTable.cached`, not once per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.ingest.metrics.series import ArrayGridSeries, GridSeries

__all__ = ["ChunkSeries", "SeriesTable"]

LabelKey = tuple[tuple[str, str], ...]
I64 = npt.NDArray[np.int64]


@dataclass
class SeriesTable:
    """Every series of an ingest: metric and labels by series id, and derived facts."""

    keys: Sequence[tuple[str, LabelKey]]
    labels: list[dict[str, str]] = field(init=False)
    metrics: list[str] = field(init=False)
    metric_of: npt.NDArray[np.int16] = field(init=False)
    _cache: dict[str, Any] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        # one dict per series, shared by every chunk's objects (the rules only read them)
        self.labels = [dict(labels) for _, labels in self.keys]
        self.metrics = sorted({name for name, _ in self.keys})
        index = {name: i for i, name in enumerate(self.metrics)}
        self.metric_of = np.array([index[name] for name, _ in self.keys], dtype=np.int16)

    def cached(self, name: str, build: Callable[[list[dict[str, str]]], Any]) -> Any:
        """``build(labels by series id)``, computed on first use and kept for the ingest."""
        if name not in self._cache:
            self._cache[name] = build(self.labels)
        return self._cache[name]


class ChunkSeries(Mapping[str, list[GridSeries]]):
    """A chunk's points ``(sid, k, value)``, sorted by (sid, k), grouped by metric."""

    def __init__(
        self,
        table: SeriesTable,
        sid: npt.NDArray[np.integer],
        k: I64,
        values: npt.NDArray[np.float64],
    ) -> None:
        self.table = table
        metric = table.metric_of[sid]
        if len(metric) and (metric[1:] < metric[:-1]).any():
            order = np.argsort(metric, kind="stable")  # keeps (sid, k) order per metric
            sid, k, values, metric = sid[order], k[order], values[order], metric[order]
        self.sid, self.k, self.v = sid, k, values  # not "values": Mapping has .values()
        edges = np.searchsorted(metric, np.arange(len(table.metrics) + 1))
        self._slices = {
            name: (int(edges[i]), int(edges[i + 1]))
            for i, name in enumerate(table.metrics)
            if edges[i + 1] > edges[i]
        }
        self._lists: dict[str, list[GridSeries]] = {}

    def points(self, metric: str) -> tuple[npt.NDArray[np.integer], I64, npt.NDArray[np.float64]]:
        """(series id, k, value) of ``metric``, sorted by series id then k."""
        a, b = self._slices.get(metric, (0, 0))
        return self.sid[a:b], self.k[a:b], self.v[a:b]

    def series_ids(self, metric: str) -> npt.NDArray[np.integer]:
        """Ids of ``metric``'s series with points in this chunk, ascending."""
        sid = self.points(metric)[0]
        return sid[np.r_[True, sid[1:] != sid[:-1]]] if len(sid) else sid

    def counts(self) -> dict[str, int]:
        """Series with points, per metric."""
        return {metric: len(self.series_ids(metric)) for metric in self._slices}

    def __getitem__(self, metric: str) -> list[GridSeries]:
        if metric not in self._slices:
            raise KeyError(metric)
        got = self._lists.get(metric)
        if got is None:
            sid, ks, vs = self.points(metric)
            cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
            starts, ends = [0, *cut.tolist()], [*cut.tolist(), len(sid)]
            labels = self.table.labels
            got = [
                ArrayGridSeries(metric, labels[i], ks[a:b], vs[a:b])
                for i, a, b in zip(sid[starts].tolist(), starts, ends, strict=True)
            ]
            self._lists[metric] = got
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._slices)

    def __len__(self) -> int:
        return len(self._slices)
