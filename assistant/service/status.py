"""What `/v1/status` and `/metrics` say about sources, jobs and the warehouse snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from assistant.config import Settings
from assistant.sync.state import states
from assistant.warehouse.ledger import read_ledger
from assistant.warehouse.snapshots import current_snapshot, is_current

__all__ = ["status", "status_metrics"]


def _iso(v: Any) -> Any:
    return v.isoformat() + "Z" if isinstance(v, datetime) else v


def status(settings: Settings, now: datetime) -> dict[str, Any]:
    """Each source's watermark, lag, last success and last error; each job's last runs."""
    declared = {
        **{p.name: "prometheus" for p in settings.sync.prometheus},
        **{b.name: "bill" for b in settings.sync.bills},
        **{a.name: "ai" for a in settings.sync.ai},
    }
    seen = {s.source: s for s in states(settings)}
    sources = []
    for name, kind in declared.items():
        if name in seen:
            sources.append(seen[name].to_dict(now))
        else:
            sources.append({"source": name, "kind": kind, "watermark": None, "never_synced": True})
    jobs = read_ledger(
        settings,
        "SELECT job, slot, status, started_at, finished_at, detail, error FROM job_runs "
        "ORDER BY started_at DESC LIMIT 20",
    )
    pending = read_ledger(settings, "SELECT count(*) FROM sync_pending_allocation")
    snap = current_snapshot(settings)
    return {
        "now": _iso(now),
        "sources": sources,
        "pending_allocation_windows": int(pending[0][0]) if pending else 0,
        "jobs": [
            dict(
                zip(
                    ("job", "slot", "status", "started_at", "finished_at", "detail", "error"),
                    [_iso(v) for v in row],
                    strict=True,
                )
            )
            for row in jobs
        ],
        "warehouse": {
            "exists": settings.db_path.exists(),
            "snapshot": snap.name if snap else None,
            "snapshot_current": is_current(settings),
        },
    }


def status_metrics(settings: Settings, now: datetime) -> list[str]:
    """Prometheus exposition lines: per source, last success time, lag and error state."""
    out = [
        "# HELP penny_sync_last_success_timestamp_seconds When a source last synced.",
        "# TYPE penny_sync_last_success_timestamp_seconds gauge",
    ]
    rows = states(settings)
    epoch = datetime(1970, 1, 1)
    for s in rows:
        if s.last_success_at:
            t = (s.last_success_at - epoch).total_seconds()
            out.append(f'penny_sync_last_success_timestamp_seconds{{source="{s.source}"}} {t:g}')
    out += [
        "# HELP penny_sync_lag_seconds How far behind now the source's data is complete.",
        "# TYPE penny_sync_lag_seconds gauge",
    ]
    for s in rows:
        if s.watermark:
            lag = (now - s.watermark).total_seconds()
            out.append(f'penny_sync_lag_seconds{{source="{s.source}"}} {lag:g}')
    out += [
        "# HELP penny_sync_error 1 when the source's last attempt failed.",
        "# TYPE penny_sync_error gauge",
    ]
    for s in rows:
        out.append(f'penny_sync_error{{source="{s.source}"}} {1 if s.last_error else 0}')
    return out
