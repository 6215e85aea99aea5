"""Walking a provider's JSON export: every failure names the file and the field.

The reader checks shape and plausibility as it goes (numbers finite and in range, times
in the years Penny keeps, buckets ordered and at most a month; see ``bounds``), so the
importer only ever sees values it can store and a replacement range it can trust.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from assistant.errors import ImportFileError
from assistant.ingest.ai import bounds
from assistant.ingest.text_check import first_bad_utf8

__all__ = ["Reader"]


class Reader:
    """Walks provider JSON; every failure is an ImportFileError naming file and field."""

    def __init__(self, path: Path, pages: list[Any] | None = None) -> None:
        self.file = str(path)
        if pages is not None:  # pages fetched from the admin API (``ingest/ai/api.py``)
            self.pages = pages
            return
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            bad = first_bad_utf8(path)
            where = f"line {bad.line}: {bad.describe()}" if bad else "not UTF-8"
            raise ImportFileError(
                f"not UTF-8 text ({where})",
                file=self.file,
                row=bad.line if bad else None,
                hint="Export the provider's admin API response unchanged (UTF-8 JSON).",
            ) from None
        except OSError as exc:
            raise ImportFileError(f"cannot read: {exc}", file=self.file) from exc
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ImportFileError(
                f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                file=self.file,
                row=exc.lineno,
            ) from exc
        except RecursionError:
            raise ImportFileError(
                "the JSON is nested too deeply to be a provider export",
                file=self.file,
                hint="Export the provider's admin API response unchanged.",
            ) from None
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
        if problem := bounds.amount_problem(out):
            raise self.fail(where, problem)
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
        parsed, problem = bounds.unix_time(value)
        if parsed is None:
            raise self.fail(where, problem or f"implausible time {value!r}")
        return parsed

    def bucket(self, where: str, start: datetime, end: datetime) -> None:
        if problem := bounds.bucket_problem(start, end):
            raise self.fail(where, problem)

    def span(self, start: datetime | None, end: datetime | None) -> None:
        if start is not None and end is not None and (problem := bounds.span_problem(start, end)):
            raise self.fail("data", problem)

    def rfc3339(self, where: str, value: Any) -> datetime:
        if not isinstance(value, str):
            raise self.fail(where, f"expected an RFC 3339 timestamp, got {value!r}")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise self.fail(where, f"expected an RFC 3339 timestamp, got {value!r}") from exc
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        if problem := bounds.time_problem(parsed):
            raise self.fail(where, problem)
        return parsed
