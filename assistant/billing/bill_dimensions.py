"""The cloud bill's own dimensions, as SQL over ``billing_lines`` (FOCUS columns).

One expression per dimension serves grouping, filtering and the list of known values, so
a filter value is always spelled the way the dimension shows it. Two readings are Penny's
own and documented as such:

- ``service_category`` is FOCUS ``ServiceCategory``, except that volume, disk and
  snapshot lines count as ``Storage`` wherever the provider files them (AWS puts EBS
  under Amazon Elastic Compute Cloud), so "storage" means storage services plus volumes.
- ``pricing_category`` is FOCUS ``PricingCategory`` (``Standard`` = on-demand,
  ``Dynamic`` = spot, ``Committed`` = covered by a commitment); :data:`PRICING_WORDS`
  gives the words people use for each.
"""

from __future__ import annotations

from assistant.core.placeholders import GLOBAL, NONE, UNKNOWN
from assistant.errors import InputError
from assistant.warehouse.sql_text import lit

__all__ = [
    "BILL_DIMENSIONS",
    "CHARGE_CATEGORIES",
    "PRICING_WORDS",
    "STORAGE",
    "bill_dimension_expr",
    "validate_bill_dimension",
]

STORAGE = "Storage"

#: FOCUS ChargeCategory values
CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")

#: FOCUS PricingCategory value -> how people say it
PRICING_WORDS = {"Standard": "on-demand", "Dynamic": "spot", "Committed": "commitment"}

_VOLUME = (
    "(resource_type ILIKE '%volume%' OR resource_type ILIKE '%disk%' "
    "OR resource_type ILIKE '%snapshot%')"
)

_EXPR = {
    "service": f"coalesce(service_name, {lit(UNKNOWN)})",
    "service_category": (
        f"CASE WHEN {_VOLUME} THEN '{STORAGE}' ELSE coalesce(service_category, {lit(UNKNOWN)}) END"
    ),
    "charge_category": "coalesce(charge_category, 'Usage')",
    "pricing_category": "coalesce(pricing_category, 'Standard')",
    "provider": f"coalesce(service_provider_name, provider_name, {lit(UNKNOWN)})",
    "billing_account": f"coalesce(billing_account_name, billing_account_id, {lit(UNKNOWN)})",
    "sub_account": f"coalesce(sub_account_name, sub_account_id, {lit(NONE)})",
    "region": f"coalesce(region_id, region_name, {lit(GLOBAL)})",
    "resource_type": f"coalesce(resource_type, {lit(NONE)})",
    "month": "strftime(date_trunc('month', charge_period_start), '%Y-%m')",
}

#: grouping and filter keys ``bill_costs`` accepts, in the order they are documented
BILL_DIMENSIONS = tuple(_EXPR)


def validate_bill_dimension(name: str, *, what: str = "group_by") -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = {
        "account": "billing_account",
        "subaccount": "sub_account",
        "category": "service_category",
    }.get(key, key)
    if key in _EXPR:
        return key
    raise InputError(
        f"Unknown bill {what} {name!r}.",
        hint=f"Use one of: {', '.join(BILL_DIMENSIONS)}.",
        value=name,
    )


def bill_dimension_expr(name: str) -> str:
    """SQL over ``billing_lines`` columns for one dimension (validated name)."""
    return _EXPR[validate_bill_dimension(name)]
