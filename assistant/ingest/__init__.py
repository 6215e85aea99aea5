"""Loading sources into the warehouse: FOCUS bills, Prometheus metrics, AI usage exports."""
