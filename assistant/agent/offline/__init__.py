"""The offline engine: answers cost questions with rules and templates, no LLM needed.

``answer(question, ctx, settings)`` is what :func:`assistant.agent.ask.ask` calls when no
model is configured (or the AI budget is spent).
"""

from assistant.agent.offline.engine import answer, forget_threads

__all__ = ["answer", "forget_threads"]
