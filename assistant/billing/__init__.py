"""Monthly bill explanation, variance decomposition and anomaly detection."""
