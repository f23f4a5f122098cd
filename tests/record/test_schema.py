"""The schema's migrations: a log of an older irlink is brought forward with what it held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import irlink.sync
from irlink.journal import SecurityEvent, SecurityKind
from irlink.record import SessionLog
from irlink.record.samples import INSERT_PORT, INSERT_SAMPLE, read_samples, rows_of
from irlink.record.schema import APPLICATION, MIGRATIONS, SCHEMA_VERSION, _statements
from tests.record.conftest import four_days


def a_version_1_log(path: Path, samples: int) -> None:
    """A log as irlink wrote it before studies (only the first migration), holding
    ``samples`` raw status samples of a two-port controller."""
    with irlink.sync.connect("sim://multiport?serial=0707") as device:
        device.configure(0, duration="20m", intensity=1)
        device.start(0)
        statuses = [device.status() for _ in range(samples)]
    db = sqlite3.connect(path, isolation_level=None)
    for statement in _statements(MIGRATIONS[0]):
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('application', ?)", (APPLICATION,))
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO devices (id, family, model, serial, first_seen_at_ms, last_seen_at_ms, "
        "firmware_version, hardware_version, info) VALUES (1, 'multiport', 'm', '0707', 0, 0, "
        "'1', '1', '{}')"
    )
    db.execute(
        "INSERT INTO connections (id, device_id, address, link, opened_at_ms, opened_mono_ns, "
        "firmware_version, protocol, info, host, user, pid, irlink_version) VALUES (1, 1, "
        "'sim://multiport', 'sim', 0, 0, '1', '1.1', '{}', 'h', 'u', 1, '0')"
    )
    for at, status in enumerate(statuses):
        values, ports = rows_of(status)
        sample = db.execute(INSERT_SAMPLE, (1, at * 1000, at * 1000, 0, *values)).lastrowid
        db.executemany(INSERT_PORT, [(sample, *port) for port in ports])
    db.close()


def test_a_version_1_log_keeps_its_samples_and_sham_becomes_nullable(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    a_version_1_log(path, samples=5)
    with sqlite3.connect(path) as plain:
        before = plain.execute("SELECT * FROM port_samples ORDER BY sample_id, port").fetchall()
        sham = {row[1]: row[3] for row in plain.execute("PRAGMA table_info(port_samples)")}
    plain.close()
    assert len(before) == 10
    assert sham["sham"] == 1  # NOT NULL before

    with SessionLog.open(path) as log:
        db = log.db
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        after = db.execute("SELECT * FROM port_samples ORDER BY sample_id, port").fetchall()
        sham = {row[1]: row[3] for row in db.execute("PRAGMA table_info(port_samples)")}
        read = list(read_samples(db, [1]))
        masked = (before[0][0], 9, *before[0][2:11], None, *before[0][12:])
        log.write("masked", lambda w: w.execute(INSERT_PORT, masked))
        kept = db.execute("SELECT sham FROM port_samples WHERE port = 9").fetchone()
    assert after == before
    assert sham["sham"] == 0  # nullable: NULL is a sham masked
    assert [[p["remaining_s"] for p in s.ports] for s in read] == [
        [row[7] for row in before if row[0] == s.values["id"]] for s in read
    ]
    assert kept == (None,)


def test_a_version_2_log_keeps_every_row_and_gains_the_security_events_table(
    tmp_path: Path,
) -> None:
    path = four_days(tmp_path / "sessions.db")  # devices, connections, sessions, samples, ...
    with sqlite3.connect(path) as plain:  # back to schema 2, as irlink before issue 15 left it
        plain.execute("DROP TABLE security_events")
        plain.execute("PRAGMA user_version = 2")
    plain.close()
    before = _dump(path)
    assert "security_events" not in before
    assert len(before["samples"]) + len(before["sample_chunks"]) > 0
    assert before["sessions"]
    assert before["events"]
    assert before["connections"]

    with SessionLog.open(path) as log:
        assert log.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        recorder = log.journal("sim://waistband")
        recorder.security(
            SecurityEvent(SecurityKind.NOT_PAIRED, "refused", {"n": 1}, serial="WB-0001")
        ).result()
    after = _dump(path)
    assert {name: rows for name, rows in after.items() if name != "security_events"} == before
    [(kind, device, connection, data)] = after["security_events"]
    assert (kind, connection, data) == ("not_paired", None, '{"n": 1}')
    assert device == before["devices"][0][0]  # found by its serial


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in rowid order (the security events: kind, device, connection,
    data)."""
    with sqlite3.connect(path) as db:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        out = {}
        for name in names:
            if name == "security_events":
                sql = "SELECT kind, device_id, connection_id, data FROM security_events ORDER BY id"
            else:
                sql = f"SELECT * FROM {name} ORDER BY 1"
            out[name] = db.execute(sql).fetchall()
    db.close()
    return out
