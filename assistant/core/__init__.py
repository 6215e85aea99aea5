"""Penny's core: the typed requests and reports every interface shares.

Everything an answer is made of lives here once: who is asking and what they may see
(:mod:`scope`), where a number came from (:mod:`provenance`), the finished answer and its
stream (:mod:`answer`). Interfaces (CLI, HTTP, Slack, MCP, the OpenCost API) and the
agent's tools import from here; nothing here imports from them.
"""
