"""What the asker may see: admin, or a set of teams and namespaces.

Scope is enforced in SQL by the core, never by a prompt or an interface.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Scope"]


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
