"""A study's records as plain values: participants, their visits, sessions and answers.

:func:`irlink.regimen.results.data.read_study` makes them from the session log, masked
while the study is blinded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Answer",
    "Item",
    "OfStudy",
    "Participant",
    "StudyData",
    "Visit",
    "VisitSession",
]


@dataclass(frozen=True, slots=True)
class OfStudy:
    """The study a result is of, and how to read it: its groups are sealed letters while
    ``blinded``; ``synthetic``, a rehearsal made by ``irlink study simulate``, never evidence."""

    study: str
    synthetic: bool
    blinded: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """One item answered at a visit: an NRS score (0-10) or free text."""

    item: str
    phase: str  # before, after
    score: int | None
    text: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class VisitSession:
    """One port's session at a visit: planned, and delivered by the device's own count."""

    port: int
    session_id: int
    planned_s: int
    delivered_s: int | None  # None: not known
    end_reason: str | None  # None: not ended yet, or never started


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit of a participant: when, whether on time, how it ended, what was measured."""

    number: int
    state: str  # measuring, running, ended, missed
    due: datetime | None  # None for the first visit
    started: datetime
    ended: datetime | None
    on_time: bool
    override_reason: str | None  # why a visit outside its window went ahead
    outcome: str | None  # completed, partial, not_started, unknown, missed
    sessions: tuple[VisitSession, ...]
    answers: tuple[Answer, ...]

    @property
    def done(self) -> bool:
        """Whether the visit took place and ended (whatever its session did)."""
        return self.state == "ended"

    @property
    def planned_s(self) -> int | None:
        """Seconds planned over its sessions; None when it has none in the log."""
        return sum(s.planned_s for s in self.sessions) if self.sessions else None

    @property
    def delivered_s(self) -> int | None:
        """Seconds delivered over its sessions; None when any is not known, or none ran."""
        known = [s.delivered_s for s in self.sessions]
        return None if not known or None in known else sum(d or 0 for d in known)

    def score(self, item: str, phase: str) -> int | None:
        """The NRS score given for ``item`` in ``phase``; None if not given."""
        found = next((a for a in self.answers if a.item == item and a.phase == phase), None)
        return None if found is None else found.score


@dataclass(frozen=True, slots=True)
class Participant:
    """One participant: pseudonymous code, group (a letter while blinded) and visits."""

    code: str
    stratum: str
    group: str  # the arm's letter while the study is blinded, its name once unblinded
    arm: str | None  # the arm's name: None while the study is blinded
    enrolled: datetime
    withdrawn: datetime | None
    withdrawn_reason: str | None
    unblinded: bool  # their arm was revealed to someone, alone (an emergency)
    visits: tuple[Visit, ...]

    def visit(self, number: int) -> Visit | None:
        """Their visit ``number``, if the log has it."""
        return next((v for v in self.visits if v.number == number), None)


@dataclass(frozen=True, slots=True)
class Item:
    """One measure of the regimen: what is asked, when, and at which visits."""

    id: str
    kind: str  # nrs, text
    label: str  # the question; its id while blinded if the question names an arm
    phase: str  # before, after
    visits: tuple[int, ...]
    required: bool  # a visit needs an answer


@dataclass(frozen=True, slots=True)
class StudyData:
    """A study as its results need it, masked as its blinding requires."""

    name: str
    kind: str  # study, or course (one person's regimen)
    regimen: str  # the regimen's name
    title: str | None  # None while blinded when the title names an arm
    blinded: bool
    synthetic: bool  # a rehearsal (irlink study simulate): never evidence
    placebo_credible: bool | None  # whether the inactive device feels the same; None: a course
    created: datetime
    unblinded_at: datetime | None
    visit_count: int
    interval: timedelta
    window: timedelta
    groups: tuple[str, ...]  # letters while blinded, else arm names, in the order shown
    reference: str  # the group the others are compared with
    items: tuple[Item, ...]
    participants: tuple[Participant, ...]

    @property
    def nrs_items(self) -> tuple[Item, ...]:
        """The 0-10 pain items, whose scores the results table analyses."""
        return tuple(item for item in self.items if item.kind == "nrs")

    def in_group(self, group: str) -> tuple[Participant, ...]:
        """The participants allocated to ``group``."""
        return tuple(p for p in self.participants if p.group == group)
