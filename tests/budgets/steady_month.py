"""A steady November 2026 for budget tests, with every figure easy to work out by hand.

Every hour: team payments 2 cores × $0.50 = $1.00 (namespace pay), team data 1 core ×
$0.25 = $0.25 (namespace etl), idle $0.25. A day: payments $24, data $6, the bill $36.
Budgets: total $1,080, team payments $600 (note "owned by Pat"), team data $360.

Every day costs the same, so the forecast (month to date + the mean of the last complete
days × the days left) is the daily cost × 30 at any hour of the month: payments $720
(120 % of 600), data $180 (50 % of 360), total $1,080 (100 %).
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.warehouse.db import writer
from tests.billing.bill_rows import NOV, alloc

#: each budget's row on Nov 21 00:00 (480 hours in), as every door prints it: 20 days ×
#: $36 = $720 of $1,080 (66.67 %); 20 × $24 = $480 of $600 (80.00 %, $720 - $600 = $120
#: over after the forecast); 20 × $6 = $120 of $360 (33.33 %)
CELLS_NOV_21 = {
    "total": ["total", "$1,080.00", "$720.00", "66.67%", "$360.00", "$1,080.00", "$0.00", "within"],
    "payments": [
        "team payments",
        "$600.00",
        "$480.00",
        "80.00%",
        "$120.00",
        "$720.00",
        "-$120.00",
        "forecast over",
    ],
    "data": [
        "team data",
        "$360.00",
        "$120.00",
        "33.33%",
        "$240.00",
        "$180.00",
        "$180.00",
        "within",
    ],
}

BUDGETS = [
    {"scope": "total", "monthly": "1080"},
    {"scope": "team:payments", "monthly": "600", "note": "owned by Pat"},
    {"scope": "team:data", "monthly": "360"},
]


def steady_november(settings: Settings, hours: int = 720) -> None:
    """Allocations for the first ``hours`` hours of November (720 = the whole month)."""
    span = range(0, hours)
    with writer(settings) as con:
        alloc(con, NOV, span, node="n1", namespace="pay", team="payments", cpu=2, cpu_price="0.5")
        alloc(con, NOV, span, node="n1", namespace="etl", team="data", cpu=1, cpu_price="0.25")
        alloc(
            con,
            NOV,
            span,
            kind="idle",
            node="n1",
            namespace="__idle__",
            team="__idle__",
            resource="cpu",
            cpu=1,
            cpu_price="0.25",
        )
