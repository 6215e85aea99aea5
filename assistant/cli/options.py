"""Flag checks shared by commands, so every bad flag reads the same way (exit 2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import typer

from assistant.config import Settings
from assistant.errors import InputError
from assistant.windows import Window, parse_window

__all__ = ["engine_flag", "engine_option", "engine_settings", "one_of", "window_flag"]


def window_flag(text: str, settings: Settings, flag: str = "--window") -> Window:
    """Parse a window flag against the pinned 'now'; a bad one is a usage error naming it."""
    try:
        return parse_window(text, now=settings.current_time())
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from exc


def one_of(value: str, allowed: Iterable[str], flag: str) -> str:
    choices = list(allowed)
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}.", param_hint=flag)
    return value


def engine_option() -> Any:
    """``--engine duckdb|spark`` (default: the ``warehouse.engine`` setting)."""
    return typer.Option(
        None,
        "--engine",
        help="duckdb (this machine's warehouse) or spark (the Parquet lake); "
        "default: warehouse.engine.",
    )


def engine_flag(value: str | None, settings: Settings) -> str:
    """The engine to use; an unknown name is a usage error naming the flag."""
    from assistant.spark.engine import resolve_engine

    try:
        return resolve_engine(settings, value)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--engine") from exc


def engine_settings(settings: Settings, value: str | None) -> Settings:
    """``settings`` with ``warehouse.engine`` set from ``--engine`` (when given)."""
    engine = engine_flag(value, settings)
    return settings.model_copy(
        update={"warehouse": settings.warehouse.model_copy(update={"engine": engine})}
    )
