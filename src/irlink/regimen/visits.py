"""A participant's visits in the log: which is due, and each visit's record as it happens.

The runner writes a visit in steps, each committed before the next thing happens on
the device: the visit begun (with its window and any override), the before-session
measures, the sessions planned (with the session ids chosen before ``start`` is sent,
so a crash between the two is recognised later), each session's end, the after-session
measures, and the visit's end. A visit found begun but not ended is the one a crash,
a lost link or a restart interrupted: :func:`due_visit` hands it back to resume.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from irlink.record.store import SessionLog
from irlink.regimen.schedule import Window, window
from irlink.regimen.studies import (
    Participant,
    StudyError,
    StudyRecord,
    audit,
    commit,
    moment,
    ms,
)

__all__ = [
    "Due",
    "PlannedSession",
    "VisitRecord",
    "begin_visit",
    "confirm_start",
    "due_visit",
    "end_session",
    "end_visit",
    "first_visit_start",
    "miss_visit",
    "plan_sessions",
    "save_measures",
    "visit_device",
    "visits_of",
]


@dataclass(frozen=True)
class PlannedSession:
    """One port's session of a visit: planned, and (once ended) what the device delivered."""

    port: int
    session_id: int
    planned_s: int
    delivered_s: int | None
    end_reason: str | None
    started: bool = False  # the device confirmed the start


@dataclass(frozen=True)
class VisitRecord:
    """A visit as kept: never the arm."""

    id: int
    number: int
    state: str  # measuring, running, ended, missed
    started: datetime
    ended: datetime | None
    on_time: bool
    override_reason: str | None
    outcome: str | None
    detail: str
    address: str | None
    sessions: tuple[PlannedSession, ...]
    measures: dict[tuple[str, str], int | str | None]  # (item, phase) -> answer


@dataclass(frozen=True)
class Due:
    """The visit a participant is due for: a new one, or one to resume."""

    number: int
    window: Window
    resume: VisitRecord | None  # begun and never ended: carry it on
    course_done: bool  # every visit of the course is recorded


def visits_of(log: SessionLog, participant: Participant) -> list[VisitRecord]:
    """Every visit recorded for ``participant``, in order."""
    with log.reading() as db:
        rows = db.execute(
            "SELECT id, number, state, started_at_ms, ended_at_ms, on_time, override_reason, "
            "outcome, detail, address FROM visits WHERE participant_id = ? ORDER BY number",
            (participant.id,),
        ).fetchall()
        found = []
        for row in rows:
            planned = db.execute(
                "SELECT port, session_id, planned_s, delivered_s, end_reason, started "
                "FROM visit_sessions WHERE visit_id = ? ORDER BY port",
                (row[0],),
            ).fetchall()
            answers = {
                (item, phase): score if score is not None else text
                for item, phase, score, text in db.execute(
                    "SELECT item, phase, score, text FROM measures WHERE visit_id = ?", (row[0],)
                )
            }
            found.append(
                VisitRecord(
                    row[0],
                    row[1],
                    row[2],
                    moment(row[3]) or datetime.min,
                    moment(row[4]),
                    bool(row[5]),
                    row[6],
                    row[7],
                    row[8],
                    row[9],
                    tuple(PlannedSession(*p) for p in planned),
                    answers,
                )
            )
    return found


def first_visit_start(visits: list[VisitRecord]) -> datetime | None:
    """When visit 1 started (the course's clock), if it has."""
    return next((v.started for v in visits if v.number == 1 and v.state != "missed"), None)


def due_visit(log: SessionLog, study: StudyRecord, participant: Participant) -> Due:
    """The visit ``participant`` is due for next, or the interrupted one to resume."""
    visits = visits_of(log, participant)
    unfinished = next((v for v in visits if v.state in ("measuring", "running")), None)
    first = first_visit_start(visits)
    count = study.regimen.visits.count
    if unfinished is not None:
        return Due(
            unfinished.number,
            window(study.regimen.visits, first, unfinished.number),
            unfinished,
            False,
        )
    number = max((v.number for v in visits), default=0) + 1
    return Due(
        min(number, count),
        window(study.regimen.visits, first, min(number, count)),
        None,
        number > count,
    )


def begin_visit(
    log: SessionLog,
    study: StudyRecord,
    participant: Participant,
    due: Due,
    at: datetime,
    *,
    address: str,
    override: str | None = None,
) -> int:
    """Record that visit ``due.number`` begins now; refused outside its window without
    an override reason, and for a withdrawn participant."""
    on_time = due.window.contains(at)
    if participant.withdrawn is not None:
        raise StudyError(
            f"{participant.code} was withdrawn from {study.name} "
            f"({participant.withdrawn_reason}); no further visits"
        )
    if due.course_done:
        raise StudyError(f"{participant.code} has had every visit of {study.name}")
    if not on_time and not (override and override.strip()):
        opens, closes = due.window.opens, due.window.closes
        raise StudyError(
            f"visit {due.number} of {participant.code} is due {_when(due.window.due)}, on time "
            f"from {_when(opens)} to {_when(closes)}: now is outside its window. To run it "
            "anyway, record why: --override 'REASON' (kept as a protocol deviation)"
        )

    def work(db: sqlite3.Connection) -> int:
        cursor = db.execute(
            "INSERT INTO visits (participant_id, number, state, due_at_ms, started_at_ms, "
            "address, on_time, override_reason) VALUES (?, ?, 'measuring', ?, ?, ?, ?, ?)",
            (
                participant.id,
                due.number,
                None if due.window.due is None else ms(due.window.due),
                ms(at),
                address,
                int(on_time),
                None if on_time else override,
            ),
        )
        visit_id = int(cursor.lastrowid or 0)
        audit(db, study.id, "visit", at, participant_id=participant.id, visit=due.number)
        if not on_time:
            audit(
                db,
                study.id,
                "deviation",
                at,
                participant_id=participant.id,
                reason=override,
                visit=due.number,
                due=_when(due.window.due),
            )
        return visit_id

    return commit(log, "visit", work)


def _when(at: datetime | None) -> str:
    return "any time" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


def save_measures(
    log: SessionLog, visit_id: int, phase: str, answers: dict[str, int | str | None], at: datetime
) -> None:
    """Keep a visit's answers for ``phase`` (before, after); a None answer is not kept."""
    rows = [
        (
            visit_id,
            item,
            phase,
            value if isinstance(value, int) else None,
            value if isinstance(value, str) else None,
            ms(at),
        )
        for item, value in answers.items()
        if value is not None
    ]
    commit(
        log,
        "visit",
        lambda db: (
            db.executemany(
                "INSERT OR REPLACE INTO measures (visit_id, item, phase, score, text, at_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            and None
        ),
    )


def plan_sessions(
    log: SessionLog,
    visit_id: int,
    study_id: int,
    device: tuple[str, str, str, bool],
    planned: list[tuple[int, int, int]],
) -> None:
    """Before ``start`` is sent: the device, and per port its session id and planned seconds.

    ``device`` is (family, model, serial, simulated): the device is registered with the
    study, so every irlink command masks its sham while the study is blinded.
    """

    def work(db: sqlite3.Connection) -> None:
        row = db.execute(
            "SELECT id FROM devices WHERE family = ? AND model = ? AND serial = ? "
            "AND simulated = ?",
            (*device[:3], int(device[3])),
        ).fetchone()
        device_id = None if row is None else row[0]
        if device_id is not None:
            db.execute("INSERT OR IGNORE INTO study_devices VALUES (?, ?)", (study_id, device_id))
        db.execute(
            "UPDATE visits SET state = 'running', device_id = ? WHERE id = ?",
            (device_id, visit_id),
        )
        db.executemany(
            "INSERT OR REPLACE INTO visit_sessions (visit_id, port, session_id, planned_s) "
            "VALUES (?, ?, ?, ?)",
            [(visit_id, port, sid, planned_s) for port, sid, planned_s in planned],
        )

    commit(log, "visit", work)


def confirm_start(log: SessionLog, visit_id: int, port: int) -> None:
    """The device confirmed the start of the visit's session on ``port``."""
    commit(
        log,
        "visit",
        lambda db: (
            db.execute(
                "UPDATE visit_sessions SET started = 1 WHERE visit_id = ? AND port = ?",
                (visit_id, port),
            )
            and None
        ),
    )


def visit_device(log: SessionLog, visit_id: int) -> tuple[str, str, str, bool] | None:
    """The device a visit's sessions were planned on: (family, model, serial, simulated)."""
    with log.reading() as db:
        row = db.execute(
            "SELECT d.family, d.model, d.serial, d.simulated FROM visits v "
            "JOIN devices d ON d.id = v.device_id WHERE v.id = ?",
            (visit_id,),
        ).fetchone()
    return None if row is None else (row[0], row[1], row[2], bool(row[3]))


def end_session(
    log: SessionLog, visit_id: int, port: int, delivered_s: int | None, end_reason: str
) -> None:
    """A visit's session on ``port`` ended: how, and what the device delivered."""
    commit(
        log,
        "visit",
        lambda db: (
            db.execute(
                "UPDATE visit_sessions SET delivered_s = ?, end_reason = ? WHERE visit_id = ? "
                "AND port = ?",
                (delivered_s, end_reason, visit_id, port),
            )
            and None
        ),
    )


def end_visit(
    log: SessionLog,
    study_id: int,
    participant_id: int,
    visit_id: int,
    outcome: str,
    detail: str,
    at: datetime,
) -> None:
    """The visit is over: its outcome (completed, partial, not_started, unknown)."""

    def work(db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE visits SET state = 'ended', ended_at_ms = ?, outcome = ?, detail = ? "
            "WHERE id = ?",
            (ms(at), outcome, detail, visit_id),
        )
        audit(
            db,
            study_id,
            "visit_ended",
            at,
            participant_id=participant_id,
            outcome=outcome,
            visit_id=visit_id,
        )

    commit(log, "visit", work)


def miss_visit(
    log: SessionLog, study: StudyRecord, participant: Participant, reason: str, at: datetime
) -> int:
    """Record that the visit due did not happen (the participant did not come): its number."""
    if participant.withdrawn is not None:
        raise StudyError(f"{participant.code} was withdrawn from {study.name}: no visit is due")
    due = due_visit(log, study, participant)
    if due.resume is not None:
        raise StudyError(
            f"visit {due.number} of {participant.code} was begun; finish it with "
            f"`irlink study visit {study.name} --participant {participant.code}`"
        )
    if due.course_done:
        raise StudyError(f"{participant.code} has had every visit of {study.name}")
    if not reason.strip():
        raise StudyError("a missed visit needs a reason; give --reason")

    def work(db: sqlite3.Connection) -> int:
        db.execute(
            "INSERT INTO visits (participant_id, number, state, due_at_ms, started_at_ms, "
            "on_time, outcome, detail) VALUES (?, ?, 'missed', ?, ?, 0, 'missed', ?)",
            (
                participant.id,
                due.number,
                None if due.window.due is None else ms(due.window.due),
                ms(at),
                reason,
            ),
        )
        audit(
            db,
            study.id,
            "missed",
            at,
            participant_id=participant.id,
            reason=reason,
            visit=due.number,
        )
        return due.number

    return commit(log, "visit", work)
