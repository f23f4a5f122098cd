"""A study's CONSORT-style flow and its adherence: who went where, and what was delivered.

The flow: enrolled; allocated, per arm; received every allocated session (each visit of
the course ended with its session completed); withdrawn (with the reasons); lost to
follow-up (not withdrawn, and the last visit missed: recorded as missed, or its window
closed without it); still in follow-up; analysed, per item and arm (complete cases, as
:mod:`irlink.regimen.results.stats` counts them).

Adherence: visits done against those scheduled so far (a visit is scheduled once its
window has closed, or once it happened; visit 1 from enrolment; none after a
withdrawal), visits on time against those done, the dose delivered (the device's own
count) against the dose planned, and the deviations (visits that went ahead outside
their window, with the reason given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irlink.regimen.results.records import OfStudy, Participant, StudyData
from irlink.regimen.results.stats import complete_cases

__all__ = [
    "Adherence",
    "Deviation",
    "Dose",
    "Flow",
    "ParticipantAdherence",
    "Withdrawal",
    "adherence",
    "flow",
]


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A participant who withdrew: when, after how many visits, and why."""

    participant: str
    group: str
    at: datetime
    visits_done: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class Flow(OfStudy):
    """``irlink study report``: the CONSORT-style flow; counts are per group (arm or letter)."""

    enrolled: int
    allocated: dict[str, int]
    received_all: dict[str, int]  # every visit of the course ended, its session completed
    finished: dict[str, int]  # the last visit done
    withdrawn: dict[str, int]
    lost: dict[str, int]  # missed the last visit and not withdrawn
    in_follow_up: dict[str, int]  # neither finished, withdrawn nor lost yet
    analysed: dict[str, dict[str, int]]  # per NRS item, per group: complete cases
    withdrawals: tuple[Withdrawal, ...]


@dataclass(frozen=True, slots=True)
class Dose:
    """Visits scheduled, done and on time, and minutes planned and delivered, summed up."""

    participants: int
    scheduled: int  # visits due so far
    done: int
    on_time: int  # of those done
    planned_s: int  # over the sessions of the visits in the log
    delivered_s: int  # by the device's own count, over the sessions where it is known
    unknown_sessions: int  # sessions whose delivered time is not known (none counted above)
    delivered_share: float | None  # delivered / planned; None when nothing was planned


@dataclass(frozen=True, slots=True)
class ParticipantAdherence:
    """One participant's visits and dose."""

    participant: str
    group: str
    withdrawn: bool
    dose: Dose


@dataclass(frozen=True, slots=True)
class Deviation:
    """A visit that went ahead outside its window, and the reason given."""

    participant: str
    group: str
    visit: int
    started: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Adherence(OfStudy):
    """``irlink study report``: visits done on time against scheduled, dose against planned."""

    groups: dict[str, Dose]
    overall: Dose
    participants: tuple[ParticipantAdherence, ...]
    deviations: tuple[Deviation, ...]


def _finished(study: StudyData, person: Participant) -> bool:
    last = person.visit(study.visit_count)
    return last is not None and last.done


def _lost(study: StudyData, person: Participant, now: datetime) -> bool:
    if person.withdrawn is not None or _finished(study, person):
        return False
    last = person.visit(study.visit_count)
    missed = last is not None and last.state == "missed"
    return missed or _closes(study, person, study.visit_count) < now


def _closes(study: StudyData, person: Participant, number: int) -> datetime:
    """When visit ``number``'s window closes: ``number - 1`` intervals after visit 1 (or,
    before visit 1, after enrolment), plus the window."""
    first = person.visit(1)
    start = person.enrolled if first is None else first.started
    return start + study.interval * (number - 1) + study.window


def _received_all(study: StudyData, person: Participant) -> bool:
    return all(
        (v := person.visit(n)) is not None and v.done and v.outcome == "completed"
        for n in range(1, study.visit_count + 1)
    )


def _per_group(study: StudyData, counted: list[Participant]) -> dict[str, int]:
    return {g: sum(p.group == g for p in counted) for g in study.groups}


def flow(study: StudyData, now: datetime) -> Flow:
    """The flow of ``study`` as it stands at ``now``."""
    people = list(study.participants)
    finished = [p for p in people if _finished(study, p)]
    withdrawn = [p for p in people if p.withdrawn is not None and p not in finished]
    lost = [p for p in people if _lost(study, p, now)]
    ongoing = [p for p in people if p not in finished and p not in withdrawn and p not in lost]
    return Flow(
        study=study.name,
        synthetic=study.synthetic,
        blinded=study.blinded,
        enrolled=len(people),
        allocated=_per_group(study, people),
        received_all=_per_group(study, [p for p in people if _received_all(study, p)]),
        finished=_per_group(study, finished),
        withdrawn=_per_group(study, withdrawn),
        lost=_per_group(study, lost),
        in_follow_up=_per_group(study, ongoing),
        analysed={
            item.id: {g: len(pairs) for g, pairs in complete_cases(study, item).items()}
            for item in study.nrs_items
            if item.visits
        },
        withdrawals=tuple(
            Withdrawal(
                p.code,
                p.group,
                p.withdrawn,
                sum(v.done for v in p.visits),
                p.withdrawn_reason,
            )
            for p in people
            if p.withdrawn is not None
        ),
    )


def _scheduled(study: StudyData, person: Participant, now: datetime) -> int:
    until = now if person.withdrawn is None else min(now, person.withdrawn)
    return sum(
        n == 1 or person.visit(n) is not None or _closes(study, person, n) < until
        for n in range(1, study.visit_count + 1)
    )


def _dose(study: StudyData, people: list[Participant], now: datetime) -> Dose:
    visits = [v for p in people for v in p.visits]
    sessions = [s for v in visits for s in v.sessions]
    planned = sum(s.planned_s for s in sessions)
    delivered = sum(s.delivered_s or 0 for s in sessions)
    done = [v for v in visits if v.done]
    return Dose(
        participants=len(people),
        scheduled=sum(_scheduled(study, p, now) for p in people),
        done=len(done),
        on_time=sum(v.on_time for v in done),
        planned_s=planned,
        delivered_s=delivered,
        unknown_sessions=sum(s.delivered_s is None for s in sessions),
        delivered_share=delivered / planned if planned else None,
    )


def adherence(study: StudyData, now: datetime) -> Adherence:
    """The adherence of ``study``'s participants, as it stands at ``now``."""
    people = list(study.participants)
    return Adherence(
        study=study.name,
        synthetic=study.synthetic,
        blinded=study.blinded,
        groups={g: _dose(study, list(study.in_group(g)), now) for g in study.groups},
        overall=_dose(study, people, now),
        participants=tuple(
            ParticipantAdherence(p.code, p.group, p.withdrawn is not None, _dose(study, [p], now))
            for p in people
        ),
        deviations=tuple(
            Deviation(p.code, p.group, v.number, v.started, v.override_reason)
            for p in people
            for v in p.visits
            if v.override_reason
        ),
    )
