"""The command line's session log, with real processes: SIGKILL loses nothing printed; a log
that cannot be written leaves the session going, says so once and exits 7; a log that is
not ours stops the command before it talks to the device."""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from irlink.record import SessionLog
from tests.cli.proc import SCRIPT, START_S, irlink, read_until, started
from tests.record.readonly import reader_only

SIM = "sim://waistband?speed=60"
FAST_SIM = "sim://waistband?speed=600"  # a 10-minute session in a second


def recorded(db: Path) -> tuple[set[tuple[int, int]], int]:
    """The (uptime, remaining on port 1) of every sample recorded, and the events count."""
    with SessionLog.open(db, readonly=True) as log:
        from irlink.record.samples import read_samples

        connections = [row[0] for row in log.db.execute("SELECT id FROM connections")]
        seen = {
            (s.values["uptime_s"], s.ports[0]["remaining_s"])
            for s in read_samples(log.db, connections)
        }
        events = log.db.execute("SELECT count(*) FROM events").fetchone()[0]
    return seen, events


def test_sigkill_mid_session_loses_nothing_that_was_printed(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    with started(
        "--db", str(db), "--json", "start", "-d", SIM, "--duration", "10m", "--wait"
    ) as proc:
        out = b""
        while out.count(b'"status_update"') < 20:
            out = read_until(proc, b'"status_update"') if not out else out + read_until(proc, b"\n")
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=START_S)
    assert proc.returncode == -signal.SIGKILL
    lines = [json.loads(line) for line in (out + rest).splitlines() if line.strip()]
    printed = {
        (int(line["status"]["uptime"]), int(line["status"]["ports"][0]["remaining"]))
        for line in lines
        if line["type"] == "status_update"
    }
    printed_events = [line for line in lines if line["type"] == "session_started"]
    samples, events = recorded(db)
    assert len(printed) >= 20
    assert printed <= samples  # every status printed was in the log before it was printed
    assert events >= len(printed_events) == 1


def run_child(
    args: list[str], preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=START_S * 2,
        check=False,
        preexec_fn=preexec,
    )


def test_a_read_only_log_lets_the_session_run_says_so_once_and_exits_7(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    with SessionLog.open(db):
        pass  # a WAL log that closed cleanly: no -wal or -shm left
    before = db.read_bytes()
    with reader_only(db):
        done = run_child(["--db", str(db), "start", "-d", FAST_SIM, "--duration", "10m", "--wait"])
    assert done.returncode == 7, done.stderr
    assert "completed" in done.stdout  # the session itself ran to its end
    assert done.stderr.count("recording to the session log") == 1
    assert f"the session log {db} is missing what could not be written" in done.stderr
    assert "Traceback" not in done.stderr
    assert db.read_bytes() == before


def test_a_full_disk_lets_the_session_run_and_what_was_recorded_stays(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    first = irlink("--db", str(db), "status", "-d", FAST_SIM)
    assert first.returncode == 0, first.stderr
    kept = recorded(db)[0]
    size = db.stat().st_size

    def no_room() -> None:  # no file may grow: a full disk, as the log's writes see it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    done = run_child(
        ["--db", str(db), "start", "-d", FAST_SIM, "--duration", "10m", "--wait"], no_room
    )
    assert done.returncode == 7, done.stderr
    assert "completed" in done.stdout
    assert done.stderr.count("recording to the session log") == 1
    with SessionLog.open(db, readonly=True) as log:
        assert log.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert kept <= recorded(db)[0]
    assert kept


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not a database at all\n" * 50, "is not an irlink session log"),
        (None, "is a SQLite database of another program"),
    ],
    ids=["a text file", "another program's database"],
)
def test_a_file_that_is_not_a_log_stops_the_command_before_the_device(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    db = tmp_path / "mine.db"
    if content is None:
        with sqlite3.connect(db) as plain:
            plain.execute("CREATE TABLE visits (id INTEGER)")
        plain.close()
    else:
        db.write_bytes(content)
    before = db.read_bytes()
    done = irlink("--db", str(db), "--json", "start", "-d", SIM, "--duration", "10m")
    assert done.returncode == 2
    assert str(db) in done.stderr
    assert says in done.stderr
    assert "--no-log" in done.stderr
    error = json.loads(done.stdout.splitlines()[-1])
    assert error["type"] == "error"
    assert says in error["message"]
    assert "started" not in done.stdout
    assert db.read_bytes() == before


def test_no_log_records_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    done = irlink("--db", str(db), "--no-log", "status", "-d", SIM)
    assert done.returncode == 0, done.stderr
    assert not db.exists()


def test_two_irlink_processes_record_into_one_log_at_once(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    args = ["--db", str(db), "--json", "start", "--duration", "10m", "--wait"]
    # Into files, both read at the end: a pipe nobody drains would stall its writer.
    outs = [tmp_path / "one.out", tmp_path / "two.out"]
    with outs[0].open("wb") as first, outs[1].open("wb") as second:
        procs = [
            subprocess.Popen([SCRIPT, *args, "-d", address], stdout=out, stderr=subprocess.PIPE)
            for address, out in (
                ("sim://waistband?speed=60&serial=0041", first),
                ("sim://multiport?speed=60&serial=0042", second),
            )
        ]
        errors = [proc.communicate(timeout=START_S * 4)[1] for proc in procs]
    for proc, err in zip(procs, errors, strict=True):
        assert proc.returncode == 0, err
        assert b"locked" not in err
    outputs = [(out.read_bytes(), b"") for out in outs]
    printed = sum(out.count(b'"status_update"') for out, _ in outputs)
    with SessionLog.open(db, readonly=True) as log:
        from irlink.record import sessions
        from irlink.record.samples import read_samples

        kept = sessions(log)
        connections = [row[0] for row in log.db.execute("SELECT id FROM connections")]
        samples = sum(1 for _ in read_samples(log.db, connections))
    # The multiport's start (port 0) ran a session on each of its two ports.
    assert sorted((s.serial, s.port, s.outcome) for s in kept) == [
        ("0041", 1, "completed"),
        ("0042", 1, "completed"),
        ("0042", 2, "completed"),
    ]
    assert samples >= printed  # every status either printed was recorded


def test_a_log_locked_by_another_program_never_holds_up_the_session(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    first = irlink("--db", str(db), "status", "-d", FAST_SIM)
    assert first.returncode == 0, first.stderr
    kept = recorded(db)[0]
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, for as long as the session
    try:
        # At 60 times real time the heartbeat is a beat every 0.1 s: a writer that held
        # up the link for the 2 s a locked write waits would have the device stop output.
        done = run_child(["--db", str(db), "start", "-d", SIM, "--duration", "10m", "--wait"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 7, done.stderr
    assert "session" in done.stdout
    assert "completed" in done.stdout
    assert "locked" in done.stderr
    assert done.stderr.count("recording to the session log") == 1
    assert recorded(db)[0] == kept  # what was recorded before is intact


def test_a_log_in_a_read_only_folder_is_read_and_a_session_still_runs(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    db = folder / "sessions.db"
    first = irlink("--db", str(db), "start", "-d", FAST_SIM, "--duration", "10m", "--wait")
    assert first.returncode == 0, first.stderr
    before = db.read_bytes()
    with reader_only(folder):
        listed = irlink("--db", str(db), "--json", "log", "sessions")
        done = run_child(["--db", str(db), "start", "-d", FAST_SIM, "--duration", "10m", "--wait"])
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["type"] for line in listed.stdout.splitlines()] == ["logged_session"]
    assert done.returncode == 7, done.stderr
    assert "completed" in done.stdout
    assert "damaged" not in done.stderr
    assert f"cannot open the session log {db}" in done.stderr
    assert db.read_bytes() == before


def test_a_watch_and_a_session_on_one_device_in_two_processes_keep_one_session(
    tmp_path: Path,
) -> None:
    from tests.test_cli_sim import serving

    db = tmp_path / "sessions.db"
    with serving(1, "waistband", "--tcp", "0", "--speed", "60") as (_, [[_, _, url]]):
        session = ["--db", str(db), "-d", url, "--json", "start", "--duration", "10m", "--wait"]
        with started(*session) as runner:
            read_until(runner, b'"type": "started"')
            # Another terminal watches the same device while the session runs.
            watch = irlink("--db", str(db), "-d", url, "status", "--watch", "--count", "5")
            _, err = runner.communicate(timeout=START_S * 4)
    assert watch.returncode == 0, watch.stderr
    assert runner.returncode == 0, err
    assert b"locked" not in err
    with SessionLog.open(db, readonly=True) as log:
        from irlink.record import sessions
        from irlink.record.samples import read_samples

        kept = sessions(log)
        connections = [row[0] for row in log.db.execute("SELECT id FROM connections")]
        running = [
            sum(s.ports[0]["session_id"] == kept[0].session_id for s in read_samples(log.db, [c]))
            for c in connections
        ]
    assert [(s.source, s.outcome) for s in kept] == [("live", "completed")]
    assert len(running) == 2  # one device, one session, seen from two connections:
    assert min(running) >= 1  # each recorded it running
