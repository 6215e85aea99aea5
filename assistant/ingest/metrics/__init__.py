"""Cluster metrics: Prometheus HTTP and OpenMetrics files mapped to hourly rows."""
