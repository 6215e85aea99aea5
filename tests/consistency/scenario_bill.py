"""The churn scenario's FOCUS bill: every line the generator writes, and whose it is.

EC2 is billed per second, written as one line per node-hour (the seconds the node ran in
that hour × its rate); EBS volumes daily, the load balancer and the EKS control plane
hourly (tagged with the cluster), the NAT gateway daily and a monthly tax untagged.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from tests.consistency.scenario_model import ACCOUNT, CLUSTER, END, HOUR, LB_ARN, NODES, START, t
from tests.ingest.focus.focus_rows import BASE

__all__ = ["bill_lines", "line", "write_csv"]

Q = Decimal("0.0000000001")  # bill lines carry 10 decimals


def money(value: Decimal) -> Decimal:
    return value.quantize(Q, rounding=ROUND_HALF_EVEN)


def month_of(when: datetime) -> tuple[datetime, datetime]:
    start = when.replace(day=1, hour=0, minute=0, second=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def line(start: datetime, end: datetime, amount: Decimal, billed: Decimal | None = None,
          **kw: Any) -> dict[str, Any]:  # fmt: skip
    period = month_of(start)
    row = dict(BASE)
    billed = amount if billed is None else billed
    row.update(
        BillingAccountId=ACCOUNT,
        BillingPeriodStart=f"{period[0]:%Y-%m-%d %H:%M:%S}",
        BillingPeriodEnd=f"{period[1]:%Y-%m-%d %H:%M:%S}",
        ChargePeriodStart=f"{start:%Y-%m-%d %H:%M:%S}",
        ChargePeriodEnd=f"{end:%Y-%m-%d %H:%M:%S}",
        BilledCost=str(billed),
        EffectiveCost=str(amount),
        ListCost=str(max(amount, billed)),
        ContractedCost=str(amount),
        ContractedUnitPrice=None,
        ListUnitPrice=None,
        PricingQuantity=None,
        ConsumedQuantity=None,
        ResourceName=None,
        Tags=None,
    )
    row.update(kw)
    return row


def bill_lines(spot_factor: Decimal = Decimal(1)) -> list[tuple[str | None, dict[str, Any]]]:
    """(owner, line) for every line: owner = the node, 'cluster' or None (unallocated)."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    for n in NODES:
        if n.iid is None:
            continue
        h = n.start.replace(minute=0, second=0)
        while h < n.end:
            seconds = (min(n.end, h + HOUR) - max(n.start, h)).total_seconds()
            rate = n.hourly * (spot_factor if n.capacity == "spot" else 1)
            amount = money(rate * Decimal(int(seconds)) / 3600)
            out.append((n.name, line(h, h + HOUR, amount, ResourceId=n.iid,
                        ServiceName="Amazon Elastic Compute Cloud",
                        ChargeDescription=f"{n.itype} {n.capacity}")))  # fmt: skip
            h += HOUR
    day = START
    while day < END:
        nxt = day + timedelta(days=1)
        out.append(
            (
                "cluster",
                line(
                    day,
                    nxt,
                    Decimal("0.2630136986"),
                    ResourceId="vol-0pg00000000001",
                    ServiceName="Amazon Elastic Block Store",
                ),
            )
        )
        out.append(
            (
                "cluster",
                line(
                    day,
                    nxt,
                    Decimal("1.3150684932"),
                    ResourceId="vol-0old0000000001",
                    ServiceName="Amazon Elastic Block Store",
                ),
            )
        )
        out.append((None, line(day, nxt, Decimal("1.08"), ResourceId="nat-0abc",
                    ServiceName="Amazon Virtual Private Cloud")))  # fmt: skip
        day = nxt
    h = START
    tags = json.dumps({"eks:cluster-name": CLUSTER})
    lb_tags = json.dumps({"kubernetes.io/service-name": "shop/web", "eks:cluster-name": CLUSTER})
    while h < END:
        out.append(("cluster", line(h, h + HOUR, Decimal("0.10"), ResourceId=f"arn:aws:eks:"
                    f"us-east-1:{ACCOUNT}:cluster/{CLUSTER}", Tags=tags,
                    ServiceName="Amazon Elastic Kubernetes Service")))  # fmt: skip
        out.append(("cluster", line(h, h + HOUR, Decimal("0.0225"), ResourceId=LB_ARN,
                    Tags=lb_tags, ServiceName="Elastic Load Balancing")))  # fmt: skip
        h += HOUR
    for month in (t(8, 1), t(9, 1)):
        out.append((None, line(month, month_of(month)[1], Decimal("12.34"), ResourceId=None,
                    ServiceName="Tax", ChargeCategory="Tax")))  # fmt: skip
    return out


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(BASE))
        out.writeheader()
        for row in rows:
            out.writerow({k: ("NULL" if v is None else v) for k, v in row.items()})
    return path
