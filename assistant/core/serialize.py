"""JSON at the boundaries: Decimals stay exact strings, times ISO 8601.

Reports are pydantic models with Decimal money; every door that speaks JSON (tools, HTTP,
MCP, the OpenCost API) turns them into JSON here, so no door rounds through float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Decimals as plain strings ('0.000000', never '0E-6'), datetimes ISO, recursively."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
