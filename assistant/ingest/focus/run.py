"""Importing FOCUS billing exports into ``billing_lines``: the one entry point.

``ingest_focus`` runs inside one writer transaction: discover the files, stage each (typed,
normalised, with file and row), check the whole import, replace the billing periods it
restates, insert, and log. Any fatal problem raises :class:`ImportFileError` before the
commit, so the warehouse is exactly as it was.

Restatement: providers reissue a billing period's lines. The unit of replacement is
(ProviderName, BillingAccountId, BillingPeriodStart): every stored line with a key present
in the new files is deleted before the new lines are inserted, so re-ingesting never
double-counts. What was replaced is recorded in the ingest log's details.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistant.config import Settings, load_settings
from assistant.errors import ImportFileError
from assistant.ingest.focus.checks import Finding, staging_findings, value_findings
from assistant.ingest.focus.files import DataFile, Discovery, discover, localize
from assistant.ingest.focus.read import RAW, STAGE, StagedFile, create_stage, stage_file
from assistant.ingest.log import start_run
from assistant.warehouse.db import Connection, writer

__all__ = ["FileSummary", "FocusIngestReport", "PeriodSummary", "ingest_focus"]


@dataclass
class FileSummary:
    path: str
    format: str
    layout: str
    rows: int
    focus_version: str
    manifest: str | None = None
    #: columns kept in ``extra_columns`` (provider x_* columns and non-standard ones)
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class PeriodSummary:
    """One (provider, billing account, billing period) set of lines in this import."""

    provider_name: str | None
    billing_account_id: str | None
    billing_period_start: datetime | None
    billing_currency: str | None
    rows: int
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal
    replaced_rows: int = 0
    replaced_billed_cost: Decimal = Decimal(0)
    replaced_ingest_ids: list[str] = field(default_factory=list)


@dataclass
class FocusIngestReport:
    ingest_id: str
    rows: int
    files: list[FileSummary]
    periods: list[PeriodSummary]
    findings: list[Finding]
    skipped: list[tuple[str, str]]
    window_start: datetime | None
    window_end: datetime | None
    #: {provider: {currency: {rows, billed_cost, effective_cost, list_cost}}}
    totals: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def replaced_rows(self) -> int:
        return sum(p.replaced_rows for p in self.periods)

    def totals_by_provider(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{provider: {currency: {rows, billed_cost, effective_cost, list_cost}}}."""
        return self.totals

    def finding(self, code: str, column: str | None = None) -> Finding | None:
        for f in self.findings:
            if f.code == code and (column is None or f.column == column):
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: money as strings (exact), times as ISO 8601 UTC."""
        return _jsonable(
            {
                "ingest_id": self.ingest_id,
                "rows": self.rows,
                "replaced_rows": self.replaced_rows,
                "window_start": self.window_start,
                "window_end": self.window_end,
                "files": [asdict(f) for f in self.files],
                "periods": [asdict(p) for p in self.periods],
                "totals_by_provider": self.totals_by_provider(),
                "findings": [f.to_dict() for f in self.findings],
                "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return value


def ingest_focus(
    paths: list[Path] | list[str] | list[Path | str], settings: Settings | None = None
) -> FocusIngestReport:
    """Import FOCUS files/folders/export manifests, local or in an object store
    (s3://, az://, abfs://, gs://); replace restated billing periods."""
    settings = settings or load_settings()
    found = discover(list(paths))
    if not found.files:
        raise ImportFileError(
            "no FOCUS data files (.csv, .csv.gz, .parquet) found",
            file=", ".join(str(p) for p in paths),
            hint="Point at an export file, folder or manifest.",
        )
    return ingest_discovered(found, settings)


def ingest_discovered(found: Discovery, settings: Settings) -> FocusIngestReport:
    """Import the files ``discover`` found (sync passes only the exports that changed)."""
    with localize(found) as files:
        return _ingest(found, files, settings)


def _ingest(found: Discovery, files: list[DataFile], settings: Settings) -> FocusIngestReport:
    source = "; ".join(f.source for f in files)
    with writer(settings) as con:
        run = start_run(con, "focus", source[:4000])
        create_stage(con)
        staged: list[StagedFile] = [stage_file(con, f, run.ingest_id) for f in files]
        findings = staging_findings(staged) + value_findings(con)
        periods = _periods(con)
        _replace(con, periods)
        con.execute(f"INSERT INTO billing_lines BY NAME SELECT * FROM {STAGE}")
        rows = sum(s.rows for s in staged)
        window = con.execute(
            f"SELECT min(charge_period_start), max(charge_period_end) FROM {STAGE}"
        ).fetchone()
        start, end = window if window else (None, None)
        report = FocusIngestReport(
            ingest_id=run.ingest_id,
            rows=rows,
            files=[
                FileSummary(
                    s.file.source,
                    s.file.format,
                    s.file.layout,
                    s.rows,
                    s.focus_version,
                    s.file.manifest,
                    s.extra_columns,
                )
                for s in staged
            ],
            periods=periods,
            findings=findings,
            skipped=found.skipped,
            window_start=start,
            window_end=end,
            totals=_totals(con),
        )
        details = report.to_dict()
        details.pop("ingest_id")
        run.finish(rows, window_start=start, window_end=end, details=details)
        con.execute(f"DROP TABLE IF EXISTS {STAGE}")
        con.execute(f"DROP TABLE IF EXISTS {RAW}")
    return report


_KEY = ("provider_name", "billing_account_id", "billing_period_start")


def _periods(con: Connection) -> list[PeriodSummary]:
    rows = con.execute(
        f"SELECT {', '.join(_KEY)}, string_agg(DISTINCT billing_currency, ',' "
        "ORDER BY billing_currency), count(*), COALESCE(sum(billed_cost), 0), "
        "COALESCE(sum(effective_cost), 0), COALESCE(sum(list_cost), 0) "
        f"FROM {STAGE} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return [
        PeriodSummary(
            r[0], r[1], r[2], r[3], int(r[4]), Decimal(r[5]), Decimal(r[6]), Decimal(r[7])
        )
        for r in rows
    ]


def _totals(con: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for provider, currency, rows, billed, effective, listed in con.execute(
        "SELECT COALESCE(provider_name, '(none)'), COALESCE(billing_currency, '(none)'), "
        "count(*), COALESCE(sum(billed_cost), 0), COALESCE(sum(effective_cost), 0), "
        f"COALESCE(sum(list_cost), 0) FROM {STAGE} GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        out.setdefault(provider, {})[currency] = {
            "rows": int(rows),
            "billed_cost": Decimal(billed),
            "effective_cost": Decimal(effective),
            "list_cost": Decimal(listed),
        }
    return out


def _replace(con: Connection, periods: list[PeriodSummary]) -> None:
    """Delete stored lines of every (provider, account, period) this import restates."""
    match = " AND ".join(f"b.{k} IS NOT DISTINCT FROM s.{k}" for k in _KEY)
    keys = f"(SELECT DISTINCT {', '.join(_KEY)} FROM {STAGE}) s"
    old = con.execute(
        f"SELECT {', '.join('s.' + k for k in _KEY)}, count(*), "
        "COALESCE(sum(b.billed_cost), 0), list(DISTINCT b.ingest_id ORDER BY b.ingest_id) "
        f"FROM billing_lines b JOIN {keys} ON {match} GROUP BY ALL"
    ).fetchall()
    by_key = {tuple(r[:3]): r[3:] for r in old}
    for p in periods:
        hit = by_key.get((p.provider_name, p.billing_account_id, p.billing_period_start))
        if hit:
            p.replaced_rows, p.replaced_billed_cost = int(hit[0]), Decimal(hit[1])
            p.replaced_ingest_ids = list(hit[2])
    if old:
        con.execute(f"DELETE FROM billing_lines b USING {keys} WHERE {match}")
