"""Answering questions: the LLM agent, the offline engine, and the shared Answer shape."""
