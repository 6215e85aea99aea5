"""The shape every tool returns: ``{ok, status, data, error, provenance}``.

Tools never raise to the agent: a bad argument, a missing month or a refused query
becomes ``ok=False`` with an error that says how to fix the call, and missing data is
``status="no_data"`` with a reason, never a zero. ``provenance`` names the tables, SQL,
window, filters, currency, freshness and truncation, so every number in an answer can
cite where it came from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance

__all__ = ["ToolResult"]


class ToolResult(BaseModel):
    ok: bool
    status: Literal["success", "error", "no_data"]
    data: Any = None
    error: str | None = None
    provenance: Provenance = Field(default_factory=Provenance)

    @classmethod
    def success(cls, data: Any, provenance: Provenance) -> ToolResult:
        return cls(ok=True, status="success", data=data, provenance=provenance)

    @classmethod
    def no_data(cls, reason: str, provenance: Provenance | None = None) -> ToolResult:
        return cls(
            ok=True,
            status="no_data",
            data=None,
            error=reason,
            provenance=provenance or Provenance(),
        )

    @classmethod
    def failure(cls, error: str, provenance: Provenance | None = None) -> ToolResult:
        return cls(ok=False, status="error", error=error, provenance=provenance or Provenance())

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict; Decimals become strings so no cent is lost to float."""
        return _jsonable(self.model_dump(mode="python"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
