"""Meta-tests: every setting is documented, and the settings page is current."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from assistant.config import Settings
from assistant.config_docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_fields(ann, f"{prefix}{name}."))
        else:
            out.append((f"{prefix}{name}", info.description))
    return out


def test_every_setting_has_a_description() -> None:
    missing = [name for name, desc in _fields(Settings) if not desc]
    assert missing == []


def test_settings_page_is_generated_from_the_model() -> None:
    # Regenerate with: python -m assistant.config_docs > docs/settings.md
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == render()
