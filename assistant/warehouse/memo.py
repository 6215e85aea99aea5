"""Values derived from the warehouse alone, kept until the warehouse changes.

Answering reads the same slow-to-compute facts again and again: the names a scope may
see, the hours the allocations cover, the values a filter may take. Over the
``allocations`` view each is a scan of every container-hour, so one answer spent a large
part of its time recomputing them. :func:`memo` keeps such a value per warehouse file
and drops it as soon as any process writes the file (``warehouse_stamp``). Callers must
treat what they get back as read-only: the same object is handed to every thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from assistant.config import Settings
from assistant.warehouse.db import reading_stamp

__all__ = ["clear_memo", "memo"]

T = TypeVar("T")

_MAX_ENTRIES = 512
_LOCK = threading.Lock()
_MEMO: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def memo(settings: Settings, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value for ``key`` on this warehouse as it is now, computed once."""
    path = str(settings.db_path)
    stamp = reading_stamp(settings)  # the snapshot readers open, and its contents
    full = (path, stamp, key)
    with _LOCK:
        if full in _MEMO:
            _MEMO.move_to_end(full)
            value: T = _MEMO[full]
            return value
    value = compute()  # outside the lock: two threads may both compute
    if reading_stamp(settings) == stamp:  # written meanwhile: the value may be of either state
        with _LOCK:
            _MEMO[full] = value
            while len(_MEMO) > _MAX_ENTRIES:
                _MEMO.popitem(last=False)
    return value


def clear_memo() -> None:
    """Forget every value (tests; a new process starts empty anyway)."""
    with _LOCK:
        _MEMO.clear()
