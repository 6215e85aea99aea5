"""Penny's tools: one module per capability, each a typed function returning ToolResult.

The LLM agent (wrapped once in ``assistant.agent``) and the offline engine call the same
functions. ``REGISTRY`` maps tool name -> function; see each module's docstring.
"""

from assistant.core.provenance import Provenance
from assistant.core.scope import Scope
from tools.result import ToolResult

__all__ = ["Provenance", "Scope", "ToolResult"]
