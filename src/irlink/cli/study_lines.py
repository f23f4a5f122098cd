"""What ``irlink study`` (its admin commands) and ``irlink regimen`` print with ``--json``.

Times are ISO 8601 in UTC. No line carries a participant's arm while the study is
blinded: ``participant.arm`` is null until then, and only ``unblinded`` names arms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from irlink.regimen.files import Problem
from irlink.regimen.overview import AuditEntry, Progress
from irlink.regimen.studies import StudyRecord

__all__ = [
    "STUDY_KINDS",
    "Enrolled",
    "Missed",
    "ParticipantLine",
    "RegimenExample",
    "RegimenFits",
    "StudyLine",
    "Unblinded",
    "Withdrawn",
    "participant_line",
    "study_line",
]


@dataclass(frozen=True, slots=True)
class StudyLine:
    """``irlink study create``, ``list``, and the first line of ``status``: one study.

    ``kind`` is ``study`` (arms, a sealed allocation list) or ``course`` (one person's
    regimen). ``slots`` is the length of each stratum's sealed list ("" when not
    stratified; empty for a course), never which arm is where. ``synthetic``: a
    rehearsal, never evidence.
    """

    name: str
    kind: str
    regimen: str
    title: str
    family: str
    created_at: datetime
    blinded: bool
    unblinded_at: datetime | None
    synthetic: bool
    arms: int
    slots: dict[str, int]
    participants: int


@dataclass(frozen=True, slots=True)
class Enrolled:
    """``irlink study enrol``: the participant took the next slot of their stratum."""

    study: str
    participant: str
    stratum: str
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class ParticipantLine:
    """``irlink study status``: where one participant is in the course.

    ``state`` is due_now, upcoming, overdue, in_progress, done or withdrawn; the next
    visit's ``due_at``, ``opens_at`` and ``closes_at`` are null when it may be any time
    (the first visit). ``arm`` is null while the study is blinded.
    """

    study: str
    participant: str
    stratum: str
    enrolled_at: datetime
    withdrawn_at: datetime | None
    withdrawn_reason: str | None
    visits_done: int
    visits_total: int
    missed: int
    deviations: int
    next_visit: int | None
    due_at: datetime | None
    opens_at: datetime | None
    closes_at: datetime | None
    state: str
    arm: str | None


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """``irlink study withdraw``: no further visits; what was recorded stays."""

    study: str
    participant: str
    withdrawn_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Missed:
    """``irlink study miss``: the visit due was recorded as missed."""

    study: str
    participant: str
    visit: int
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Unblinded:
    """``irlink study unblind``: the arms revealed (participant code to arm).

    ``participant`` is the one unblinded, or null when the whole study was.
    """

    study: str
    participant: str | None
    at: datetime
    reason: str
    arms: dict[str, str]


@dataclass(frozen=True, slots=True)
class RegimenFits:
    """``irlink regimen check``: the regimen fits the device (or its family's profile).

    ``against`` is ``device`` (connected at ``address``) or ``profile`` (the family's
    published limits; ``serial`` and ``address`` are then null).
    """

    regimen: str
    file: str
    family: str
    against: str
    address: str | None
    model: str
    serial: str | None
    visits: int
    summary: str


@dataclass(frozen=True, slots=True)
class RegimenExample:
    """``irlink regimen examples``: a regimen shipped with irlink (``irlink regimen show``)."""

    name: str
    title: str
    family: str
    study: bool


STUDY_KINDS: dict[str, type[Any]] = {
    "study": StudyLine,
    "enrolled": Enrolled,
    "participant": ParticipantLine,
    "withdrawn": Withdrawn,
    "missed": Missed,
    "unblinded": Unblinded,
    "audit": AuditEntry,
    "regimen_fits": RegimenFits,
    "regimen_problem": Problem,
    "regimen_example": RegimenExample,
}


def study_line(study: StudyRecord, slots: dict[str, int], participants: int) -> StudyLine:
    """A study as its ``study`` line."""
    regimen = study.regimen
    return StudyLine(
        study.name,
        study.kind,
        regimen.name,
        regimen.title,
        regimen.family,
        study.created,
        study.blinded,
        study.unblinded,
        study.synthetic,
        len(regimen.study.arms) if regimen.study is not None else 0,
        slots,
        participants,
    )


def participant_line(study: str, row: Progress) -> ParticipantLine:
    """A participant's progress as its ``participant`` line."""
    person, window = row.participant, row.window
    return ParticipantLine(
        study,
        person.code,
        person.stratum,
        person.enrolled,
        person.withdrawn,
        person.withdrawn_reason,
        row.done,
        row.total,
        row.missed,
        row.deviations,
        row.next_visit,
        None if window is None else window.due,
        None if window is None else window.opens,
        None if window is None else window.closes,
        row.state,
        row.arm,
    )
