"""Penny as a service: the scheduler `penny serve` runs, and the status it reports.

Importing the package registers the built-in jobs (``sync_job``), so every
``Scheduler.from_settings`` sees them, however it was reached.
"""

from assistant.service import sync_job as _sync_job  # noqa: F401  (registers "sync")
