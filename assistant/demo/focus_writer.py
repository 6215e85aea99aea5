"""The organisation's AWS bill as FOCUS 1.0 CSV files, one per billing period.

Every line is derived from the same objects the metrics come from: a node's hourly
EC2 line has the node's instance id as ``ResourceId`` (the id in its ``providerID``), a
volume's daily line the EBS ``vol-…`` in its PV's CSI handle, a load balancer's lines the
ARN behind its service's ingress hostname. Lines nothing in a cluster explains (EKS
control plane, NAT, egress, S3, the Savings Plan fee, a credit, tax) are there too, as on
a real bill. Money is ``Decimal`` quantized to 10 places, written as text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from assistant.core.timestamps import rfc3339
from assistant.demo.catalog import (
    ACCOUNT_ID,
    EBS_GB_MONTH,
    EGRESS_GB,
    EKS_HOUR,
    HOURS_PER_MONTH,
    INSTANCE_TYPES,
    LB_HOUR,
    LCU_HOUR,
    NAT_GB,
    NAT_HOUR,
    REGION,
    S3_GB_MONTH,
)
from assistant.demo.model import Node, Org

__all__ = ["COLUMNS", "bill_lines", "write_focus"]

COLUMNS = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_UsageType",
]
_Q = Decimal("0.0000000001")
_SP_NAME = "Compute Savings Plan 1yr No Upfront"
_S3_GB = Decimal(20000)
_S3_ARN = "arn:aws:s3:::acme-data-lake"


def _money(v: Decimal) -> Decimal:
    return v.quantize(_Q, rounding=ROUND_HALF_EVEN)


def _month_bounds(when: datetime) -> tuple[datetime, datetime]:
    start = when.replace(day=1, hour=0)
    return start, (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _line(org: Org, start: datetime, end: datetime, cost: Decimal, **kw: Any) -> dict[str, Any]:
    bp_start, bp_end = _month_bounds(start)
    cost = _money(cost)
    row: dict[str, Any] = {
        "BilledCost": cost,
        "EffectiveCost": cost,
        "ListCost": cost,
        "ContractedCost": cost,
        "BillingAccountId": ACCOUNT_ID,
        "BillingAccountName": "Acme Retail",
        "BillingCurrency": "USD",
        "BillingPeriodStart": bp_start,
        "BillingPeriodEnd": bp_end,
        "ChargeCategory": "Usage",
        "ChargeFrequency": "Usage-Based",
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end,
        "InvoiceIssuerName": "Amazon Web Services, Inc.",
        "ProviderName": "AWS",
        "PublisherName": "Amazon Web Services, Inc.",
        "RegionId": REGION,
        "RegionName": "US East (N. Virginia)",
        "SubAccountId": ACCOUNT_ID,
        "SubAccountName": "acme-prod",
        "PricingCategory": "Standard",
    }
    row.update(kw)
    for key in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        row[key] = _money(row[key])
    return row


def _node_lines(org: Org, n: Node) -> Iterator[dict[str, Any]]:
    t = n.itype
    sp = org.savings_plan
    covered = n.instance_id in sp.get("covered_nodes", [])
    tags = json.dumps(
        {
            "eks:cluster-name": n.cluster,
            "karpenter.sh/nodepool": n.pool,
            f"kubernetes.io/cluster/{n.cluster}": "owned",
        }
    )
    for h in range(n.start, n.end):
        start = org.at(h)
        base: dict[str, Any] = dict(
            AvailabilityZone=n.zone,
            ConsumedQuantity=Decimal(1),
            ConsumedUnit="Hours",
            PricingQuantity=Decimal(1),
            PricingUnit="Hours",
            ListUnitPrice=t.on_demand,
            ListCost=t.on_demand,
            ContractedUnitPrice=t.on_demand,
            ContractedCost=t.on_demand,
            ResourceId=n.instance_id,
            ResourceName=n.name,
            ResourceType="Virtual Machine",
            ServiceCategory="Compute",
            ServiceName="Amazon Elastic Compute Cloud",
            SkuId=f"SKU-{t.name}",
            SkuPriceId=f"SKU-{t.name}.{n.capacity_type}",
            Tags=tags,
        )
        if n.capacity_type == "spot":
            yield _line(
                org,
                start,
                start + timedelta(hours=1),
                t.spot,
                **base,
                PricingCategory="Dynamic",
                x_UsageType=f"USE1-SpotUsage:{t.name}",
                ChargeDescription=f"${t.spot.normalize()} per Spot Linux {t.name} Instance Hour",
            )
        elif covered and h >= sp["start"]:
            yield _line(
                org,
                start,
                start + timedelta(hours=1),
                t.savings_plan,
                **base,
                BilledCost=Decimal(0),
                PricingCategory="Committed",
                CommitmentDiscountCategory="Spend",
                CommitmentDiscountId=sp["id"],
                CommitmentDiscountName=_SP_NAME,
                CommitmentDiscountStatus="Used",
                CommitmentDiscountType="Compute Savings Plan",
                x_UsageType=f"USE1-BoxUsage:{t.name}",
                ChargeDescription=f"Savings Plan rate ${t.savings_plan.normalize()} for "
                f"{t.name} Linux",
            )
        else:
            yield _line(
                org,
                start,
                start + timedelta(hours=1),
                t.on_demand,
                **base,
                x_UsageType=f"USE1-BoxUsage:{t.name}",
                ChargeDescription=f"${t.on_demand.normalize()} per On Demand Linux "
                f"{t.name} Instance Hour",
            )


def _days(org: Org, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(day start hour, overlap start, overlap end) for each day [start, end) touches."""
    for d in range(start - start % 24, end, 24):
        a, b = max(d, start), min(d + 24, end)
        if b > a:
            yield d, a, b


def _savings_plan_lines(org: Org) -> Iterator[dict[str, Any]]:
    sp = org.savings_plan
    if not sp or sp["start"] >= org.hours:
        return
    commit: Decimal = sp["hourly_commitment"]
    rate = INSTANCE_TYPES["m6i.2xlarge"].savings_plan
    covered = [n for n in org.nodes if n.instance_id in sp["covered_nodes"]]
    common = dict(
        CommitmentDiscountCategory="Spend",
        CommitmentDiscountId=sp["id"],
        CommitmentDiscountName=_SP_NAME,
        CommitmentDiscountType="Compute Savings Plan",
        ResourceId=sp["id"],
        ServiceCategory="Compute",
        ServiceName="Savings Plans for AWS Compute usage",
        PricingUnit="Hours",
        SkuId="SKU-ComputeSP-1yr-NoUpfront",
    )
    for _d, a, b in _days(org, sp["start"], org.hours):
        hours = Decimal(b - a)
        yield _line(
            org,
            org.at(a),
            org.at(b),
            commit * hours,
            **common,
            EffectiveCost=Decimal(0),
            ChargeCategory="Purchase",
            ChargeFrequency="Recurring",
            PricingCategory="Committed",
            PricingQuantity=hours,
            ConsumedQuantity=None,
            ListCost=Decimal(0),
            ContractedCost=Decimal(0),
            ChargeDescription=f"{_SP_NAME} recurring fee ${commit.normalize()}/hour",
            x_UsageType="ComputeSP:1yrNoUpfront",
        )
        for h in range(a, b):
            used = sum((rate for n in covered if n.alive(h)), Decimal(0))
            if used < commit:
                yield _line(
                    org,
                    org.at(h),
                    org.at(h + 1),
                    commit - used,
                    **common,
                    BilledCost=Decimal(0),
                    CommitmentDiscountStatus="Unused",
                    PricingCategory="Committed",
                    ListCost=Decimal(0),
                    ContractedCost=Decimal(0),
                    ChargeDescription="Unused Savings Plan commitment",
                )


def _daily_lines(org: Org) -> Iterator[dict[str, Any]]:
    for v in org.volumes:
        for _d, a, b in _days(org, v.start, v.end):
            gb_mo = Decimal(v.size_gib) * Decimal(b - a) / HOURS_PER_MONTH
            yield _line(
                org,
                org.at(a),
                org.at(b),
                gb_mo * EBS_GB_MONTH,
                AvailabilityZone="us-east-1a",
                ConsumedQuantity=_money(gb_mo),
                ConsumedUnit="GB-Mo",
                PricingQuantity=_money(gb_mo),
                PricingUnit="GB-Mo",
                ListUnitPrice=EBS_GB_MONTH,
                ContractedUnitPrice=EBS_GB_MONTH,
                ResourceId=v.volume_id,
                ResourceType="Volume",
                ServiceCategory="Storage",
                ServiceName="Amazon Elastic Compute Cloud",
                SkuId="SKU-EBS-gp3",
                x_UsageType="USE1-EBS:VolumeUsage.gp3",
                ChargeDescription="$0.08 per GB-month of General Purpose (gp3) provisioned storage",
                Tags=json.dumps(
                    {
                        "kubernetes.io/created-for/pvc/namespace": v.namespace,
                        "kubernetes.io/created-for/pvc/name": v.pvc,
                        "kubernetes.io/created-for/pv/name": v.pv,
                    }
                ),
            )
    for lb in org.lbs:
        tags = json.dumps(
            {
                "kubernetes.io/service-name": f"{lb.namespace}/{lb.service}",
                f"kubernetes.io/cluster/{lb.cluster}": "owned",
            }
        )
        common = dict(
            ResourceId=lb.arn,
            ResourceName=lb.arn.split("/")[-2],
            ResourceType="Load Balancer",
            ServiceCategory="Networking",
            ServiceName="Elastic Load Balancing",
            Tags=tags,
        )
        for _d, a, b in _days(org, lb.start, lb.end):
            hours = Decimal(b - a)
            yield _line(
                org,
                org.at(a),
                org.at(b),
                hours * LB_HOUR,
                **common,
                ConsumedQuantity=hours,
                ConsumedUnit="Hours",
                PricingQuantity=hours,
                PricingUnit="Hours",
                ListUnitPrice=LB_HOUR,
                SkuId="SKU-NLB-hour",
                x_UsageType="USE1-LoadBalancerUsage",
                ChargeDescription="$0.0225 per Network LoadBalancer-hour",
            )
            lcu = hours * Decimal(str(lb.lcu_per_hour))
            yield _line(
                org,
                org.at(a),
                org.at(b),
                lcu * LCU_HOUR,
                **common,
                ConsumedQuantity=lcu,
                ConsumedUnit="LCU-Hours",
                PricingQuantity=lcu,
                PricingUnit="LCU-Hours",
                ListUnitPrice=LCU_HOUR,
                SkuId="SKU-NLB-lcu",
                x_UsageType="USE1-LCUUsage",
                ChargeDescription="$0.006 per used Network load balancer capacity unit-hour",
            )
    for cl in org.clusters:
        nat_id = f"nat-0{cl.name.encode().hex()[:16]}"
        for d, a, b in _days(org, cl.start, cl.end):
            hours = Decimal(b - a)
            yield _line(
                org,
                org.at(a),
                org.at(b),
                hours * EKS_HOUR,
                ResourceId=cl.arn,
                ResourceName=cl.name,
                ResourceType="Cluster",
                ServiceCategory="Compute",
                ServiceName="Amazon Elastic Kubernetes Service",
                ConsumedQuantity=hours,
                ConsumedUnit="Hours",
                PricingQuantity=hours,
                PricingUnit="Hours",
                ListUnitPrice=EKS_HOUR,
                SkuId="SKU-EKS-cluster",
                x_UsageType="USE1-AmazonEKS-Hours:perCluster",
                ChargeDescription="Amazon EKS cluster usage, $0.10 per hour",
            )
            nat_gb, egress_gb = (Decimal(str(x)) for x in org.daily_network[cl.name][d // 24])
            net = dict(ServiceCategory="Networking", AvailabilityZone="us-east-1a")
            yield _line(
                org,
                org.at(a),
                org.at(b),
                hours * NAT_HOUR,
                **net,
                ResourceId=nat_id,
                ResourceType="NAT Gateway",
                ServiceName="Amazon Virtual Private Cloud",
                ConsumedQuantity=hours,
                ConsumedUnit="Hours",
                PricingUnit="Hours",
                PricingQuantity=hours,
                ListUnitPrice=NAT_HOUR,
                SkuId="SKU-NAT-hour",
                x_UsageType="USE1-NatGateway-Hours",
                ChargeDescription="$0.045 per NAT Gateway Hour",
            )
            yield _line(
                org,
                org.at(a),
                org.at(b),
                nat_gb * NAT_GB,
                **net,
                ResourceId=nat_id,
                ResourceType="NAT Gateway",
                ServiceName="Amazon Virtual Private Cloud",
                ConsumedQuantity=nat_gb,
                ConsumedUnit="GB",
                PricingUnit="GB",
                PricingQuantity=nat_gb,
                ListUnitPrice=NAT_GB,
                SkuId="SKU-NAT-bytes",
                x_UsageType="USE1-NatGateway-Bytes",
                ChargeDescription="$0.045 per GB Data Processed by NAT Gateways",
            )
            yield _line(
                org,
                org.at(a),
                org.at(b),
                egress_gb * EGRESS_GB,
                **net,
                ServiceName="AWS Data Transfer",
                ConsumedQuantity=egress_gb,
                ConsumedUnit="GB",
                PricingUnit="GB",
                PricingQuantity=egress_gb,
                ListUnitPrice=EGRESS_GB,
                SkuId="SKU-DT-out",
                x_UsageType="USE1-DataTransfer-Out-Bytes",
                ChargeDescription="$0.09 per GB - first 10 TB / month data transfer out"
                f" ({cl.name})",
            )
    for _d, a, b in _days(org, 0, org.hours):
        gb_mo = _S3_GB * Decimal(b - a) / HOURS_PER_MONTH
        yield _line(
            org,
            org.at(a),
            org.at(b),
            gb_mo * S3_GB_MONTH,
            ResourceId=_S3_ARN,
            ResourceName="acme-data-lake",
            ResourceType="Bucket",
            ServiceCategory="Storage",
            ServiceName="Amazon Simple Storage Service",
            ConsumedQuantity=_money(gb_mo),
            ConsumedUnit="GB-Mo",
            PricingQuantity=_money(gb_mo),
            PricingUnit="GB-Mo",
            ListUnitPrice=S3_GB_MONTH,
            SkuId="SKU-S3-standard",
            x_UsageType="USE1-TimedStorage-ByteHrs",
            ChargeDescription="$0.023 per GB - first 50 TB / month of storage used",
        )


def bill_lines(org: Org) -> list[dict[str, Any]]:
    """Every FOCUS line of the bill, in charge-period order within each kind."""
    rows: list[dict[str, Any]] = []
    for n in org.nodes:
        rows.extend(_node_lines(org, n))
    rows.extend(_savings_plan_lines(org))
    rows.extend(_daily_lines(org))
    credit = org.events.get("credit")
    if credit and credit["hour"] < org.hours:
        a = credit["hour"]
        rows.append(
            _line(
                org,
                org.at(a),
                org.at(a + 24),
                credit["amount"],
                ChargeCategory="Credit",
                ChargeFrequency="One-Time",
                ServiceCategory="Compute",
                ServiceName="Amazon Elastic Compute Cloud",
                ListCost=Decimal(0),
                ContractedCost=Decimal(0),
                ChargeDescription="AWS Activate promotional credit",
            )
        )
    rows.extend(_tax_lines(org, rows))
    return rows


TAX_RATE = Decimal("0.06")


def _tax_lines(org: Org, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sales tax on each closed month's invoice (the running month has no invoice yet)."""
    out = []
    for a, b in org.months:
        start, end = org.at(a), org.at(b)
        if _month_bounds(start)[1] != end:
            continue
        taxable = sum(
            (
                r["BilledCost"]
                for r in rows
                if start <= r["ChargePeriodStart"] < end
                and r["ChargeCategory"] in ("Usage", "Purchase")
            ),
            Decimal(0),
        )
        tax = (taxable * TAX_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        out.append(
            _line(
                org,
                start,
                end,
                tax,
                ChargeCategory="Tax",
                ChargeFrequency="Recurring",
                ServiceCategory="Other",
                ServiceName="Tax",
                ListCost=Decimal(0),
                ContractedCost=Decimal(0),
                ChargeDescription="US sales tax 6%",
            )
        )
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def write_focus(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """One ``focus-YYYY-MM.csv`` per billing period; returns the paths in period order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_period: dict[datetime, list[dict[str, Any]]] = {}
    for r in rows:
        by_period.setdefault(r["BillingPeriodStart"], []).append(r)
    paths = []
    for period in sorted(by_period):
        path = out_dir / f"focus-{period:%Y-%m}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(COLUMNS)
            for r in by_period[period]:
                w.writerow([_fmt(r.get(c)) for c in COLUMNS])
        paths.append(path)
    return paths
