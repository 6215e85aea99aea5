"""The demo warehouse, built once per test session per end date and copied per user.

Building the small demo takes seconds; six test packages used to build their own. Each
variant is built once into the session's base temp dir; a fixture that needs one gets a
private copy (the DuckDB file and ``truths.json``), so a test that writes cannot disturb
another package's numbers.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings

__all__ = ["EVAL_END", "SMALL_END", "demo_copy", "truths"]

#: the end date the HTTP, Slack, bill and rightsizing tests pin 'now' to
SMALL_END = date(2026, 11, 20)
#: the end date `penny eval` and the offline engine tests use (evals.runner.DEMO_END)
EVAL_END = date(2026, 11, 27)

_LOCK = threading.Lock()


def _built(factory: pytest.TempPathFactory, end: date) -> Path:
    """The directory holding the demo built to ``end`` (built on first use)."""
    base = factory.getbasetemp() / f"demo-{end:%Y%m%d}"
    with _LOCK:
        if not (base / "penny.duckdb").exists():
            from assistant.demo.run import build_demo

            tmp = base.with_name(base.name + ".building")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            settings = load_settings(home=tmp, db=tmp / "penny.duckdb")
            build_demo(settings, end=end, out_dir=tmp / "out", scale="small", use_prometheus=False)
            for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
                (tmp / name).unlink(missing_ok=True)
            tmp.rename(base)
    return base


def demo_copy(factory: pytest.TempPathFactory, name: str, end: date = SMALL_END) -> Path:
    """A fresh home holding a private copy of the demo warehouse built to ``end``."""
    source = _built(factory, end)
    home = factory.mktemp(name)
    shutil.copyfile(source / "penny.duckdb", home / "penny.duckdb")
    shutil.copytree(source / "out", home / "out")
    return home


def truths(home: Path) -> dict[str, Any]:
    """The planted facts of the demo copied into ``home``."""
    data: dict[str, Any] = json.loads((home / "out" / "truths.json").read_text(encoding="utf-8"))
    return data
