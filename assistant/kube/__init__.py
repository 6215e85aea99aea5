"""Kubernetes API access (official client) and the warehouse's cluster snapshots."""
