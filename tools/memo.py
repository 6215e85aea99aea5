"""The warehouse memo, where the tools have always imported it from.

It lives in :mod:`assistant.warehouse.memo` so the cores below the tools (billing, costs)
can keep their own slow aggregates per warehouse state too.
"""

from assistant.warehouse.memo import clear_memo, memo

__all__ = ["clear_memo", "memo"]
