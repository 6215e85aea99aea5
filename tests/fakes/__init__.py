"""Local HTTP servers speaking real wire protocols, for tests of code that uses real SDKs.

``OpenAIServer`` speaks the OpenAI Chat Completions protocol and ``AnthropicServer`` the
Anthropic Messages protocol, both with streaming (SSE). Each serves a script of replies
in order and records every request body, so a test can point the real SDK client at it by
base URL and assert what was sent and what came back. Reusable by any part of Penny.
"""

from tests.fakes.anthropic_server import AnthropicServer
from tests.fakes.openai_server import OpenAIServer
from tests.fakes.scripted import Reply, ToolUse

__all__ = ["AnthropicServer", "OpenAIServer", "Reply", "ToolUse"]
