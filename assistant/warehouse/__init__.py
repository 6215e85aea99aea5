"""The DuckDB warehouse: the only package that imports duckdb.

- :mod:`.db` opens connections: one writer (``writer()``, a transaction that rolls back
  whole on error) and read-only readers (``reader()``) for everything that answers.
- :mod:`.migrations` applies the named, ordered schema steps in :mod:`.schema`.
- :mod:`.query` runs agent/user SQL: SELECT/WITH only, time-limited, row-capped.
"""

from assistant.warehouse.db import Connection, connect, reader, writer
from assistant.warehouse.migrations import migrate

__all__ = ["Connection", "connect", "migrate", "reader", "writer"]
