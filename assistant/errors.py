"""One error tree for all of Penny.

Callers catch :class:`PennyError` and decide by subclass what to do next: fix the
configuration, rephrase a query, retry later, or fetch the missing data. Each error
carries the context that produced it (source, SQL, window, file/row/column) as
attributes, so interfaces can render a precise message without parsing strings.

    PennyError
    ├── ConfigError            invalid or missing setting
    ├── InputError             bad user/LLM input (argument, flag, HTTP body)
    │   └── ImportFileError    a file that cannot be imported (names file, row, column)
    ├── QueryRejected          SQL that is not a single read-only SELECT/WITH
    ├── QueryTimeout           SQL that ran past the time limit
    ├── SourceUnavailable      Prometheus, Kubernetes or an LLM provider cannot be reached
    ├── SourceAuthError        a source refused our credentials
    ├── DataGap                the warehouse has no data for what was asked
    ├── NotFound               a named entity (namespace, workload, month) does not exist
    ├── Forbidden              the asker's scope does not allow this (admin-only capability)
    └── BudgetExceeded         the monthly AI budget is spent
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BudgetExceeded",
    "ConfigError",
    "DataGap",
    "Forbidden",
    "ImportFileError",
    "InputError",
    "NotFound",
    "PennyError",
    "QueryRejected",
    "QueryTimeout",
    "SourceAuthError",
    "SourceUnavailable",
]


class PennyError(Exception):
    """Root of every error Penny raises on purpose."""

    #: short machine-readable code used by the HTTP API and tool results
    code: str = "penny_error"
    #: HTTP status an interface should answer with
    http_status: int = 500

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form shared by the CLI --json output, HTTP errors and tool results."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.context:
            out["context"] = {k: _jsonable(v) for k, v in self.context.items()}
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class ConfigError(PennyError):
    code = "config_error"
    http_status = 500


class InputError(PennyError):
    code = "invalid_input"
    http_status = 400


class ImportFileError(InputError):
    """A file that cannot be imported. ``file``, ``row`` and ``column`` say where."""

    code = "import_error"

    def __init__(
        self,
        message: str,
        *,
        file: str,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        **context: Any,
    ) -> None:
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(
            f"{where}: {message}", hint=hint, file=file, row=row, column=column, **context
        )
        self.file = file
        self.row = row
        self.column = column


class QueryRejected(PennyError):
    code = "query_rejected"
    http_status = 400


class QueryTimeout(PennyError):
    code = "query_timeout"
    http_status = 504


class SourceUnavailable(PennyError):
    code = "source_unavailable"
    http_status = 502


class SourceAuthError(PennyError):
    code = "source_auth_error"
    http_status = 502


class DataGap(PennyError):
    """No data for what was asked: a reason, never a zero.

    ``provenance`` (optional) says what was looked at, so a tool result can still cite it.
    """

    code = "no_data"
    http_status = 404

    def __init__(
        self, message: str, *, hint: str | None = None, provenance: Any = None, **context: Any
    ) -> None:
        super().__init__(message, hint=hint, **context)
        self.provenance = provenance


class NotFound(PennyError):
    code = "not_found"
    http_status = 404


class Forbidden(PennyError):
    code = "forbidden"
    http_status = 403


class BudgetExceeded(PennyError):
    code = "budget_exceeded"
    http_status = 429
