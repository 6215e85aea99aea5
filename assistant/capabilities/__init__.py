"""One function per capability: a typed request in, a typed report out.

Every door — the CLI, the HTTP API, the LangChain tools, Slack, MCP and the
OpenCost-compatible API — parses its own input into a request, calls the capability
here and renders the report. What must be the same through every door lives here, once:
the asker's scope, freshness of the data, name suggestions for a filter that names
nothing, admin gating, and the "no data" reasons. Capabilities raise
:class:`~assistant.errors.PennyError` subclasses; each door translates them in one place.
"""
