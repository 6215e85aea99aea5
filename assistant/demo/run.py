"""``build_demo``: generate the organisation's files, then load them the way a user would.

Files first (FOCUS CSVs, OpenMetrics per cluster, ``truths.json``), then the same entry
points users call: a real Prometheus over the backfilled metrics when ``prometheus`` and
``promtool`` are installed (``ingest_prometheus``), else the OpenMetrics reader
(``ingest_openmetrics``); then ``ingest_focus`` and ``allocate``. The report carries
what the CLI prints: per-month reconciliation, top teams, idle, the planted findings.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.allocation.allocate import AllocationReport, allocate
from assistant.config import Settings
from assistant.costs.query import query_costs
from assistant.demo.focus_writer import bill_lines, write_focus
from assistant.demo.openmetrics_writer import write_openmetrics
from assistant.demo.org import build_org
from assistant.demo.prometheus_server import PrometheusServer, backfill, prometheus_available
from assistant.demo.truths import compute_truths, write_truths
from assistant.errors import ConfigError
from assistant.ingest.focus.run import FocusIngestReport, ingest_focus
from assistant.ingest.metrics.openmetrics import ingest_openmetrics
from assistant.ingest.metrics.prometheus import ingest_prometheus
from assistant.ingest.metrics.store import MetricsIngestReport
from assistant.warehouse.db import reader
from assistant.windows import Window

__all__ = ["DemoReport", "build_demo", "generate_files"]

DEFAULT_SEED = 7


@dataclass
class DemoFiles:
    out_dir: Path
    focus: list[Path]
    metrics: dict[str, Path]  # cluster -> OpenMetrics file
    truths_path: Path
    truths: dict[str, Any]
    cluster_windows: dict[str, tuple[datetime, datetime]]
    step_s: int


@dataclass
class DemoReport:
    files: DemoFiles
    used_prometheus: bool
    metrics: list[MetricsIngestReport]
    focus: FocusIngestReport
    allocation: AllocationReport
    top_teams: list[tuple[str, Decimal]]
    idle_last_month: Decimal
    unlabeled_share: float | None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def truths(self) -> dict[str, Any]:
        return self.files.truths

    @property
    def out_dir(self) -> Path:
        return self.files.out_dir


def _step_text(step_s: int) -> str:
    return f"{step_s // 60}m" if step_s < 3600 else f"{step_s // 3600}h"


def generate_files(
    out_dir: Path, *, end: date, scale: str = "default", seed: int = DEFAULT_SEED
) -> DemoFiles:
    """Write ``focus/``, ``metrics/`` and ``truths.json`` under ``out_dir``; touch nothing else."""
    org = build_org(end, scale=scale, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = bill_lines(org)
    for old in (out_dir / "focus").glob("focus-*.csv"):
        old.unlink()
    focus = write_focus(rows, out_dir / "focus")
    metrics = write_openmetrics(org, out_dir / "metrics")
    truths = compute_truths(org, rows)
    path = write_truths(truths, out_dir / "truths.json")
    windows = {c.name: (org.at(c.start), org.at(c.end)) for c in org.clusters}
    return DemoFiles(out_dir, focus, metrics, path, truths, windows, org.step_s)


def _load_metrics(
    files: DemoFiles, settings: Settings, use_prometheus: bool
) -> list[MetricsIngestReport]:
    step = _step_text(files.step_s)
    reports = []
    for cluster, path in files.metrics.items():
        start, end = files.cluster_windows[cluster]
        if use_prometheus:
            tsdb = files.out_dir / "tsdb" / cluster
            shutil.rmtree(tsdb, ignore_errors=True)
            # few, long blocks: promtool re-reads the whole file once per block range
            backfill(path, tsdb, max_block_hours=24 * 31 * 4)
            with PrometheusServer(tsdb) as server:
                reports.append(
                    ingest_prometheus(
                        server.url,
                        start,
                        end,
                        cluster,
                        settings,
                        step=step,
                        chunk_hours=24 * 31,
                        # no allocate hook: a bulk load, allocated once below
                    )
                )
        else:
            reports.append(
                ingest_openmetrics(
                    [path],
                    cluster,
                    settings,
                    step=step,
                    chunk_hours=24 * 31,
                    start=start,
                    end=end,
                    # no allocate hook: a bulk load, allocated once below
                )
            )
    return reports


def build_demo(
    settings: Settings,
    *,
    end: date,
    out_dir: Path,
    use_prometheus: bool | None = None,
    scale: str = "default",
    seed: int = DEFAULT_SEED,
) -> DemoReport:
    """Generate the demo organisation into ``out_dir`` and load it into the warehouse.

    ``use_prometheus`` None means "when installed"; True without the binaries is a
    ConfigError. The warehouse is ``settings.db_path`` (PENNY_DB).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if use_prometheus is None:
        use_prometheus = prometheus_available()
    elif use_prometheus and not prometheus_available():
        raise ConfigError(
            "prometheus/promtool are not installed, so the demo cannot load "
            "metrics through a real Prometheus.",
            hint="Install Debian's `prometheus` package or pass --no-prometheus.",
        )
    files = generate_files(out_dir, end=end, scale=scale, seed=seed)
    timings["generate"] = time.perf_counter() - t0
    t = time.perf_counter()
    metrics = _load_metrics(files, settings, use_prometheus)
    timings["metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    focus = ingest_focus(files.focus, settings)  # allocated once, below
    timings["focus"] = time.perf_counter() - t
    t = time.perf_counter()
    allocation = allocate(settings)
    timings["allocate"] = time.perf_counter() - t
    compare = files.truths["generator"]["compare"]["month"]
    y, m = (int(x) for x in compare.split("-"))
    from assistant.windows import month_window

    window: Window = month_window(y, m)
    with reader(settings) as con:
        teams = query_costs(con, window=window, group_by="team", settings=settings)
    top = [(r.name, r.total) for r in teams.rows if r.kind == "workload"][:6]
    idle = sum((r.total for r in teams.rows if r.kind == "idle"), Decimal(0))
    timings["total"] = time.perf_counter() - t0
    return DemoReport(
        files,
        use_prometheus,
        metrics,
        focus,
        allocation,
        top,
        idle,
        teams.unlabeled_share,
        {k: round(v, 2) for k, v in timings.items()},
    )
