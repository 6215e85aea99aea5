"""The shape every tool returns: ``{ok, status, data, error, provenance}``.

Tools never raise to the agent: a bad argument, a missing month or a refused query
becomes ``ok=False`` with an error that says how to fix the call, and missing data is
``status="no_data"`` with a reason, never a zero. ``provenance`` names the tables, SQL,
window, filters, currency, freshness and truncation, so every number in an answer can
cite where it came from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.money import micro
from assistant.core.provenance import Provenance
from assistant.core.serialize import jsonable

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
    def of(cls, report: BaseModel) -> ToolResult:
        """A capability's report as a tool result: its payload (money to six places, which
        still sums to the cent) and its ``provenance`` beside it."""
        prov = getattr(report, "provenance", None)
        data = micro(report.model_dump(exclude={"provenance"}))
        return cls.success(data, prov if isinstance(prov, Provenance) else Provenance())

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
        out: dict[str, Any] = jsonable(self.model_dump(mode="python"))
        return out
