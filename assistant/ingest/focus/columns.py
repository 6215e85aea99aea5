"""The FOCUS 1.0–1.3 Cost and Usage columns: names, types, versions and value spellings.

This module is the importer's knowledge of the specification, kept as data so the rest of
the importer is generic SQL over it. Sources: the FOCUS specification's column pages
(``specification/datasets/cost_and_usage/columns/*.md``: "Feature level", "Introduced
(version)", "Deprecated (version)") and the allowed-values tables of ChargeCategory,
ChargeClass, ChargeFrequency, ServiceCategory, PricingCategory,
CommitmentDiscountStatus/Category and CapacityReservationStatus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALLOWED_VALUES",
    "COLUMNS",
    "NON_NULL_COLUMNS",
    "VERSIONS",
    "ColumnSpec",
    "detect_version",
    "mandatory_columns",
    "normalise_value",
    "snake",
]

Kind = Literal["string", "decimal", "datetime", "json"]
Level = Literal["mandatory", "conditional", "recommended"]

VERSIONS = ("1.0", "1.1", "1.2", "1.3")


@dataclass(frozen=True)
class ColumnSpec:
    name: str  # the FOCUS column id (PascalCase)
    kind: Kind
    level: Level
    introduced: str  # first FOCUS version that defines it (1.0 for everything older)

    @property
    def column(self) -> str:
        """The warehouse column (snake_case of the FOCUS id)."""
        return snake(self.name)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _specs() -> dict[str, ColumnSpec]:
    rows: list[tuple[str, Kind, Level, str]] = [
        ("AvailabilityZone", "string", "recommended", "1.0"),
        ("BilledCost", "decimal", "mandatory", "1.0"),
        ("BillingAccountId", "string", "mandatory", "1.0"),
        ("BillingAccountName", "string", "mandatory", "1.0"),
        ("BillingCurrency", "string", "mandatory", "1.0"),
        ("BillingPeriodEnd", "datetime", "mandatory", "1.0"),
        ("BillingPeriodStart", "datetime", "mandatory", "1.0"),
        ("ChargeCategory", "string", "mandatory", "1.0"),
        ("ChargeClass", "string", "mandatory", "1.0"),
        ("ChargeDescription", "string", "mandatory", "1.0"),
        ("ChargeFrequency", "string", "recommended", "1.0"),
        ("ChargePeriodEnd", "datetime", "mandatory", "1.0"),
        ("ChargePeriodStart", "datetime", "mandatory", "1.0"),
        ("CommitmentDiscountCategory", "string", "conditional", "1.0"),
        ("CommitmentDiscountId", "string", "conditional", "1.0"),
        ("CommitmentDiscountName", "string", "conditional", "1.0"),
        ("CommitmentDiscountStatus", "string", "conditional", "1.0"),
        ("CommitmentDiscountType", "string", "conditional", "1.0"),
        ("ConsumedQuantity", "decimal", "conditional", "1.0"),
        ("ConsumedUnit", "string", "conditional", "1.0"),
        ("ContractedCost", "decimal", "mandatory", "1.0"),
        ("ContractedUnitPrice", "decimal", "conditional", "1.0"),
        ("EffectiveCost", "decimal", "mandatory", "1.0"),
        ("InvoiceIssuerName", "string", "mandatory", "1.0"),
        ("ListCost", "decimal", "mandatory", "1.0"),
        ("ListUnitPrice", "decimal", "conditional", "1.0"),
        ("PricingCategory", "string", "conditional", "1.0"),
        ("PricingQuantity", "decimal", "mandatory", "1.0"),
        ("PricingUnit", "string", "mandatory", "1.0"),
        ("ProviderName", "string", "mandatory", "1.0"),  # deprecated in 1.3, still present
        ("PublisherName", "string", "mandatory", "1.0"),  # deprecated in 1.3, still present
        ("RegionId", "string", "conditional", "1.0"),
        ("RegionName", "string", "conditional", "1.0"),
        ("ResourceId", "string", "conditional", "1.0"),
        ("ResourceName", "string", "conditional", "1.0"),
        ("ResourceType", "string", "conditional", "1.0"),
        ("ServiceCategory", "string", "mandatory", "1.0"),
        ("ServiceName", "string", "mandatory", "1.0"),
        ("SkuId", "string", "conditional", "1.0"),
        ("SkuPriceId", "string", "conditional", "1.0"),
        ("SubAccountId", "string", "conditional", "1.0"),
        ("SubAccountName", "string", "conditional", "1.0"),
        ("Tags", "json", "conditional", "1.0"),
        # 1.1
        ("CapacityReservationId", "string", "conditional", "1.1"),
        ("CapacityReservationStatus", "string", "conditional", "1.1"),
        ("CommitmentDiscountQuantity", "decimal", "conditional", "1.1"),
        ("CommitmentDiscountUnit", "string", "conditional", "1.1"),
        ("ServiceSubcategory", "string", "recommended", "1.1"),
        ("SkuMeter", "string", "conditional", "1.1"),
        ("SkuPriceDetails", "json", "conditional", "1.1"),
        # 1.2
        ("BillingAccountType", "string", "conditional", "1.2"),
        ("InvoiceId", "string", "recommended", "1.2"),
        ("PricingCurrency", "string", "conditional", "1.2"),
        ("PricingCurrencyContractedUnitPrice", "decimal", "conditional", "1.2"),
        ("PricingCurrencyEffectiveCost", "decimal", "conditional", "1.2"),
        ("PricingCurrencyListUnitPrice", "decimal", "conditional", "1.2"),
        ("SubAccountType", "string", "conditional", "1.2"),
        # 1.3
        ("AllocatedMethodDetails", "json", "conditional", "1.3"),
        ("AllocatedMethodId", "string", "conditional", "1.3"),
        ("AllocatedResourceId", "string", "conditional", "1.3"),
        ("AllocatedResourceName", "string", "conditional", "1.3"),
        ("AllocatedTags", "json", "conditional", "1.3"),
        ("ContractApplied", "json", "conditional", "1.3"),
        ("HostProviderName", "string", "mandatory", "1.3"),
        ("ServiceProviderName", "string", "mandatory", "1.3"),
    ]
    return {name: ColumnSpec(name, kind, level, version) for name, kind, level, version in rows}


COLUMNS: dict[str, ColumnSpec] = _specs()

#: Mandatory columns whose values the spec says MUST NOT be null. A null here is a finding
#: (the row is kept); ChargePeriodStart/End are the exception: a cost with no time cannot
#: be placed in any window, so a null there is fatal.
NON_NULL_COLUMNS = (
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
)

#: The FOCUS spelling of each enumerated column's values.
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "ChargeCategory": ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
    "ChargeClass": ("Correction",),
    "ChargeFrequency": ("One-Time", "Recurring", "Usage-Based"),
    "PricingCategory": ("Standard", "Dynamic", "Committed", "Other"),
    "CommitmentDiscountStatus": ("Used", "Unused"),
    "CommitmentDiscountCategory": ("Spend", "Usage"),
    "CapacityReservationStatus": ("Used", "Unused"),
    "ServiceCategory": (
        "AI and Machine Learning",
        "Analytics",
        "Business Applications",
        "Compute",
        "Databases",
        "Developer Tools",
        "Multicloud",
        "Identity",
        "Integration",
        "Internet of Things",
        "Management and Governance",
        "Media",
        "Migration",
        "Mobile",
        "Networking",
        "Security",
        "Storage",
        "Web",
        "Other",
    ),
}

#: Spellings from older FOCUS drafts and exporters that mean a FOCUS value.
_ALIASES: dict[str, dict[str, str]] = {
    "PricingCategory": {"ondemand": "Standard", "commitmentbased": "Committed", "spot": "Dynamic"},
    "ChargeCategory": {"refund": "Credit"},
    "ServiceCategory": {
        "aiml": "AI and Machine Learning",
        "database": "Databases",
        "network": "Networking",
        "iot": "Internet of Things",
    },
}


def _key(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def normalise_value(column: str, value: str) -> str | None:
    """The FOCUS spelling of ``value`` for an enumerated column, or None if it has none.

    Matching ignores case, spaces, hyphens and underscores ("Usage-based",
    "usage_based" and "USAGE BASED" all become "Usage-Based").
    """
    allowed = ALLOWED_VALUES.get(column)
    if allowed is None:
        return value
    key = _key(value)
    for spelling in allowed:
        if _key(spelling) == key:
            return spelling
    return _ALIASES.get(column, {}).get(key)


def detect_version(columns: set[str]) -> str:
    """The newest FOCUS version whose own columns appear in the file (1.0 if none)."""
    found = "1.0"
    for name in columns:
        spec = COLUMNS.get(name)
        if spec is not None and spec.introduced > found:
            found = spec.introduced
    return found


def mandatory_columns(version: str) -> list[str]:
    """Columns a file of ``version`` must have (their values may still be null)."""
    return sorted(
        name
        for name, spec in COLUMNS.items()
        if spec.level == "mandatory" and spec.introduced <= version
    )
