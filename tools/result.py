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

__all__ = ["Provenance", "Scope", "ToolResult"]


class Provenance(BaseModel):
    tables: list[str] = Field(default_factory=list)
    sql: str | None = None
    params: list[Any] = Field(default_factory=list)
    window: dict[str, str] | None = None  # Window.to_dict()
    filters: dict[str, Any] = Field(default_factory=dict)
    group_by: str | None = None
    currency: str = "USD"
    cost_basis: str | None = None  # amortized (EffectiveCost) | invoice (BilledCost)
    sharing: dict[str, Any] = Field(default_factory=dict)  # which sharing was applied
    source: str = "warehouse"  # warehouse | kubernetes-api | snapshot | chroma
    freshness: str | None = None  # latest ingest finished_at (UTC ISO)
    row_count: int | None = None
    truncated: bool = False
    notes: list[str] = Field(default_factory=list)


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


class Scope(BaseModel):
    """What the asker may see. Enforced in every tool's SQL, never in the prompt.

    ``teams``/``namespaces`` empty together with ``admin=False`` means nothing is visible.
    """

    admin: bool = False
    teams: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    user: str = "anonymous"

    @classmethod
    def everything(cls, user: str = "admin") -> Scope:
        return cls(admin=True, user=user)

    @classmethod
    def from_list(cls, items: list[str], user: str = "anonymous") -> Scope:
        """From config strings: '*' (admin), 'team:payments', 'ns:checkout'."""
        if "*" in items:
            return cls.everything(user)
        teams = [i.split(":", 1)[1] for i in items if i.startswith("team:")]
        namespaces = [i.split(":", 1)[1] for i in items if i.startswith(("ns:", "namespace:"))]
        return cls(teams=teams, namespaces=namespaces, user=user)

    def sql_filter(
        self, team_col: str = "team", ns_col: str = "namespace"
    ) -> tuple[str, list[Any]]:
        """A WHERE fragment and its parameters restricting rows to this scope."""
        if self.admin:
            return "TRUE", []
        parts: list[str] = []
        params: list[Any] = []
        if self.teams:
            parts.append(f"{team_col} IN ({', '.join('?' for _ in self.teams)})")
            params.extend(self.teams)
        if self.namespaces:
            parts.append(f"{ns_col} IN ({', '.join('?' for _ in self.namespaces)})")
            params.extend(self.namespaces)
        return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params
