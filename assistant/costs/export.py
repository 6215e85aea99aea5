"""A CostTable as CSV: one writer shared by `penny costs --csv` and `GET /v1/costs`."""

from __future__ import annotations

import csv
import io

from assistant.costs.query import COLUMNS, CostTable

__all__ = ["to_csv"]


def to_csv(table: CostTable) -> str:
    """Cloud rows, the TOTAL row, then estimates and AI API lines in their own sections
    (never summed in)."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["section", "name", *COLUMNS, "total", "efficiency"])
    for row in [*table.rows, table.totals]:
        out.writerow(
            [
                "cloud",
                row.name,
                *(row.costs.get(c, 0) for c in COLUMNS),
                row.total,
                "" if row.efficiency is None else f"{row.efficiency:.4f}",
            ]
        )
    for row in table.estimates:
        out.writerow(
            [
                "estimate",
                row.name,
                *(row.costs.get(c, 0) for c in COLUMNS),
                row.total,
                "" if row.efficiency is None else f"{row.efficiency:.4f}",
            ]
        )
    for ai in table.ai:
        out.writerow(["ai_apis", f"{ai.name} ({ai.service})", *([""] * len(COLUMNS)), ai.cost, ""])
    return buf.getvalue()
