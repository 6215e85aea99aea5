"""Importing the organisation's OpenAI and Anthropic API spend into ``ai_usage``.

Formats (as the providers' admin APIs return them, one page per file or a JSON list of
pages):

* OpenAI ``GET /v1/organization/costs``: ``{"object": "page", "data": [bucket…]}``, each
  bucket ``{start_time, end_time, results: [{object: "organization.costs.result",
  amount: {value, currency}, line_item, project_id}]}`` (Unix seconds; ``value`` in
  currency units).
* Anthropic ``GET /v1/organizations/cost_report``: ``{"data": [{starting_at, ending_at,
  results: [{amount, currency, description, cost_type, token_type, model,
  workspace_id}]}]}`` — ``amount`` is a decimal string in the lowest currency unit
  (cents): "123.45" USD is $1.2345.
* Anthropic ``GET /v1/organizations/usage_report/messages``: results with
  ``uncached_input_tokens``, ``cache_read_input_tokens``, ``cache_creation``
  ``{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}``, ``output_tokens``, ``model``,
  ``workspace_id``, ``api_key_id``: priced from Penny's price table.

Re-importing a period replaces that source's rows in the file's time range (providers
restate), in one ledger transaction: a bad file changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import ImportFileError
from assistant.ledger.prices import TokenCounts, load_prices, price_call
from assistant.ledger.usage import UNLABELED_TEAM
from assistant.warehouse.ledger import ledger

__all__ = ["ImportSummary", "import_anthropic", "import_openai", "import_pages"]

_CENTS = Decimal(100)


@dataclass
class _Row:
    request_id: str
    ts: datetime
    provider: str
    model: str
    team: str
    cost: Decimal | None
    project: str | None
    line_item: str | None
    tokens: TokenCounts | None = None
    warning: str | None = None
    price_version: str | None = None


@dataclass
class ImportSummary:
    source: str
    file: str
    kind: str  # costs | cost_report | usage_report
    rows: int
    total_cost: Decimal
    unpriced_rows: int
    start: datetime | None
    end: datetime | None
    replaced_rows: int
    ingest_id: str
    warnings: list[str] = field(default_factory=list)


class _Reader:
    """Walks provider JSON; every failure is an ImportFileError naming file and field."""

    def __init__(self, path: Path, pages: list[Any] | None = None) -> None:
        self.file = str(path)
        if pages is not None:  # pages fetched from the admin API (``ingest/ai/api.py``)
            self.pages = pages
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportFileError(f"cannot read: {exc}", file=self.file) from exc
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                file=self.file,
            ) from exc
        self.pages = data if isinstance(data, list) else [data]

    def fail(self, where: str, message: str) -> ImportFileError:
        return ImportFileError(
            message,
            file=self.file,
            column=where,
            hint="Export the provider's admin API response unchanged.",
        )

    def buckets(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for p, page in enumerate(self.pages):
            where = f"[{p}]" if len(self.pages) > 1 else ""
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise self.fail(
                    f"{where}data", "expected an object with a 'data' list of time buckets"
                )
            for b, bucket in enumerate(page["data"]):
                if not isinstance(bucket, dict):
                    raise self.fail(f"{where}data[{b}]", "a bucket must be an object")
                yield f"{where}data[{b}]", bucket

    def results(self, where: str, bucket: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        results = bucket.get("results")
        if not isinstance(results, list):
            raise self.fail(f"{where}.results", "missing or not a list")
        for r, result in enumerate(results):
            if not isinstance(result, dict):
                raise self.fail(f"{where}.results[{r}]", "a result must be an object")
            yield f"{where}.results[{r}]", result

    def number(self, where: str, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise self.fail(where, f"expected a number, got {value!r}")
        try:
            out = Decimal(str(value))
        except InvalidOperation as exc:
            raise self.fail(where, f"expected a number, got {value!r}") from exc
        if not out.is_finite():
            raise self.fail(where, f"expected a finite number, got {value!r}")
        return out

    def count(self, where: str, value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, f"expected a token count (integer ≥ 0), got {value!r}")
        return value

    def unix(self, where: str, value: Any) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected Unix seconds, got {value!r}")
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)

    def rfc3339(self, where: str, value: Any) -> datetime:
        if not isinstance(value, str):
            raise self.fail(where, f"expected an RFC 3339 timestamp, got {value!r}")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise self.fail(where, f"expected an RFC 3339 timestamp, got {value!r}") from exc
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed


def _team(settings: Settings, *keys: Any) -> str:
    for key in keys:
        if key and str(key) in settings.agent.project_teams:
            return settings.agent.project_teams[str(key)]
    return UNLABELED_TEAM


def _check_currency(rd: _Reader, where: str, currency: Any, settings: Settings) -> None:
    if not isinstance(currency, str) or currency.upper() != settings.currency.upper():
        raise rd.fail(
            where,
            f"currency {currency!r} is not Penny's currency "
            f"{settings.currency}; Penny does not convert currencies",
        )


def _openai_rows(
    rd: _Reader, settings: Settings
) -> tuple[list[_Row], datetime | None, datetime | None]:
    rows: list[_Row] = []
    start = end = None
    for where, bucket in rd.buckets():
        b_start = rd.unix(f"{where}.start_time", bucket.get("start_time"))
        b_end = rd.unix(f"{where}.end_time", bucket.get("end_time"))
        start = min(start, b_start) if start else b_start
        end = max(end, b_end) if end else b_end
        for rwhere, res in rd.results(where, bucket):
            if res.get("object") != "organization.costs.result":
                raise rd.fail(
                    f"{rwhere}.object",
                    f"expected 'organization.costs.result', got "
                    f"{res.get('object')!r} (is this a usage export rather than "
                    "/v1/organization/costs?)",
                )
            amount = res.get("amount")
            if not isinstance(amount, dict):
                raise rd.fail(f"{rwhere}.amount", "missing amount {value, currency}")
            value = rd.number(f"{rwhere}.amount.value", amount.get("value"))
            _check_currency(rd, f"{rwhere}.amount.currency", amount.get("currency"), settings)
            line_item, project = res.get("line_item"), res.get("project_id")
            model = str(line_item).split(",")[0].strip() if line_item else "openai (all items)"
            rows.append(
                _Row(
                    request_id=f"openai-import:{int(b_start.replace(tzinfo=UTC).timestamp())}:"
                    f"{len(rows):06d}:{project or '-'}:{line_item or '-'}",
                    ts=b_start,
                    provider="openai",
                    model=model,
                    team=_team(settings, project, res.get("api_key_id")),
                    cost=value,
                    project=project,
                    line_item=line_item,
                )
            )
    return rows, start, end


def _anthropic_rows(
    rd: _Reader, settings: Settings
) -> tuple[str, list[_Row], datetime | None, datetime | None]:
    rows: list[_Row] = []
    kind = ""
    start = end = None
    table = load_prices()
    for where, bucket in rd.buckets():
        b_start = rd.rfc3339(f"{where}.starting_at", bucket.get("starting_at"))
        b_end = rd.rfc3339(f"{where}.ending_at", bucket.get("ending_at"))
        start = min(start, b_start) if start else b_start
        end = max(end, b_end) if end else b_end
        for rwhere, res in rd.results(where, bucket):
            this = (
                "cost_report"
                if "amount" in res
                else "usage_report"
                if "uncached_input_tokens" in res
                else ""
            )
            if not this:
                raise rd.fail(
                    rwhere,
                    "neither a cost report result (amount) nor a usage "
                    "report result (uncached_input_tokens)",
                )
            if kind and this != kind:
                raise rd.fail(rwhere, f"mixes {kind} and {this} results; import them separately")
            kind = this
            workspace, key_id = res.get("workspace_id"), res.get("api_key_id")
            team = _team(settings, workspace, key_id)
            rid = f"anthropic-import:{b_start.isoformat()}:{len(rows):06d}:{workspace or '-'}"
            if kind == "cost_report":
                cents = rd.number(f"{rwhere}.amount", res.get("amount"))
                _check_currency(rd, f"{rwhere}.currency", res.get("currency", "USD"), settings)
                desc = res.get("description") or res.get("cost_type")
                model = res.get("model") or (str(desc) if desc else "anthropic (all items)")
                rows.append(
                    _Row(
                        rid,
                        b_start,
                        "anthropic",
                        str(model),
                        team,
                        cents / _CENTS,
                        workspace,
                        str(desc) if desc else res.get("token_type"),
                    )
                )
                continue
            model = res.get("model")
            creation = res.get("cache_creation") or {}
            if not isinstance(creation, dict):
                raise rd.fail(f"{rwhere}.cache_creation", "expected an object")
            w5 = rd.count(
                f"{rwhere}.cache_creation.ephemeral_5m_input_tokens",
                creation.get("ephemeral_5m_input_tokens"),
            )
            w1h = rd.count(
                f"{rwhere}.cache_creation.ephemeral_1h_input_tokens",
                creation.get("ephemeral_1h_input_tokens"),
            )
            uncached = rd.count(f"{rwhere}.uncached_input_tokens", res.get("uncached_input_tokens"))
            read = rd.count(f"{rwhere}.cache_read_input_tokens", res.get("cache_read_input_tokens"))
            out = rd.count(f"{rwhere}.output_tokens", res.get("output_tokens"))
            tokens = TokenCounts(
                input=uncached + read + w5 + w1h,
                cached_input=read,
                cache_write=w5 + w1h,
                output=out,
            )
            warning = None
            if model:
                priced = price_call("anthropic", str(model), tokens, b_start, table)
                cost, warning = priced.cost, priced.warning
                if cost is not None and w1h:
                    warning = (
                        f"{w1h} one-hour cache-write tokens priced at the five-minute "
                        "rate (the price table has no 1h rate); import the cost report "
                        "for exact dollars"
                    )
            else:
                cost = None
                warning = (
                    "usage report not grouped by model: tokens recorded, cost unknown; "
                    "export with group_by[]=model"
                )
            rows.append(
                _Row(
                    rid,
                    b_start,
                    "anthropic",
                    str(model or "anthropic (all models)"),
                    team,
                    cost,
                    workspace,
                    None,
                    tokens,
                    warning,
                    table.version,
                )
            )
    return kind or "cost_report", rows, start, end


def _write(
    settings: Settings,
    source: str,
    kind: str,
    rd: _Reader,
    rows: list[_Row],
    start: datetime | None,
    end: datetime | None,
) -> ImportSummary:
    ingest_id = uuid.uuid4().hex
    replaced = 0
    with ledger(settings) as con:
        if start is not None and end is not None:
            replaced = int(
                str(
                    con.execute(
                        "SELECT COUNT(*) FROM ai_usage WHERE source = ? AND ts >= ? AND ts < ?",
                        [source, start, end],
                    ).fetchone()[0]  # type: ignore[index]
                )
            )  # type: ignore[index]
            con.execute(
                "DELETE FROM ai_usage WHERE source = ? AND ts >= ? AND ts < ?", [source, start, end]
            )
        for r in rows:
            t = r.tokens
            con.execute(
                "INSERT INTO ai_usage (request_id, ts, source, provider, model, channel, team,"
                " input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,"
                " reasoning_tokens, cost, price_version, warning, ingest_id, project, line_item)"
                " VALUES (?, ?, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    r.request_id,
                    r.ts,
                    source,
                    r.provider,
                    r.model,
                    r.team,
                    t.input if t else None,
                    t.cached_input if t else None,
                    t.cache_write if t else None,
                    t.output if t else None,
                    t.reasoning if t else None,
                    r.cost,
                    r.price_version,
                    r.warning,
                    ingest_id,
                    r.project,
                    r.line_item,
                ],
            )
    warnings = sorted({r.warning for r in rows if r.warning})
    return ImportSummary(
        source=source,
        file=rd.file,
        kind=kind,
        rows=len(rows),
        total_cost=sum((r.cost for r in rows if r.cost is not None), Decimal(0)),
        unpriced_rows=sum(1 for r in rows if r.cost is None),
        start=start,
        end=end,
        replaced_rows=replaced,
        ingest_id=ingest_id,
        warnings=warnings,
    )


def import_openai(settings: Settings, path: Path) -> ImportSummary:
    """Import an OpenAI ``/v1/organization/costs`` JSON export (one page or a list)."""
    rd = _Reader(path)
    rows, start, end = _openai_rows(rd, settings)
    return _write(settings, "openai-import", "costs", rd, rows, start, end)


def import_anthropic(settings: Settings, path: Path) -> ImportSummary:
    """Import an Anthropic cost report or messages usage report JSON export."""
    rd = _Reader(path)
    kind, rows, start, end = _anthropic_rows(rd, settings)
    return _write(settings, "anthropic-import", kind, rd, rows, start, end)


def import_pages(settings: Settings, provider: str, pages: list[Any], origin: str) -> ImportSummary:
    """Import admin-API pages exactly as a file of them would be, replacing the period."""
    rd = _Reader(Path(origin), pages)
    if provider == "openai":
        rows, start, end = _openai_rows(rd, settings)
        return _write(settings, "openai-import", "costs", rd, rows, start, end)
    kind, rows, start, end = _anthropic_rows(rd, settings)
    return _write(settings, "anthropic-import", kind, rd, rows, start, end)
