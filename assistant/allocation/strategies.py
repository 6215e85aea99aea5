"""Sharing strategies: how a pool of shared cost (idle, shared namespaces, overhead) is
spread over the groups that receive it. Small classes found by name, so configuration
and flags say ``weighted`` or ``even`` and new strategies plug in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from assistant.allocation.costmath import split_exact
from assistant.errors import InputError

__all__ = ["EvenShare", "ShareStrategy", "WeightedShare", "get_strategy", "strategy_names"]


class ShareStrategy:
    """Spread ``amount`` over receivers; parts sum to ``amount`` exactly."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def weights(self, costs: Mapping[str, Decimal]) -> dict[str, Decimal]:
        raise NotImplementedError

    def split(self, amount: Decimal, costs: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """``costs`` are the receivers' own costs (used as weights by ``weighted``)."""
        if not costs:
            return {}
        return split_exact(amount, self.weights(costs))


class WeightedShare(ShareStrategy):
    name = "weighted"
    description = "in proportion to each group's own cost"

    def weights(self, costs: Mapping[str, Decimal]) -> dict[str, Decimal]:
        # Groups with negative or zero cost receive nothing (a weight cannot be negative).
        return {k: max(v, Decimal(0)) for k, v in costs.items()}


class EvenShare(ShareStrategy):
    name = "even"
    description = "evenly across groups"

    def weights(self, costs: Mapping[str, Decimal]) -> dict[str, Decimal]:
        return {k: Decimal(1) for k in costs}


_STRATEGIES: dict[str, type[ShareStrategy]] = {cls.name: cls for cls in (WeightedShare, EvenShare)}


def strategy_names() -> list[str]:
    return sorted(_STRATEGIES)


def get_strategy(name: str) -> ShareStrategy:
    try:
        return _STRATEGIES[name]()
    except KeyError:
        raise InputError(
            f"Unknown share split {name!r}.",
            hint=f"Use one of: {', '.join(strategy_names())}.",
        ) from None
