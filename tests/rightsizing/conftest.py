"""Fixtures: pinned settings and a writer connection with the rightsizing insert helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.config import Settings, load_settings
from assistant.warehouse.db import writer
from tests.rightsizing.rs_fixtures import NOW, Warehouse


@pytest.fixture
def settings() -> Settings:
    return load_settings(now=NOW)


@pytest.fixture
def wh(settings: Settings) -> Iterator[Warehouse]:
    with writer(settings) as con:
        yield Warehouse(con)
