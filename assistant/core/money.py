"""Money for people and for JSON: one owner of every rounding and every '$'.

Stored and summed money stays exact (DECIMAL(38,12) in the warehouse, Decimal in Python);
rounding happens only here, at the edge, and always half-up to the cent as invoices do.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["CENT", "MICRO", "cents", "micro", "usd"]

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def cents(value: Decimal) -> Decimal:
    """Rounded half-up to the cent (the figure a person reads and a bill shows)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(value: Any, *, signed: bool = False, missing: str = "n/a") -> str:
    """'$1,234.57', '-$500.00', or '+$12.00' when ``signed`` and positive.

    Accepts Decimals and their exact strings (tool JSON); anything unreadable is shown as
    given, never as a made-up zero.
    """
    if value is None:
        return missing
    try:
        amount = cents(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
    if amount == 0:
        amount = Decimal("0.00")
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def micro(value: Any) -> Any:
    """Decimals with more than six places rounded to six, recursively (readable tool JSON
    that still sums to the cent); everything else unchanged."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return (
            value.quantize(MICRO, rounding=ROUND_HALF_UP)
            if isinstance(exponent, int) and exponent < -6
            else value
        )
    if isinstance(value, dict):
        return {k: micro(v) for k, v in value.items()}
    if isinstance(value, list):
        return [micro(v) for v in value]
    return value
