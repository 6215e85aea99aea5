"""Explaining the monthly bill: totals, reconciliation, variance drivers, charts, anomalies."""

from assistant.billing.explain import compare_periods, explain_bill
from assistant.billing.models import Anomaly, BillExplanation, Variance

__all__ = ["Anomaly", "BillExplanation", "Variance", "compare_periods", "explain_bill"]
