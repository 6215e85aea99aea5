"""Instance types and the public AWS us-east-1 prices the simulated bill is written with.

Prices are the published Linux on-demand hourly rates (spot is a fixed discount here,
so planted spot-to-on-demand effects have exact, checkable sizes). Everything is a
``Decimal`` so the generated FOCUS lines carry no float drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "ACCOUNT_ID",
    "EBS_GB_MONTH",
    "EGRESS_GB",
    "EKS_HOUR",
    "HOURS_PER_MONTH",
    "INSTANCE_TYPES",
    "LB_HOUR",
    "LCU_HOUR",
    "NAT_GB",
    "NAT_HOUR",
    "REGION",
    "S3_GB_MONTH",
    "SAVINGS_PLAN_DISCOUNT",
    "SPOT_DISCOUNT",
    "InstanceType",
]

REGION = "us-east-1"
ACCOUNT_ID = "493817205521"
HOURS_PER_MONTH = Decimal(730)  # AWS prorates GB-month storage over 730 h

SPOT_DISCOUNT = Decimal("0.60")  # spot price = on-demand x (1 - 0.60)
SAVINGS_PLAN_DISCOUNT = Decimal("0.28")  # Compute Savings Plan rate = on-demand x 0.72

EBS_GB_MONTH = Decimal("0.08")  # gp3
S3_GB_MONTH = Decimal("0.023")
LB_HOUR = Decimal("0.0225")  # NLB hour
LCU_HOUR = Decimal("0.006")  # NLB NLCU-hour
EKS_HOUR = Decimal("0.10")  # EKS control plane, per cluster
NAT_HOUR = Decimal("0.045")
NAT_GB = Decimal("0.045")  # NAT gateway data processed
EGRESS_GB = Decimal("0.09")  # data transfer out to the internet


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    mem_gib: int
    gpus: int
    gpu_model: str | None
    on_demand: Decimal  # $/hour

    @property
    def spot(self) -> Decimal:
        return self.on_demand * (1 - SPOT_DISCOUNT)

    @property
    def savings_plan(self) -> Decimal:
        return self.on_demand * (1 - SAVINGS_PLAN_DISCOUNT)


INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in [
        InstanceType("m6i.xlarge", 4, 16, 0, None, Decimal("0.192")),
        InstanceType("m6i.2xlarge", 8, 32, 0, None, Decimal("0.384")),
        InstanceType("m6i.4xlarge", 16, 64, 0, None, Decimal("0.768")),
        InstanceType("m6i.large", 2, 8, 0, None, Decimal("0.096")),
        InstanceType("r6i.8xlarge", 32, 256, 0, None, Decimal("2.016")),
        InstanceType("g6.xlarge", 4, 16, 1, "NVIDIA L4", Decimal("0.8048")),
        InstanceType("p4d.24xlarge", 96, 1152, 8, "NVIDIA A100-SXM4-40GB", Decimal("32.7726")),
    ]
}
