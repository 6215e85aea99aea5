"""A small client for the Prometheus HTTP API: range queries, label values, clear errors.

Every failure becomes a Penny error naming the URL: unreachable → SourceUnavailable,
401/403 → SourceAuthError, a query Prometheus refuses as too large (too many samples,
timeout) → :class:`QueryTooLarge` so the caller can split it.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from assistant.errors import SourceAuthError, SourceUnavailable

__all__ = ["PrometheusClient", "QueryTooLarge"]


class QueryTooLarge(Exception):
    """Prometheus refused a query for its size; split it by namespace or time."""


_TOO_LARGE_HINTS = ("too many samples", "query timed out", "exceeded", "resource exhausted")


class PrometheusClient:
    def __init__(
        self,
        url: str,
        *,
        bearer_token: str | None = None,
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
        http_options: dict[str, Any] | None = None,
    ) -> None:
        """``http_options`` go to httpx.Client as they are: ``auth`` (basic), ``verify`` (a
        CA bundle), ``cert`` (an mTLS client certificate and key)."""
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else {}
        self.queries = 0
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout_s,
            transport=transport,
            **(http_options or {}),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any] | list[tuple[str, Any]]) -> Any:
        self.queries += 1
        try:
            resp = self._http.get(path, params=params)
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                f"Cannot reach Prometheus at {self.url}: {exc.__class__.__name__}: {exc}",
                hint="Check --url, the network path and that Prometheus is running.",
                url=self.url,
            ) from exc
        if resp.status_code in (401, 403):
            raise SourceAuthError(
                f"Prometheus at {self.url} refused the request (HTTP {resp.status_code}).",
                hint="Pass a valid bearer token with --token-env VAR (the variable's name).",
                url=self.url,
                status=resp.status_code,
            )
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "status" not in body:
            raise SourceUnavailable(
                f"{self.url}{path} did not answer like the Prometheus HTTP API "
                f"(HTTP {resp.status_code}).",
                hint="Point --url at the Prometheus server root, e.g. http://prometheus:9090.",
                url=self.url,
                status=resp.status_code,
            )
        if body["status"] != "success":
            message = str(body.get("error", ""))
            if body.get("errorType") in ("execution", "timeout", "internal") and any(
                h in message.lower() for h in _TOO_LARGE_HINTS
            ):
                raise QueryTooLarge(message)
            raise SourceUnavailable(
                f"Prometheus at {self.url} rejected {path}: {body.get('errorType')}: {message}",
                url=self.url,
                status=resp.status_code,
            )
        return body.get("data")

    def metric_names(self, start: float, end: float) -> set[str] | None:
        """Metric names with data in ``[start, end]``; None if the server cannot say."""
        try:
            data = self._get("/api/v1/label/__name__/values", {"start": start, "end": end})
        except SourceUnavailable as exc:
            if exc.context.get("status") in (400, 404, 405):
                return None
            raise
        return set(data or [])

    def label_values(self, label: str, match: str, start: float, end: float) -> list[str]:
        data = self._get(
            f"/api/v1/label/{label}/values", [("match[]", match), ("start", start), ("end", end)]
        )
        return sorted(data or [])

    def query_range(
        self, query: str, start: float, end: float, step_s: int
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """Matrix result as (labels without __name__, [(ts, value)]), non-finite dropped."""
        data = self._get(
            "/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step_s}
        )
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise SourceUnavailable(
                f"Prometheus at {self.url} answered {query!r} without a matrix.", url=self.url
            )
        out = []
        for item in data.get("result", []):
            labels = {k: v for k, v in item.get("metric", {}).items() if k != "__name__"}
            values = []
            for ts, raw in item.get("values", []):
                value = float(raw)
                if math.isfinite(value):
                    values.append((float(ts), value))
            out.append((labels, values))
        return out
