"""The log's file: refused when it is not ours or is newer, never altered then; writes that
fail are counted and said once, and never damage what is there; several writers at once."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from irlink.record import NewerSessionLog, NotASessionLog, SessionLog
from irlink.record.schema import SCHEMA_VERSION
from tests.record.readonly import reader_only


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_log_is_created_with_its_folder_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "sessions.db"
    with SessionLog.open(path) as log:
        assert log.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert log.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SessionLog.open(path):  # opening again migrates nothing and keeps it
        pass


def test_a_log_from_a_newer_irlink_is_refused_and_left_unaltered(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionLog.open(path):
        pass
    with sqlite3.connect(path) as plain:
        plain.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    plain.close()
    before = digest(path)
    with pytest.raises(NewerSessionLog, match=r"newer irlink .*update irlink"):
        SessionLog.open(path)
    with pytest.raises(NewerSessionLog):
        SessionLog.open(path, readonly=True)
    assert digest(path) == before


def test_another_programs_database_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as plain:
        plain.execute("CREATE TABLE patients (name TEXT)")
    plain.close()
    before = digest(path)
    with pytest.raises(NotASessionLog, match=r"theirs\.db is a SQLite database of another"):
        SessionLog.open(path)
    assert digest(path) == before


@pytest.mark.parametrize(
    "content",
    [b"name,port\nalice,1\n", b"SQLite format 3\x00" + b"\x07" * 4000],
    ids=["a CSV file", "a damaged database"],
)
def test_a_file_that_is_not_a_log_is_refused_by_name(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "sessions.db"
    path.write_bytes(content)
    with pytest.raises(NotASessionLog, match=r"sessions\.db is not an irlink session log"):
        SessionLog.open(path)
    assert path.read_bytes() == content


def test_a_folder_given_as_the_log_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotASessionLog, match="is a folder"):
        SessionLog.open(tmp_path)


def test_a_read_only_log_counts_what_it_could_not_write_says_so_once_and_stays_intact(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "sessions.db"
    with SessionLog.open(path) as log:
        log.write("rows", lambda db: db.execute("INSERT INTO meta VALUES ('note', 'kept')"))
    before = digest(path)
    with reader_only(path), caplog.at_level(logging.WARNING), SessionLog.open(path) as log:
        for _ in range(3):
            log.write("samples", lambda db: db.execute("INSERT INTO meta VALUES ('x', 'y')"))
        assert log.lost == {"samples": 3}
        assert log.failure is not None
        assert "readonly" in log.failure.replace("-", "")
    warnings = [r for r in caplog.records if "recording to the session log" in r.message]
    assert len(warnings) == 1
    assert digest(path) == before
    with SessionLog.open(path, readonly=True) as log:
        assert log.db.execute("SELECT value FROM meta WHERE key = 'note'").fetchone() == ("kept",)


def test_a_failed_write_rolls_back_and_the_next_one_goes_through(tmp_path: Path) -> None:
    with SessionLog.open(tmp_path / "sessions.db") as log:

        def half(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO meta VALUES ('half', 'done')")
            db.execute("INSERT INTO no_such_table VALUES (1)")

        assert log.write("rows", half) is None
        assert log.write("rows", lambda db: db.execute("INSERT INTO meta VALUES ('b', 'c')"))
        keys = {row[0] for row in log.db.execute("SELECT key FROM meta")}
    assert "half" not in keys
    assert "b" in keys


WRITER = textwrap.dedent(
    """
    import sys
    from irlink.record import SessionLog
    path, name, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with SessionLog.open(path) as log:
        for n in range(rows):
            log.write("rows", lambda db: db.execute(
                "INSERT INTO meta VALUES (?, ?)", (f"{name}-{n}", name)))
        print(dict(log.lost), log.failure)
    """
)


def test_several_processes_write_one_log_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    rows = 400
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{n}", str(rows)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    outputs = [w.communicate(timeout=120)[0].strip() for w in writers]
    assert outputs == ["{} None"] * 3  # no "database is locked", nothing lost
    with SessionLog.open(path, readonly=True) as log:
        counts = dict(
            log.db.execute("SELECT value, count(*) FROM meta WHERE key <> 'application' GROUP BY 1")
        )
    assert counts == {"w0": rows, "w1": rows, "w2": rows}


def test_an_older_log_is_brought_forward_on_open_and_keeps_what_it_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from irlink.record import schema

    path = tmp_path / "sessions.db"
    with SessionLog.open(path) as log:
        log.write("rows", lambda db: db.execute("INSERT INTO meta VALUES ('kept', 'yes')"))
    # The next irlink's schema: one more migration, as a release would add it.
    later = (*schema.MIGRATIONS, "ALTER TABLE sessions ADD COLUMN operator TEXT;")
    monkeypatch.setattr(schema, "MIGRATIONS", later)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(later))
    monkeypatch.setattr("irlink.record.store.SCHEMA_VERSION", len(later))
    with SessionLog.open(path) as log:
        assert log.db.execute("PRAGMA user_version").fetchone()[0] == len(later)
        columns = {row[1] for row in log.db.execute("PRAGMA table_info(sessions)")}
        kept = log.db.execute("SELECT value FROM meta WHERE key = 'kept'").fetchone()
    assert "operator" in columns
    assert kept == ("yes",)


def test_one_write_that_cannot_be_done_loses_only_itself_in_a_batch(tmp_path: Path) -> None:
    undone: list[str] = []
    with SessionLog.open(tmp_path / "sessions.db") as log:

        def row(key: str) -> Callable[[sqlite3.Connection], str]:
            def work(db: sqlite3.Connection) -> str:
                db.execute("INSERT INTO meta VALUES (?, 'v')", (key,))
                return key

            return work

        def broken(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO no_such_table VALUES (1)")

        # The writer is held on a first write while three more queue: it takes them as one.
        release = threading.Event()
        held = log.submit("rows", lambda _db: release.wait(5))
        futures = [
            log.submit("rows", row("a"), lambda: undone.append("a")),
            log.submit("rows", broken, lambda: undone.append("broken")),
            log.submit("rows", row("b"), lambda: undone.append("b")),
        ]
        release.set()
        assert held.result() is True
        results = [future.result() for future in futures]
        keys = {r[0] for r in log.db.execute("SELECT key FROM meta")}
        lost = dict(log.lost)
    assert results == ["a", None, "b"]
    assert {"a", "b"} <= keys
    assert lost == {"rows": 1}
    assert undone[:3] == ["b", "broken", "a"]  # the batch failed whole (undone last first),
    assert "broken" in undone[3:]  # then each went alone


def test_a_waiter_that_gives_up_does_not_stop_the_writer(tmp_path: Path) -> None:
    import asyncio

    with SessionLog.open(tmp_path / "sessions.db") as log:
        release = threading.Event()
        held = log.submit("rows", lambda _db: release.wait(5))

        async def give_up() -> None:
            waiting = asyncio.ensure_future(asyncio.wrap_future(held))
            await asyncio.sleep(0)
            waiting.cancel()  # asyncio cancels the write's future too
            await asyncio.gather(waiting, return_exceptions=True)

        asyncio.run(give_up())
        assert held.cancelled()
        release.set()
        # The writer outlived it: the next write is done.
        assert log.write("rows", lambda db: db.execute("INSERT INTO meta VALUES ('n', 'v')"))
        assert log.db.execute("SELECT value FROM meta WHERE key = 'n'").fetchone() == ("v",)
