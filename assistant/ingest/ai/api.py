"""Pulling OpenAI and Anthropic spend from their admin APIs into the ledger.

* OpenAI ``GET /v1/organization/costs`` (``Authorization: Bearer <admin key>``), daily
  buckets grouped by ``project_id`` and ``line_item``, paged with ``page``/``next_page``.
* Anthropic ``GET /v1/organizations/cost_report`` (``x-api-key: <admin key>``,
  ``anthropic-version``), daily buckets grouped by ``workspace_id`` and ``description``,
  paged with ``page``/``next_page``.

The pages are imported by the same code as an exported file of them
(:func:`assistant.ingest.ai.files.import_pages`), so a pulled day and an imported day are
the same rows, and a period pulled again replaces what was there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from assistant.config import AiSource, Settings
from assistant.core.timestamps import rfc3339
from assistant.errors import SourceAuthError, SourceUnavailable
from assistant.ingest.ai.files import ImportSummary, import_pages

__all__ = ["DEFAULT_URLS", "fetch_pages", "pull_ai_costs"]

DEFAULT_URLS = {"openai": "https://api.openai.com", "anthropic": "https://api.anthropic.com"}
_MAX_PAGES = 1000


def _epoch(t: datetime) -> int:
    return int(t.replace(tzinfo=UTC).timestamp())


def fetch_pages(
    source: AiSource, start: datetime, end: datetime, *, timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    """Every page of daily cost buckets in ``[start, end)`` (naive UTC days)."""
    base = (source.base_url or DEFAULT_URLS[source.provider]).rstrip("/")
    key = source.admin_key.get_secret_value()
    if source.provider == "openai":
        path = "/v1/organization/costs"
        headers = {"Authorization": f"Bearer {key}"}
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("start_time", _epoch(start)),
            ("end_time", _epoch(end)),
            ("bucket_width", "1d"),
            ("group_by", "project_id"),
            ("group_by", "line_item"),
            ("limit", 180),
        ]
    else:
        path = "/v1/organizations/cost_report"
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        params = [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end)),
            ("group_by[]", "workspace_id"),
            ("group_by[]", "description"),
        ]
    pages: list[dict[str, Any]] = []
    page: str | None = None
    with httpx.Client(base_url=base, headers=headers, timeout=timeout_s) as http:
        for _ in range(_MAX_PAGES):
            query = params + ([("page", page)] if page else [])
            try:
                resp = http.get(path, params=query)
            except httpx.TransportError as exc:
                raise SourceUnavailable(
                    f"Cannot reach the {source.provider} admin API at {base}: {exc}",
                    hint="Check the network path (and sync.ai[].base_url).",
                    url=base,
                ) from exc
            if resp.status_code in (401, 403):
                raise SourceAuthError(
                    f"The {source.provider} admin API refused the key of source "
                    f"{source.name!r} (HTTP {resp.status_code}).",
                    hint="Use an admin key (OpenAI sk-admin-…, Anthropic sk-ant-admin…) "
                    "with access to usage and costs.",
                    url=base,
                    status=resp.status_code,
                )
            try:
                body = resp.json(parse_float=_decimal)
            except ValueError:
                body = None
            if resp.status_code != 200 or not isinstance(body, dict):
                raise SourceUnavailable(
                    f"The {source.provider} admin API answered HTTP {resp.status_code} "
                    f"for {path}: {resp.text[:300]}",
                    hint="Retry later; the next sync tries again from the same watermark.",
                    url=base,
                    status=resp.status_code,
                )
            pages.append(body)
            page = body.get("next_page") if body.get("has_more") else None
            if not page:
                return pages
    raise SourceUnavailable(
        f"The {source.provider} admin API returned more than {_MAX_PAGES} pages.", url=base
    )


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def pull_ai_costs(
    settings: Settings, source: AiSource, start: datetime, end: datetime
) -> ImportSummary:
    """Fetch ``[start, end)`` from the source's admin API and import it (replacing it)."""
    pages = fetch_pages(source, start, end)
    origin = f"{source.provider}-admin-api:{source.name}"
    return import_pages(settings, source.provider, pages, origin)
