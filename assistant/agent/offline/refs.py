"""What a question can name: warehouse names and the bill's own values, and a reading of one.

``Name`` is something the warehouse knows (a team, a namespace, a workload, a node, a
cluster, or a value of a bill dimension such as a service or a region). ``EntityRef`` is
a name as read from a question, with how it was recognised and how sure the reading is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BILL_KINDS", "ENTITY_KINDS", "EntityRef", "Hit", "Name"]

#: kinds that select allocated cost (query_costs filters)
ENTITY_KINDS = ("team", "namespace", "workload", "app", "node", "cluster")
#: kinds that select bill lines (bill_costs filters)
BILL_KINDS = (
    "service",
    "service_category",
    "charge_category",
    "pricing_category",
    "provider",
    "billing_account",
    "sub_account",
    "region",
    "resource_type",
)


@dataclass(frozen=True)
class Name:
    name: str
    kind: str
    filter: dict[str, str]
    namespace: str | None = None
    controller_kind: str | None = None
    keys: tuple[str, ...] = ()  # other word sequences that mean it ("s3", "data transfer")


@dataclass(frozen=True)
class EntityRef:
    """A name the question refers to, and how it was recognised."""

    name: str
    kind: str  # an ENTITY_KINDS or BILL_KINDS value
    filter: dict[str, str]  # the tool filter selecting it
    how: str = "exact"  # exact | alias | fuzzy | semantic | unresolved | missing
    score: float = 1.0
    phrase: str = ""  # the words of the question it was read from
    namespace: str | None = None
    controller_kind: str | None = None

    @property
    def is_bill(self) -> bool:
        return self.kind in BILL_KINDS


@dataclass(frozen=True)
class Hit:
    """A name found written out in the question: character span and what it names."""

    start: int
    end: int
    ref: EntityRef
    hinted: bool = False  # a kind word beside it agrees ("payments namespace")
    extra: tuple[str, ...] = field(default=())
