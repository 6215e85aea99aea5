"""What an ingest runs inside its own transaction once its rows are written.

Ingest sits below allocation in the layers (``pyproject.toml``, import-linter), so it
cannot call allocation itself; the command that runs an ingest (``penny ingest``) hands it
``allocation.touched.allocate_touched_in`` as this hook, and the ingest calls it with the
hours it touched before committing — the new inputs and their allocation commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.config import Settings
from assistant.warehouse.db import Connection

__all__ = ["AfterIngest"]

#: (writer connection, settings, start, end of the touched hours) → a report to keep
AfterIngest = Callable[[Connection, Settings, datetime, datetime], Any]
