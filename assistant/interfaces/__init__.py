"""Servers users talk to: the FastAPI app (HTTP + web page) and the Slack app."""
