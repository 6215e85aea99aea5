"""A recommendation and its containers: what to request, why, and what it saves.

``recommend`` builds these; the kind of workload (``kinds``) decides what they may promise
a month and whether they can be drafted; GPUs held idle add their own saving
(``gpu_findings``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from assistant.core.money import cents
from assistant.rightsizing.hpa import HpaAdvice
from assistant.rightsizing.kinds import Disposition
from assistant.rightsizing.savings import monthly_billed_cost
from assistant.windows import Window

if TYPE_CHECKING:
    from assistant.rightsizing.gpu_findings import GpuFinding

__all__ = ["ContainerRec", "Recommendation"]


@dataclass
class ContainerRec:
    container: str
    status: str
    current: dict[str, float | None]
    proposed: dict[str, float | None]
    evidence: dict[str, Any]
    notes: list[str]
    confidence: float | None
    current_monthly: Decimal
    proposed_monthly: Decimal
    usage: list[tuple[float, float | None, float | None]] = field(default_factory=list, repr=False)
    span_hours: int = 0

    @property
    def monthly_savings(self) -> Decimal:
        return self.current_monthly - self.proposed_monthly

    def price(
        self,
        cpu_request: float | None,
        ram_request: float | None,
        *,
        cpu_price: Decimal,
        ram_price: Decimal,
    ) -> Decimal:
        return monthly_billed_cost(
            cpu_request,
            ram_request,
            self.usage,
            cpu_price=cpu_price,
            ram_price=ram_price,
            span_hours=self.span_hours,
        )


@dataclass
class Recommendation:
    cluster: str
    namespace: str
    kind: str
    name: str
    team: str | None
    strategy: str
    status: str  # ok | not_enough_data | no_usage
    containers: list[ContainerRec]
    replicas: float
    window: Window
    history_hours: int
    cpu_price: Decimal
    ram_price: Decimal
    price_source: str
    capacity_types: list[str]
    pods: list[str]
    hpa: HpaAdvice | None = None
    severity: str = "low"
    nodes_freed: int = 0
    notes: list[str] = field(default_factory=list)
    disposition: Disposition = field(default_factory=lambda: Disposition("controller", True, 0))
    window_cost: Decimal = Decimal(0)  # what its requests cost over the hours observed
    window_savings: Decimal = Decimal(0)  # what the proposal would have saved over them
    gpu: GpuFinding | None = None

    @property
    def workload(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    @property
    def qualified(self) -> str:
        """CLUSTER:NAMESPACE/KIND/NAME, unique across clusters."""
        return f"{self.cluster}:{self.workload}"

    @property
    def current_monthly(self) -> Decimal:
        return sum((c.current_monthly for c in self.containers), Decimal("0"))

    @property
    def proposed_monthly(self) -> Decimal:
        return sum((c.proposed_monthly for c in self.containers), Decimal("0"))

    @property
    def monthly_savings(self) -> Decimal:
        gpu = self.gpu.monthly_cost if self.gpu else Decimal(0)
        return self.current_monthly - self.proposed_monthly + gpu

    @property
    def draftable(self) -> bool:
        return self.disposition.draftable

    @property
    def oom_kills(self) -> int:
        return sum(int(c.evidence.get("oom_kills") or 0) for c in self.containers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe view; dollars as cent strings."""
        return {
            "workload": self.workload,
            "qualified": self.qualified,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "team": self.team,
            "strategy": self.strategy,
            "status": self.status,
            "severity": self.severity,
            "replicas": round(self.replicas, 3),
            "history_hours": self.history_hours,
            "window": self.window.to_dict(),
            "current_monthly": str(cents(self.current_monthly)),
            "proposed_monthly": str(cents(self.proposed_monthly)),
            "monthly_savings": str(cents(self.monthly_savings)),
            "unit_prices": {
                "cpu_core_hour": str(self.cpu_price),
                "ram_gib_hour": str(self.ram_price),
                "source": self.price_source,
            },
            "disposition": self.disposition.kind,
            "draftable": self.draftable,
            "window_cost": str(cents(self.window_cost)),
            "window_savings": str(cents(self.window_savings)),
            "runs": self.disposition.runs,
            "runs_per_month": self.disposition.runs_per_month,
            "gpu": self.gpu.to_dict() if self.gpu else None,
            "capacity_types": self.capacity_types,
            "nodes_freed": self.nodes_freed,
            "hpa": asdict(self.hpa) if self.hpa else None,
            "containers": [
                {
                    "container": c.container,
                    "status": c.status,
                    "current": c.current,
                    "proposed": c.proposed,
                    "evidence": c.evidence,
                    "notes": c.notes,
                    "confidence": c.confidence,
                    "current_monthly": str(cents(c.current_monthly)),
                    "proposed_monthly": str(cents(c.proposed_monthly)),
                    "monthly_savings": str(cents(c.monthly_savings)),
                }
                for c in self.containers
            ],
            "notes": self.notes,
        }
