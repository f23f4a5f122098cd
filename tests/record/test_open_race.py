"""Several processes opening one brand-new log at the same moment all get it.

SQLite answers "database is locked" at once, without its busy wait, to a connection
that switches a new file to WAL while another process does the same; the log retries
those, so the second irlink started beside the first records too.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from multiprocessing.synchronize import Barrier
from pathlib import Path

from irlink.record.schema import SCHEMA_VERSION
from irlink.record.store import SessionLog

PROCESSES = 6
ROUNDS = 30  # 180 opens; without the retry 6 to 10 of 360 failed (measured), so this fails


def _open(path: Path, ready: Barrier, opened: Barrier, results: multiprocessing.Queue[str]) -> None:
    ready.wait()
    try:
        log = SessionLog.open(path)
    except Exception as exc:  # reported to the test, which names it
        results.put(f"{type(exc).__name__}: {exc}")
        opened.abort()
        return
    try:
        opened.wait(timeout=30)  # all hold the log open together
    except threading.BrokenBarrierError:
        pass  # another one failed to open: this one did, and says so
    finally:
        log.close()
    results.put("ok")


def test_processes_opening_a_new_log_at_once_all_record_into_it(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # the test's own modules, no re-import
    failures: list[str] = []
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}.db"
        ready, opened = context.Barrier(PROCESSES), context.Barrier(PROCESSES)
        results: multiprocessing.Queue[str] = context.Queue()
        procs = [
            context.Process(target=_open, args=(path, ready, opened, results))
            for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(timeout=60)
        failures += [f"round {round_}: {outcome}" for outcome in outcomes if outcome != "ok"]
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert failures == [], f"{len(failures)} of {ROUNDS * PROCESSES} opens failed"
