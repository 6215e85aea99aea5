"""`penny sync`: every declared source once, incrementally, then allocation of what changed.

* **Prometheus** (per cluster): from the watermark (or ``backfill_hours`` back) up to the
  last complete hour, in ``chunk_hours`` steps; each step is one warehouse transaction that
  replaces its window, then the watermark moves.
* **Bill exports**: the export is listed; each manifest (or plain file) whose ETag changed
  since the last sync is ingested — a restated month arrives as a new manifest and replaces
  the month's lines — and its ETag is stored.
* **AI admin APIs**: whole UTC days from the watermark (minus ``restate_days``, which
  providers still revise) up to today 00:00, replacing those days.

Every step is idempotent, so a sync killed half-way just continues from the last step it
recorded. Hours that changed are queued in ``sync_pending_allocation`` with the step that
changed them and allocated at the end (pending windows survive a crash too). One source's
failure is recorded and reported; the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from assistant.config import AiSource, BillSource, PrometheusSource, Settings
from assistant.core.money import usd
from assistant.core.timestamps import minute
from assistant.errors import DataGap, PennyError
from assistant.sync import state as st

__all__ = ["SourceOutcome", "SyncReport", "allocate_pending", "sync"]

log = logging.getLogger("penny.sync")
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
Progress = Callable[[str], None]


@dataclass
class SourceOutcome:
    source: str
    kind: str
    ok: bool
    steps: int = 0
    rows: int = 0
    skipped: int = 0
    #: Prometheus steps with no required metrics (nothing was scraped then)
    gaps: int = 0
    detail: str = ""
    error: str | None = None


@dataclass
class SyncReport:
    started_at: datetime
    sources: list[SourceOutcome] = field(default_factory=list)
    allocated: list[tuple[datetime, datetime]] = field(default_factory=list)
    allocation_error: str | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources) and self.allocation_error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "started_at": self.started_at.isoformat() + "Z",
            "sources": [vars(s) for s in self.sources],
            "allocated": [[a.isoformat() + "Z", b.isoformat() + "Z"] for a, b in self.allocated],
            "allocation_error": self.allocation_error,
        }


def _wall_clock() -> datetime:
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def _floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _floor_day(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def sync(
    settings: Settings,
    now: datetime,
    *,
    only: list[str] | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Run each configured source (or those named in ``only``) once, then allocate."""
    say = progress or (lambda msg: log.info(msg))
    report = SyncReport(started_at=now)
    cfg = settings.sync
    plan: list[tuple[str, str, Callable[[st.SourceState], SourceOutcome]]] = []
    for p in cfg.prometheus:
        plan.append((p.name, "prometheus", _bind_prometheus(settings, p, now, say)))
    for b in cfg.bills:
        plan.append((b.name, "bill", _bind_bill(settings, b, now, say)))
    for a in cfg.ai:
        plan.append((a.name, "ai", _bind_ai(settings, a, now, say)))
    unknown = sorted(set(only or []) - {name for name, _, _ in plan})
    if unknown:
        from assistant.errors import InputError

        raise InputError(
            f"No sync source named {', '.join(unknown)}.",
            hint="Sources are declared under sync.prometheus / sync.bills / sync.ai; "
            f"configured: {', '.join(n for n, _, _ in plan) or 'none'}.",
        )
    for name, kind, run in plan:
        if only and name not in only:
            continue
        state = st.load_state(settings, name, kind)
        # when it happened is the real clock; ``now`` is the time the data is synced as of
        # (a scheduler slot, or a test's pinned time)
        state.last_attempt_at = _wall_clock()
        try:
            outcome = run(state)
        except (PennyError, OSError, ValueError) as exc:
            st.record_error(settings, state, _wall_clock(), str(exc))
            say(f"{name}: failed: {exc}")
            report.sources.append(SourceOutcome(name, kind, False, error=str(exc)))
            continue
        st.record_success(settings, state, _wall_clock())
        say(f"{name}: {outcome.detail}")
        report.sources.append(outcome)
    try:
        report.allocated = allocate_pending(settings, say)
    except PennyError as exc:
        report.allocation_error = str(exc)
        say(f"allocation failed: {exc}")
    return report


def _bind_prometheus(
    settings: Settings, src: PrometheusSource, now: datetime, say: Progress
) -> Callable[[st.SourceState], SourceOutcome]:
    def run(state: st.SourceState) -> SourceOutcome:
        from assistant.ingest.metrics.prometheus import ingest_prometheus

        end = _floor_hour(now)  # the last complete hour ends here
        start = state.watermark or end - timedelta(hours=src.backfill_hours)
        out = SourceOutcome(src.name, "prometheus", True)
        while start < end:
            stop = min(end, start + timedelta(hours=src.chunk_hours))
            say(f"{src.name}: metrics {minute(start)} → {minute(stop)}")
            try:
                report = ingest_prometheus(
                    src.url,
                    start,
                    stop,
                    src.cluster,
                    settings,
                    step=src.step,
                    bearer_token=(
                        src.bearer_token.get_secret_value() if src.bearer_token else None
                    ),
                    http_options=_http_options(src),
                    # no allocate hook: the hours are queued and allocated once at the end
                )
            except DataGap as exc:  # nothing scraped then (an outage): it will not appear later
                say(f"{src.name}: no metrics in {minute(start)} → {stop:%H:%M}: {exc}")
                out.gaps += 1
                state.watermark = stop
                st.save_progress(settings, state, None, 0)
                start = stop
                continue
            rows = sum(report.rows.values()) if report.rows else 0
            state.watermark = stop
            st.save_progress(settings, state, (start, stop), rows)
            out.steps, out.rows = out.steps + 1, out.rows + rows
            start = stop
        out.detail = (
            f"{out.steps} step(s), {out.rows:,} rows"
            + (f", {out.gaps} without metrics" if out.gaps else "")
            + f"; complete to {minute(end)} UTC"
            if out.steps or out.gaps
            else f"up to date (complete to {minute(state.watermark)} UTC)"
            if state.watermark
            else "nothing to sync yet"
        )
        return out

    return run


def _http_options(src: PrometheusSource) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if src.basic_user is not None:
        password = src.basic_password.get_secret_value() if src.basic_password else ""
        opts["auth"] = (src.basic_user, password)
    if src.ca_file is not None:
        import ssl

        opts["verify"] = ssl.create_default_context(cafile=str(src.ca_file))
    if src.cert_file is not None:
        opts["cert"] = (
            (str(src.cert_file), str(src.key_file)) if src.key_file else str(src.cert_file)
        )
    return opts


def _bind_bill(
    settings: Settings, src: BillSource, now: datetime, say: Progress
) -> Callable[[st.SourceState], SourceOutcome]:
    def run(state: st.SourceState) -> SourceOutcome:
        from assistant.ingest.focus.files import Discovery, discover
        from assistant.ingest.focus.run import ingest_discovered

        found = discover([src.url])
        out = SourceOutcome(src.name, "bill", True)
        # one unit per manifest (its files) or per plain file, each with its version
        units: dict[str, tuple[str, list[Any]]] = {}
        for f in found.files:
            key = f.manifest or f.source
            version = found.manifests.get(key) if f.manifest else (f.etag or _mtime(f.source))
            units.setdefault(key, (str(version), []))[1].append(f)
        for key, (version, files) in sorted(units.items()):
            if state.versions.get(key) == version:
                out.skipped += 1
                continue
            say(f"{src.name}: {key} changed, ingesting {len(files)} file(s)")
            part = Discovery(files=files, fs=found.fs, manifests={})
            report = ingest_discovered(part, settings)  # allocated at the end, with the rest
            state.versions[key] = version
            # the hours the import touched: its lines and the restated lines it replaced
            window = (_floor_hour(report.touched[0]), report.touched[1]) if report.touched else None
            st.save_progress(settings, state, window, report.rows)
            out.steps, out.rows = out.steps + 1, out.rows + report.rows
        state.watermark = now
        out.detail = f"{out.steps} export(s) ingested, {out.skipped} unchanged"
        return out

    return run


def _mtime(path: str) -> str:
    from pathlib import Path

    try:
        s = Path(path).stat()
    except OSError:
        return ""
    return f"{s.st_mtime_ns}:{s.st_size}"


def _bind_ai(
    settings: Settings, src: AiSource, now: datetime, say: Progress
) -> Callable[[st.SourceState], SourceOutcome]:
    def run(state: st.SourceState) -> SourceOutcome:
        from assistant.ingest.ai.api import pull_ai_costs

        end = _floor_day(now)  # whole days only
        first = end - timedelta(days=src.backfill_days)
        start = (
            max(first, state.watermark - timedelta(days=src.restate_days))
            if state.watermark
            else first
        )
        out = SourceOutcome(src.name, "ai", True)
        if start >= end:
            out.detail = "up to date"
            return out
        say(f"{src.name}: {src.provider} costs {start:%Y-%m-%d} → {end:%Y-%m-%d}")
        summary = pull_ai_costs(settings, src, start, end)
        state.watermark = end
        st.save_progress(settings, state, None, summary.rows)  # not on the cloud bill
        out.steps, out.rows = 1, summary.rows
        out.detail = f"{summary.rows} cost row(s), {usd(summary.total_cost)}"
        return out

    return run


def allocate_pending(
    settings: Settings, say: Progress | None = None
) -> list[tuple[datetime, datetime]]:
    """Allocate the span of every pending window in one run, then forget those windows.

    Allocation replaces whole hours, so one run over the union's span is the same as one
    per window; ``allocation.touched.allocate_touched`` is the same core function `penny
    ingest` runs after each import.
    """
    from assistant.allocation.touched import allocate_touched

    windows = st.pending_windows(settings)
    if not windows:
        return []
    start = min(w[0] for w in windows)
    end = max(w[1] for w in windows)
    if say:
        say(f"allocating {minute(start)} → {minute(end)}")
    allocate_touched(settings, start, end)
    st.clear_pending(settings, windows)
    return [(start, end)]
