"""The warehouse contract (DESIGN.md, contract 4): no reader ever sees a lock error and no
writer fails because readers exist; a second writer waits for the first, visibly.

Readers open published snapshots (assistant/warehouse/snapshots.py), never the file a
writer writes, so these tests hold readers and writers open at the same time — in this
process and in others — and check what each side sees.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import SourceUnavailable
from assistant.warehouse.db import one_reader, reader, writer
from assistant.warehouse.snapshots import current_snapshot, is_current, snapshot_dir


@pytest.fixture
def settings() -> Settings:
    s = load_settings()
    with writer(s) as con:
        con.execute("CREATE TABLE t (n INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    return s


def _count(s: Settings) -> int:
    with reader(s) as con:
        row = con.execute("SELECT count(*) FROM t").fetchone()
    assert row is not None
    return int(row[0])


def test_a_writer_commits_while_a_reader_is_open_and_readers_see_whole_writes(
    settings: Settings,
) -> None:
    with one_reader(settings), reader(settings) as held:
        with writer(settings) as con:  # no wait, no error: the reader holds a snapshot
            con.execute("INSERT INTO t VALUES (2)")
        # the open reader still sees its snapshot (1 row); a new process sees 2
        assert held.execute("SELECT count(*) FROM t").fetchone() == (1,)
    assert _count(settings) == 2
    assert is_current(settings)


def test_a_failed_write_publishes_nothing(settings: Settings) -> None:
    before = current_snapshot(settings)
    with pytest.raises(RuntimeError), writer(settings) as con:
        con.execute("INSERT INTO t VALUES (99)")
        raise RuntimeError("boom")
    assert current_snapshot(settings) == before
    assert _count(settings) == 1


def test_only_the_newest_two_snapshots_are_kept(settings: Settings) -> None:
    for n in range(3):
        with writer(settings) as con:
            con.execute("INSERT INTO t VALUES (?)", [n])
    kept = sorted(p.name for p in snapshot_dir(settings).glob("*.duckdb"))
    assert kept == ["0000000003.duckdb", "0000000004.duckdb"]  # 1 (fixture) + 3 writes
    assert _count(settings) == 4


_HOLD_WRITER = textwrap.dedent(
    """
    import sys, time
    from assistant.config import load_settings
    from assistant.warehouse.db import writer
    with writer(load_settings()) as con:
        con.execute("INSERT INTO t VALUES (7)")
        print("writing", flush=True)
        time.sleep(float(sys.argv[1]))
    """
)


def test_readers_go_on_while_another_process_writes_and_a_second_writer_waits(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITER, "6"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "writing"
        # while the other process writes: 20 reads, none waits or fails, none sees row 7
        assert [_count(settings) for _ in range(20)] == [1] * 20
        assert holder.poll() is None  # all 20 ran while it was still writing
        with (
            caplog.at_level(logging.WARNING, logger="penny.warehouse"),
            writer(settings) as con,  # waits for the holder, then writes
        ):
            con.execute("INSERT INTO t VALUES (8)")
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    waits = [r.getMessage() for r in caplog.records if r.name == "penny.warehouse"]
    assert len(waits) == 1 and "Waiting to write the warehouse" in waits[0]
    assert f"process {holder.pid}" in waits[0]
    assert _count(settings) == 3  # 1, 7 (the other process), 8 (this one)


def test_a_writer_gives_up_only_after_warehouse_wait_s_with_the_holder_named(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENNY_WAREHOUSE_WAIT_S", "0.5")
    s = load_settings()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITER, "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "writing"
        with (
            pytest.raises(SourceUnavailable, match=r"stayed busy for 0.5 s \(process \d+"),
            writer(s),
        ):
            pass
        assert _count(s) == 1  # and reading still works meanwhile
    finally:
        holder.kill()
        holder.wait()


def test_an_old_warehouse_without_snapshots_is_read_directly(settings: Settings) -> None:
    for p in snapshot_dir(settings).iterdir():
        p.unlink()
    assert current_snapshot(settings) is None and not is_current(settings)
    assert _count(settings) == 1
