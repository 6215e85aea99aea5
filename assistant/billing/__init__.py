"""Explaining the monthly bill: totals, reconciliation, variance drivers, charts, anomalies.

The public functions the agent's tools, the offline engine, the web API, Slack and the CLI
call; each takes a DuckDB connection (read-only is enough) and returns pydantic models.
"""

from assistant.billing.anomalies import detect_anomalies
from assistant.billing.explain import compare_periods, explain_bill, parse_month
from assistant.billing.models import Anomaly, BillExplanation, Variance

__all__ = [
    "Anomaly",
    "BillExplanation",
    "Variance",
    "compare_periods",
    "detect_anomalies",
    "explain_bill",
    "parse_month",
]
