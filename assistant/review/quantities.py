"""Kubernetes resource quantities, parsed as strictly as the API server parses them.

The Kubernetes client's ``parse_quantity`` is lenient where the API server is not (it
accepts ``Infinity``, surrounding spaces and negative values), and a review must refuse
exactly what ``kubectl apply`` would refuse, so this module follows the grammar in
k8s.io/apimachinery ``resource.Quantity``:

    quantity ::= [+-] number suffix      number ::= digits | digits.digits | digits. | .digits
    suffix   ::= Ki Mi Gi Ti Pi Ei | m "" k M G T P E | (e|E) [+-] digits

Requests must also be non-negative, CPU is rounded up to whole millicores and memory up
to whole bytes (the API server's canonical form), and extended resources such as
``nvidia.com/gpu`` must be whole numbers.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

__all__ = ["QuantityError", "parse_cpu", "parse_gpu", "parse_memory", "parse_quantity"]

_QUANTITY = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E)?$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


class QuantityError(ValueError):
    """A value the API server would reject; the message says why, the caller says where."""


def parse_quantity(value: object) -> Decimal:
    """Exact value of a quantity (``500m`` → 0.5, ``2Gi`` → 2147483648, YAML numbers too)."""
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, int | float):
        text = repr(value)
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
            raise QuantityError(f"{value!r} is not a quantity")
    elif isinstance(value, str):
        text = value
    else:
        raise QuantityError(f"{value!r} is not a quantity")
    m = _QUANTITY.match(text)
    if m is None:
        raise QuantityError(f"{text!r} is not a Kubernetes quantity")
    try:
        number = Decimal(m.group("num"))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise QuantityError(f"{text!r} is not a Kubernetes quantity") from exc
    suffix = m.group("suffix") or ""
    if suffix in _BINARY:
        return number * Decimal(1024) ** _BINARY[suffix]
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    if suffix:
        return number.scaleb(int(suffix[1:]))
    return number


def _request(value: object) -> Decimal:
    amount = parse_quantity(value)
    if amount < 0:
        raise QuantityError(f"{value!r} is negative; requests must be >= 0")
    return amount


def parse_cpu(value: object) -> Decimal:
    """Cores, rounded up to whole millicores as the API server stores them."""
    return _request(value).quantize(Decimal("0.001"), rounding=ROUND_CEILING)


def parse_memory(value: object) -> Decimal:
    """Bytes, rounded up to a whole byte."""
    return _request(value).quantize(Decimal("1"), rounding=ROUND_CEILING)


def parse_gpu(value: object) -> Decimal:
    """Whole devices: extended resources cannot be fractional (a MIG slice is its own
    resource name, not ``0.5``)."""
    amount = _request(value)
    if amount != amount.to_integral_value():
        raise QuantityError(f"{value!r} must be a whole number of devices")
    return amount.quantize(Decimal("1"))
