"""Whole-study unblinding writes each session's sham flag, on devices that reuse ids."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from irlink.record import SessionLog
from irlink.regimen.studies import create_study, enrol, find_study, ms, unblind
from tests.regimen.test_rehearsal import SHORT

DAY0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_reused_session_id_takes_the_arm_of_the_last_visit_before_it(tmp_path: Path) -> None:
    """One shared device: P01's session 7, then P02's 8, then P02's 7 again."""
    with SessionLog.open(tmp_path / "log.db") as log:
        study = create_study(log, SHORT, now=DAY0)
        first, second = enrol(log, study, "P01", now=DAY0), enrol(log, study, "P02", now=DAY0)
        plan = ((first.id, 1, 0, 7), (second.id, 1, 2, 8), (second.id, 2, 48, 7))

        def rows(db: sqlite3.Connection) -> None:
            device = db.execute(
                "INSERT INTO devices (family, model, serial, simulated, first_seen_at_ms, "
                "last_seen_at_ms, firmware_version, hardware_version, info) "
                "VALUES ('waistband', 'WB-1', '0001', 1, 0, 0, '1.0', '1', '{}')"
            ).lastrowid
            for participant, number, hours, session_id in plan:
                at = ms(DAY0 + timedelta(hours=hours))
                visit = db.execute(
                    "INSERT INTO visits (participant_id, number, state, started_at_ms, "
                    "device_id, on_time) VALUES (?, ?, 'ended', ?, ?, 1)",
                    (participant, number, at, device),
                ).lastrowid
                db.execute(
                    "INSERT INTO visit_sessions VALUES (?, 1, ?, 600, 600, 'completed', 1)",
                    (visit, session_id),
                )
                db.execute(
                    "INSERT INTO sessions (device_id, port, session_id, source, started_at_ms) "
                    "VALUES (?, 1, ?, 'live', ?)",
                    (device, session_id, at + 1000),
                )

        log.submit("test", rows).result()
        arms = unblind(log, find_study(log, study.name), "the analysis")
        with log.reading() as db:
            shams = [s for (s,) in db.execute("SELECT sham FROM sessions ORDER BY started_at_ms")]
    assert arms["P01"] != arms["P02"]  # a block of two: one of each
    sham = {code: int(arm == "sham") for code, arm in arms.items()}
    assert shams == [sham["P01"], sham["P02"], sham["P02"]]
