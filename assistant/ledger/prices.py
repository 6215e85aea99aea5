"""Pricing Penny's model calls from the versioned table in ``prices.toml``.

Pure functions over Decimal: no I/O except reading the table file once. Token counts
follow LangChain's normalised ``usage_metadata`` for both providers: ``input`` is the
total prompt (cache reads and writes included — OpenAI's ``prompt_tokens`` already
include cached tokens, and LangChain adds Anthropic's cache tokens back to its
``input_tokens``), ``output`` is the total completion (reasoning included). So each
token is charged exactly once, at the rate of the bucket it belongs to.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

from assistant.errors import ConfigError

__all__ = [
    "MILLION",
    "ModelPrice",
    "PriceTable",
    "Priced",
    "TokenCounts",
    "cost_of",
    "load_prices",
    "price_call",
]

MILLION = Decimal(1_000_000)
_RATES = ("input", "cached_input", "cache_write", "output", "reasoning")
# A provider snapshot suffix: -2024-07-18, -20250929, -latest, -v1 (never a word like -mini)
_SNAPSHOT = re.compile(r"^-(\d{4}-\d{2}-\d{2}|\d{8}|latest|v\d+(:\d+)?)$")


@dataclass(frozen=True)
class TokenCounts:
    """One call's tokens, in LangChain's normalised form (see module docstring)."""

    input: int = 0  # total prompt tokens, cached and cache-written included
    cached_input: int = 0  # of which read from cache
    cache_write: int = 0  # of which written to cache
    output: int = 0  # total completion tokens, reasoning included
    reasoning: int = 0  # of which reasoning

    def __post_init__(self) -> None:
        for name in ("input", "cached_input", "cache_write", "output", "reasoning"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} tokens cannot be negative: {getattr(self, name)}")
        if self.cached_input + self.cache_write > self.input:
            raise ValueError(
                f"cached ({self.cached_input}) + cache-write ({self.cache_write}) tokens exceed "
                f"the prompt's {self.input} tokens"
            )
        if self.reasoning > self.output:
            raise ValueError(
                f"reasoning tokens ({self.reasoning}) exceed output tokens ({self.output})"
            )

    @property
    def uncached_input(self) -> int:
        return self.input - self.cached_input - self.cache_write

    @property
    def visible_output(self) -> int:
        return self.output - self.reasoning


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model from one date on."""

    provider: str
    model: str
    effective_from: date
    input: Decimal
    cached_input: Decimal
    cache_write: Decimal
    output: Decimal
    reasoning: Decimal


@dataclass(frozen=True)
class Priced:
    cost: Decimal | None  # None = the model has no price (never a silent $0)
    price_version: str
    price: ModelPrice | None
    warning: str | None = None


def cost_of(price: ModelPrice, tokens: TokenCounts) -> Decimal:
    """Dollar cost: each bucket at its own rate, per million tokens.

    cost = (uncached_in·input + cached·cached_input + written·cache_write
            + (output − reasoning)·output + reasoning·reasoning) / 1e6
    """
    total = (
        tokens.uncached_input * price.input
        + tokens.cached_input * price.cached_input
        + tokens.cache_write * price.cache_write
        + tokens.visible_output * price.output
        + tokens.reasoning * price.reasoning
    )
    return total / MILLION


@dataclass(frozen=True)
class PriceTable:
    version: str
    currency: str
    rows: tuple[ModelPrice, ...]

    def lookup(self, provider: str, model: str, on: date) -> ModelPrice | None:
        """The row in force on ``on`` for ``model`` (exact name, else name + snapshot suffix).

        OpenAI-compatible servers are priced with OpenAI's rows only when they serve a
        model of that exact name (a proxy to OpenAI); a local Llama simply has no price.
        """
        wanted = {"openai-compatible": "openai"}.get(provider, provider)
        candidates = [r for r in self.rows if r.provider == wanted]
        name = model.strip().lower()
        for r in candidates:
            if r.model == name:
                return self._in_force([c for c in candidates if c.model == name], on)
        # Longest base name whose remainder is a snapshot suffix
        best: str | None = None
        for r in candidates:
            if (
                name.startswith(r.model)
                and _SNAPSHOT.match(name[len(r.model) :])
                and (best is None or len(r.model) > len(best))
            ):
                best = r.model
        if best is None:
            return None
        return self._in_force([c for c in candidates if c.model == best], on)

    @staticmethod
    def _in_force(rows: list[ModelPrice], on: date) -> ModelPrice | None:
        valid = [r for r in rows if r.effective_from <= on]
        return max(valid, key=lambda r: r.effective_from) if valid else None


def price_call(
    provider: str,
    model: str,
    tokens: TokenCounts,
    at: datetime | date,
    table: PriceTable | None = None,
) -> Priced:
    """Price one call; an unknown model gives cost None and a warning to record."""
    table = table or load_prices()
    day = at.date() if isinstance(at, datetime) else at
    price = table.lookup(provider, model, day)
    if price is None:
        warning = (
            f"No price for {provider}:{model} on {day.isoformat()} in price table "
            f"{table.version}; cost recorded as unknown. Add it to assistant/ledger/prices.toml."
        )
        return Priced(None, table.version, None, warning)
    return Priced(cost_of(price, tokens), table.version, price)


def _decimal(value: object, where: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"Price table {where}: {value!r} is not a number.") from exc
    if out < 0:
        raise ConfigError(f"Price table {where}: {value!r} is negative.")
    return out


def parse_prices(text: str, origin: str = "prices.toml") -> PriceTable:
    """Parse and validate a price table; errors name the row and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Price table {origin} does not parse: {exc}") from exc
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError(f"Price table {origin} needs a 'version' string.")
    rows = []
    for i, row in enumerate(data.get("model", []), start=1):
        where = f"{origin} model #{i}"
        try:
            provider, model = str(row["provider"]), str(row["model"]).lower()
            eff = row["effective_from"]
            eff = eff if isinstance(eff, date) else date.fromisoformat(str(eff))
            rates = {k: _decimal(row[k], f"{where} ({model}) field {k!r}") for k in _RATES}
        except KeyError as exc:
            raise ConfigError(f"Price table {where} lacks field {exc.args[0]!r}.") from exc
        except ValueError as exc:
            raise ConfigError(f"Price table {where}: bad effective_from ({exc}).") from exc
        rows.append(ModelPrice(provider, model, eff, **rates))
    return PriceTable(version, str(data.get("currency", "USD")), tuple(rows))


@lru_cache(maxsize=4)
def load_prices(path: str | None = None) -> PriceTable:
    """The shipped table (or ``path``), parsed once per process."""
    if path:
        return parse_prices(Path(path).read_text(encoding="utf-8"), path)
    text = (resources.files("assistant.ledger") / "prices.toml").read_text(encoding="utf-8")
    return parse_prices(text)
