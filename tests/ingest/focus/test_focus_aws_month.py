"""An AWS-flavoured month like the demo writes ingests cleanly, with the columns others query."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from assistant.config import load_settings
from assistant.ingest.focus.run import ingest_focus
from tests.ingest.focus.focus_rows import line, write_csv

SP_ARN = "arn:aws:savingsplans::111122223333:savingsplan/sp-0123"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188"


def usage(
    resource: str, service: str, category: str, price: str, qty: str, unit: str, **more: Any
) -> dict[str, Any]:
    cost = str(Decimal(price) * Decimal(qty))
    return line(
        ResourceId=resource,
        ServiceName=service,
        ServiceCategory=category,
        ListUnitPrice=price,
        PricingQuantity=qty,
        PricingUnit=unit,
        ConsumedQuantity=qty,
        ConsumedUnit=unit,
        ContractedUnitPrice=price,
        BilledCost=cost,
        EffectiveCost=cost,
        ListCost=cost,
        ContractedCost=cost,
        **more,
    )


def month() -> list[dict[str, Any]]:
    ec2 = "Amazon Elastic Compute Cloud"
    sp = {
        "CommitmentDiscountId": SP_ARN,
        "CommitmentDiscountName": "compute-sp",
        "CommitmentDiscountType": "Compute Savings Plan",
        "CommitmentDiscountCategory": "Spend",
    }
    return [
        usage(
            "i-0aaa1111bbbb22223",
            ec2,
            "Compute",
            "0.192",
            "1",
            "Hours",
            x_UsageType="BoxUsage:m5.xlarge",
        ),
        usage(
            "i-0ccc3333dddd44445", ec2, "Compute", "0.0832", "1", "Hours", PricingCategory="Dynamic"
        ),  # spot
        usage("vol-0123456789abcdef0", ec2, "Storage", "0.000109589", "100", "GB-Hours"),
        usage(LB_ARN, "Elastic Load Balancing", "Networking", "0.0225", "1", "Hours"),
        usage(
            "arn:aws:eks:us-east-1:111122223333:cluster/prod",
            "Amazon Elastic Kubernetes Service",
            "Compute",
            "0.10",
            "1",
            "Hours",
        ),
        usage(
            "arn:aws:ec2:us-east-1:111122223333:natgateway/nat-0abc",
            ec2,
            "Networking",
            "0.045",
            "2.5",
            "GB",
        ),
        # Savings Plan: the hourly fee, covered usage (Used) and the unused remainder.
        line(
            ChargeCategory="Purchase",
            ChargeFrequency="Recurring",
            ResourceId=SP_ARN,
            BilledCost="0.50",
            EffectiveCost="0",
            ListCost="0.50",
            ContractedCost="0.50",
            ListUnitPrice=None,
            ContractedUnitPrice=None,
            PricingQuantity="1",
            PricingCategory=None,
            ConsumedQuantity=None,
            ConsumedUnit=None,
            **sp,
        ),
        line(
            ResourceId="i-0eee5555ffff66667",
            PricingCategory="Committed",
            CommitmentDiscountStatus="Used",
            BilledCost="0",
            EffectiveCost="0.40",
            ListCost="0.576",
            ListUnitPrice="0.192",
            PricingQuantity="3",
            **sp,
        ),
        line(
            ResourceId=SP_ARN,
            PricingCategory="Committed",
            CommitmentDiscountStatus="Unused",
            BilledCost="0",
            EffectiveCost="0.10",
            ListCost="0",
            ListUnitPrice=None,
            PricingQuantity=None,
            ConsumedQuantity=None,
            **sp,
        ),
        line(
            ChargeCategory="Credit",
            ChargeFrequency="One-Time",
            ResourceId=None,
            ServiceName="AWS Credits",
            ServiceCategory="Other",
            BilledCost="-1.00",
            EffectiveCost="-1.00",
            ListCost="0",
            ContractedCost="0",
            ListUnitPrice=None,
            PricingQuantity=None,
            PricingCategory=None,
            ConsumedQuantity=None,
        ),
        line(
            ChargeCategory="Tax",
            ChargeFrequency="Recurring",
            ResourceId=None,
            ServiceName="Tax",
            ServiceCategory="Other",
            BilledCost="0.12",
            EffectiveCost="0.12",
            ListCost="0",
            ContractedCost="0",
            ListUnitPrice=None,
            PricingQuantity=None,
            PricingCategory=None,
            ConsumedQuantity=None,
        ),
    ]


def test_demo_shaped_month_ingests_without_findings(tmp_path: Path) -> None:
    rows = month()
    report = ingest_focus([write_csv(tmp_path / "aws-2026-10.csv", rows)], load_settings())
    assert report.rows == len(rows) == 11
    assert report.findings == []
    con = duckdb.connect(str(load_settings().db_path), read_only=True)
    try:
        by_resource = dict(
            con.execute(
                "SELECT resource_id, effective_cost FROM billing_lines "
                "WHERE resource_id LIKE 'i-%' OR resource_id LIKE 'vol-%'"
            ).fetchall()
        )
        assert by_resource == {
            "i-0aaa1111bbbb22223": Decimal("0.192"),  # 0.192 × 1 h
            "i-0ccc3333dddd44445": Decimal("0.0832"),  # spot, 0.0832 × 1 h
            "vol-0123456789abcdef0": Decimal("0.0109589"),  # 0.000109589 × 100 GB-h
            "i-0eee5555ffff66667": Decimal("0.40"),  # covered by the savings plan
        }
        sp = con.execute(
            "SELECT charge_category, commitment_discount_status, billed_cost, effective_cost "
            "FROM billing_lines WHERE commitment_discount_id = ? ORDER BY source_row",
            [SP_ARN],
        ).fetchall()
        assert sp == [
            ("Purchase", None, Decimal("0.50"), Decimal("0")),
            ("Usage", "Used", Decimal("0"), Decimal("0.40")),
            ("Usage", "Unused", Decimal("0"), Decimal("0.10")),
        ]
        # Invoice view: 0.192 + 0.0832 + 0.0109589 + 0.0225 + 0.10 + 0.1125 (0.045 × 2.5)
        #   + 0.50 (SP fee) + 0 + 0 − 1.00 (credit) + 0.12 (tax) = 0.1411589
        # Amortized view: the same usage 0.5211589 + 0 (fee) + 0.40 + 0.10 − 1.00 + 0.12
        #   = 0.1411589 — the fee is spread over covered (0.40) and unused (0.10) hours.
        assert con.execute(
            "SELECT sum(billed_cost), sum(effective_cost) FROM billing_lines"
        ).fetchall() == [(Decimal("0.1411589"), Decimal("0.1411589"))]
        assert con.execute(
            "SELECT charge_category, count(*) FROM billing_lines GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("Credit", 1), ("Purchase", 1), ("Tax", 1), ("Usage", 8)]
        assert con.execute("SELECT tags->>'team' FROM billing_lines LIMIT 1").fetchall() == [
            ("payments",)
        ]
    finally:
        con.close()
