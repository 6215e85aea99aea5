"""Bearer-token authentication: tokens live in config only as sha256 hashes.

A token maps to a user, a scope (the teams/namespaces that user may see) and a rate
limit. Comparison is constant-time over every configured hash, so a wrong token learns
nothing from timing, and a missing or unknown token is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from assistant.config import Settings
from assistant.core.scope import Scope
from assistant.errors import PennyError

__all__ = [
    "TOKEN_PREFIX",
    "Principal",
    "Unauthorized",
    "authenticate",
    "hash_token",
    "new_token",
    "team_of",
]

TOKEN_PREFIX = "pny_"


class Unauthorized(PennyError):
    code = "unauthorized"
    http_status = 401


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's user, what they may see, and their rate limit."""

    user: str
    scope: Scope
    rate_per_minute: int
    token_id: str  # first 12 hex of the sha256: names the token in logs


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits), shown once by `penny token create`."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def team_of(scope: Scope) -> str | None:
    """The team to attribute AI spend to: the scope's only team, if it has exactly one."""
    return scope.teams[0] if not scope.admin and len(scope.teams) == 1 else None


def authenticate(settings: Settings, authorization: str | None) -> Principal:
    """``Authorization: Bearer <token>`` → Principal, or Unauthorized."""
    if not settings.server.tokens:
        raise Unauthorized(
            "This server has no API tokens configured, so nobody can call it.",
            hint="Create one with `penny token create --user NAME --save` and "
            "restart `penny serve`.",
        )
    if not authorization:
        raise Unauthorized(
            "Missing bearer token.", hint="Send the header `Authorization: Bearer <token>`."
        )
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "The Authorization header is not `Bearer <token>`.",
            hint="Send the header `Authorization: Bearer <token>`.",
        )
    digest = hash_token(token.strip())
    found = None
    for entry in settings.server.tokens:
        if hmac.compare_digest(entry.sha256.lower(), digest):
            found = entry
    if found is None:
        raise Unauthorized(
            "Unknown or revoked token.",
            hint="Check the token, or create one with `penny token create`.",
        )
    return Principal(
        user=found.user,
        scope=Scope.from_list(found.scope, user=found.user),
        rate_per_minute=found.rate_per_minute,
        token_id=digest[:12],
    )
