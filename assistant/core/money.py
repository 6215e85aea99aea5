"""Money for people and for JSON: one owner of every rounding and every '$'.

Stored and summed money stays exact (DECIMAL(38,12) in the warehouse, Decimal in Python);
rounding happens only here, at the edge, and always half-up to the cent as invoices do.
Each way Penny shows an amount has one name:

========================  =====================  ==========================================
``usd(x)``                ``$1,234.57``          an amount in prose, Markdown, Slack
``usd(x, signed=True)``   ``+$12.00``            a difference where zero is no change
``usd_change(x)``         ``+$0.00``, ``-$3.10``  a change that always shows its direction
``usd_rate(x)``           ``$0.0003412``         a unit price (per GPU-hour, per request)
``usd_small(x)``          ``$0.0012``            what one model call cost (cents hide it)
``usd_exact(x)``          ``$0.0512``            an amount already rounded where computed
``plain(x)``              ``1,234.57``           a table cell under a currency heading
``cents(x)``              ``Decimal('1234.57')`` a figure for JSON (a string of it)
``micro(x)``              ``Decimal('0.123457')`` tool JSON that still sums to the cent
``micro_float(x)``        ``0.123457``           a JSON number (the OpenCost API)
========================  =====================  ==========================================
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CENT",
    "MICRO",
    "cents",
    "micro",
    "micro_float",
    "plain",
    "usd",
    "usd_change",
    "usd_exact",
    "usd_rate",
    "usd_small",
]

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def cents(value: Decimal) -> Decimal:
    """Rounded half-up to the cent (the figure a person reads and a bill shows)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(value: Any) -> Decimal | None:
    try:
        amount = cents(Decimal(str(value)))
    except InvalidOperation:
        return None
    return Decimal("0.00") if amount == 0 else amount


def usd(value: Any, *, signed: bool = False, missing: str = "n/a") -> str:
    """'$1,234.57', '-$500.00', or '+$12.00' when ``signed`` and positive.

    Accepts Decimals and their exact strings (tool JSON); anything unreadable is shown as
    given, never as a made-up zero.
    """
    if value is None:
        return missing
    amount = _amount(value)
    if amount is None:
        return str(value)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def usd_change(value: Decimal) -> str:
    """'+$12.00', '-$3.10' and '+$0.00': a change between periods always has a sign."""
    amount = cents(value)
    return f"{'-' if amount < 0 else '+'}${abs(amount):,.2f}"


def usd_rate(value: Any) -> str:
    """A unit price: to the cent from $1, else four significant digits ('$0.0003412')."""
    amount = Decimal(str(value))
    if abs(amount) >= 1:
        return usd(amount)
    if amount == 0:
        return "$0.00"
    digits = max(2, -amount.adjusted() + 3)
    return f"${amount:.{digits}f}"


def usd_small(value: Decimal | None, *, missing: str = "unpriced") -> str:
    """'$0.0012' under a dollar (four places, so a model call is not '$0.00'), else cents."""
    if value is None:
        return missing
    if abs(value) < 1:
        return f"${value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,f}"
    return usd(value)


def usd_exact(value: Decimal | None, *, missing: str = "—") -> str:
    """'$12.50', '$0.0512/h': every digit the amount has, for amounts rounded where they were
    computed (cents for money, more places for per-run-hour rates)."""
    if value is None:
        return missing
    return f"{'-' if value < 0 else ''}${abs(value):,f}"


def plain(value: Decimal) -> str:
    """'1,234.57': a table cell whose column already names the currency."""
    return f"{cents(value):,.2f}"


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


def micro_float(value: Decimal) -> float:
    """A JSON number with the cents Penny computed: six places, as OpenCost rounds. A
    number of ≤ 15 significant digits prints back as the same decimal digits."""
    return float(micro(value))
