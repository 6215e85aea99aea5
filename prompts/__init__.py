"""Prompt templates as text files, loaded by name through one loader.

``load("system")`` reads ``prompts/system.md``; ``render(name, **values)`` fills
``{placeholders}`` with str.format, so a missing value fails loudly instead of sending a
half-filled prompt to a model.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["available", "load", "render"]


def available() -> list[str]:
    return sorted(
        p.name.removesuffix(".md")
        for p in resources.files("prompts").iterdir()
        if p.name.endswith(".md")
    )


def load(name: str) -> str:
    path = resources.files("prompts") / f"{name}.md"
    if not path.is_file():
        raise KeyError(f"No prompt named {name!r}; available: {', '.join(available())}")
    return path.read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    return load(name).format(**values)
