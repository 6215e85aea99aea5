"""Small, hand-checkable FOCUS files for the importer's tests.

``line(**overrides)`` is one FOCUS 1.0 row with every mandatory column (an AWS EC2 hour
of instance i-0abc by default); ``write_csv`` writes rows with a header, ``NULL`` for None.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import duckdb

BASE: dict[str, Any] = {
    "AvailabilityZone": "us-east-1a",
    "BilledCost": "0.192",
    "BillingAccountId": "111122223333",
    "BillingAccountName": "acme",
    "BillingCurrency": "USD",
    "BillingPeriodEnd": "2026-11-01 00:00:00",
    "BillingPeriodStart": "2026-10-01 00:00:00",
    "ChargeCategory": "Usage",
    "ChargeClass": None,
    "ChargeDescription": "m5.xlarge on-demand hour",
    "ChargeFrequency": "Usage-Based",
    "ChargePeriodEnd": "2026-10-05 01:00:00",
    "ChargePeriodStart": "2026-10-05 00:00:00",
    "CommitmentDiscountCategory": None,
    "CommitmentDiscountId": None,
    "CommitmentDiscountName": None,
    "CommitmentDiscountStatus": None,
    "CommitmentDiscountType": None,
    "ConsumedQuantity": "1",
    "ConsumedUnit": "Hours",
    "ContractedCost": "0.192",
    "ContractedUnitPrice": "0.192",
    "EffectiveCost": "0.192",
    "InvoiceIssuerName": "Amazon Web Services, Inc.",
    "ListCost": "0.192",
    "ListUnitPrice": "0.192",
    "PricingCategory": "Standard",
    "PricingQuantity": "1",
    "PricingUnit": "Hours",
    "ProviderName": "AWS",
    "PublisherName": "Amazon Web Services, Inc.",
    "RegionId": "us-east-1",
    "RegionName": "US East (N. Virginia)",
    "ResourceId": "i-0abc1234def567890",
    "ResourceName": None,
    "ResourceType": "Instance",
    "ServiceCategory": "Compute",
    "ServiceName": "Amazon Elastic Compute Cloud",
    "SkuId": "SKU1",
    "SkuPriceId": "SKU1.PRICE",
    "SubAccountId": "444455556666",
    "SubAccountName": "prod",
    "Tags": '{"team": "payments"}',
}

COLUMNS_1_0 = list(BASE)


def line(**overrides: Any) -> dict[str, Any]:
    row = dict(BASE)
    row.update(overrides)
    return row


def csv_text(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["NULL" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue()


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = csv_text(rows, columns)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Parquet with real types (DECIMAL money, TIMESTAMP periods), as exporters write it."""
    staging = path.with_suffix(".tmp.csv")
    write_csv(staging, rows)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(BilledCost AS DECIMAL(38,12)) AS BilledCost, "
        f"CAST(EffectiveCost AS DECIMAL(38,12)) AS EffectiveCost, "
        f"CAST(ChargePeriodStart AS TIMESTAMP) AS ChargePeriodStart, "
        f"CAST(ChargePeriodEnd AS TIMESTAMP) AS ChargePeriodEnd) "
        f"FROM read_csv('{staging}', all_varchar=true, nullstr='NULL')) "
        f"TO '{path}' (FORMAT parquet)"
    )
    staging.unlink()
    return path


def stored(sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the warehouse the importer wrote, through a read-only connection."""
    from assistant.config import load_settings

    con = duckdb.connect(str(load_settings().db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
