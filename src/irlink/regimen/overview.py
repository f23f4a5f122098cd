"""Reading studies back: every study in a log, where each participant is, the audit trail.

Nothing here writes. Arms are read only for a study that is no longer blinded: while
it is, :func:`progress` leaves every participant's arm out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from irlink.record.store import SessionLog
from irlink.regimen.schedule import Window
from irlink.regimen.studies import (
    Participant,
    StudyRecord,
    find_study,
    moment,
    participants,
    sealed_arm,
)
from irlink.regimen.visits import due_visit, visits_of

__all__ = ["AuditEntry", "Progress", "audit_trail", "progress", "slots", "studies"]


@dataclass(frozen=True)
class Progress:
    """Where a participant is in the course: visits done, the next one and when it is due.

    ``state`` is ``due_now`` (inside the next visit's window, or the first visit),
    ``upcoming`` (before it), ``overdue`` (after it), ``in_progress`` (a visit begun and
    not ended), ``done`` (every visit recorded) or ``withdrawn``. ``arm`` is None while
    the study is blinded.
    """

    participant: Participant
    done: int
    total: int
    missed: int
    deviations: int
    next_visit: int | None
    window: Window | None
    state: str
    arm: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One line of a study's audit trail: who did what, when, to whom and why."""

    at: datetime
    user: str
    host: str
    action: str
    participant: str | None
    reason: str | None
    data: dict[str, Any]


def studies(log: SessionLog) -> list[StudyRecord]:
    """Every study and course in the log, oldest first."""
    with log.reading() as db:
        names = [row[0] for row in db.execute("SELECT name FROM studies ORDER BY id")]
    return [find_study(log, name) for name in names]


def slots(log: SessionLog, study: StudyRecord) -> dict[str, int]:
    """How many slots each stratum's sealed list holds (never which arm is where)."""
    with log.reading() as db:
        rows = db.execute(
            "SELECT stratum, count(*) FROM allocation WHERE study_id = ? GROUP BY stratum "
            "ORDER BY stratum",
            (study.id,),
        ).fetchall()
    return {str(stratum): int(count) for stratum, count in rows}


def progress(log: SessionLog, study: StudyRecord, now: datetime | None = None) -> list[Progress]:
    """Every participant's progress at ``now`` (default: now), in enrolment order."""
    at = datetime.now(UTC) if now is None else now
    found = []
    for person in participants(log, study):
        visits = visits_of(log, person)
        due = due_visit(log, study, person)
        state = _state(due.window, at)
        if person.withdrawn is not None:
            state = "withdrawn"
        elif due.course_done:
            state = "done"
        elif due.resume is not None:
            state = "in_progress"
        finished = person.withdrawn is not None or due.course_done
        found.append(
            Progress(
                person,
                sum(v.state == "ended" for v in visits),
                study.regimen.visits.count,
                sum(v.state == "missed" for v in visits),
                sum(not v.on_time and v.state != "missed" for v in visits),
                None if finished else due.number,
                None if finished else due.window,
                state,
                _arm(log, study, person),
            )
        )
    return found


def _state(window: Window, at: datetime) -> str:
    if window.opens is not None and at < window.opens:
        return "upcoming"
    if window.closes is not None and at > window.closes:
        return "overdue"
    return "due_now"


def _arm(log: SessionLog, study: StudyRecord, person: Participant) -> str | None:
    if study.kind != "study" or study.blinded:
        return None
    with log.reading() as db:
        return sealed_arm(db, person.id)


def audit_trail(log: SessionLog, study: StudyRecord) -> list[AuditEntry]:
    """The study's audit trail, oldest first."""
    with log.reading() as db:
        rows = db.execute(
            "SELECT a.at_ms, a.user, a.host, a.action, p.code, a.reason, a.data FROM audit a "
            "LEFT JOIN participants p ON p.id = a.participant_id WHERE a.study_id = ? "
            "ORDER BY a.id",
            (study.id,),
        ).fetchall()
    return [
        AuditEntry(
            moment(at_ms) or datetime.min.replace(tzinfo=UTC),
            user,
            host,
            action,
            code,
            reason,
            json.loads(data),
        )
        for at_ms, user, host, action, code, reason, data in rows
    ]
