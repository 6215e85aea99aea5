"""One offline answer opens the warehouse once and leaves it free for a writer.

Every tool and the name lookup read through ``reader()``; inside ``answer()`` they share
the one connection ``one_reader`` lends, which is closed before the answer returns.
"""

from __future__ import annotations

from typing import Any

import pytest

import assistant.warehouse.db as db
from assistant.agent.offline import answer
from assistant.config import Settings
from assistant.core.answer import AskContext


def test_one_warehouse_connection_per_answer(
    demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[str, bool]] = []
    real_connect = db.connect

    def counting(path: Any, *, read_only: bool = False) -> db.Connection:
        opened.append((str(path), read_only))
        return real_connect(path, read_only=read_only)

    monkeypatch.setattr(db, "connect", counting)
    a = answer("how much did team payments cost in October", AskContext(), demo_settings)
    assert a.understood and [c.name for c in a.tool_calls] == ["query_costs"]
    # names + filter check + cost query + coverage + freshness: all on one connection
    assert opened == [(str(demo_settings.db_path), True)]
    # closed on return: DuckDB refuses a read-write handle in a process holding a
    # read-only one, so this open would fail if the answer's connection were still open
    con = real_connect(demo_settings.db_path)
    con.close()
