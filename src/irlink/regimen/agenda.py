"""A rehearsal's agenda: its synthetic participants' enrolments, visits, misses and
withdrawals, each done in time order on the clinic's simulated calendar.

Participants enrol a day apart (in a stratified study, each in a stratum drawn from
the seed). Visit 1 is an hour after enrolment; visit k is due
``k - 1`` intervals after visit 1 began and is held up to half its window (at most 3
hours) early or late, drawn from the rehearsal's seed. A participant the outcome model
(:mod:`irlink.regimen.synthetic`) has leave is withdrawn when their next visit falls due,
and a visit they miss is recorded missed when it falls due.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from irlink.regimen.studies import Participant, StudyRecord, enrol, find_participant, withdraw
from irlink.regimen.synthetic import OutcomeModel, Volunteer
from irlink.regimen.visits import miss_visit

if TYPE_CHECKING:
    from irlink.regimen.clinic import Clinic

__all__ = ["MISSED", "WITHDRAWN", "Agenda", "Progress"]

HOLD_MAX = timedelta(hours=3)


@dataclass(frozen=True)
class Progress:
    """How far a rehearsal has got, on its simulated calendar."""

    study: str
    enrolled: int
    participants: int
    visits_done: int  # run, missed, or given up by a withdrawal
    visits: int  # every participant's every visit
    at: datetime


@dataclass
class _Person:
    """A synthetic participant: their record, their model and their sham or not."""

    record: Participant
    volunteer: Volunteer
    sham: bool


class Agenda:
    """A rehearsal's calendar: enrolments, visits, misses and withdrawals, in time order."""

    def __init__(
        self,
        study: StudyRecord,
        participants: int,
        seed: int,
        model: OutcomeModel,
        clinic: Clinic,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self.study, self.seed, self.model, self.clinic = study, seed, model, clinic
        self.on_progress = on_progress
        self.count = participants
        self.visits = study.regimen.visits
        self.codes = [
            f"P{n:0{max(2, len(str(participants)))}d}" for n in range(1, participants + 1)
        ]
        self.people: dict[str, _Person] = {}
        self.done = 0
        self.agenda: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()  # same time: first planned, first done
        for day, code in enumerate(self.codes):
            self._at(clinic.start + timedelta(days=day), partial(self._enrol, code))

    def _at(self, when: datetime, action: Callable[[], None]) -> None:
        heapq.heappush(self.agenda, (when, next(self.order), action))

    async def run(self) -> None:
        """Everything on the calendar, in time order, the visits through the runner."""
        while self.agenda:
            when, _, action = heapq.heappop(self.agenda)
            await self.clinic.until(when, self._visit_ended)
            action()
        await self.clinic.until_idle(self._visit_ended)

    def _enrol(self, code: str) -> None:
        clinic, regimen = self.clinic, self.study.regimen
        factors = regimen.study.allocation.strata if regimen.study is not None else {}
        pick = random.Random(f"{self.seed}/{code}/stratum")
        stratum = {factor: pick.choice(levels) for factor, levels in sorted(factors.items())}
        record = enrol(clinic.log, self.study, code, stratum=stratum, now=clinic.now())
        volunteer = self.model.volunteer(self.seed, code, self.visits.count, regimen.measures)
        person = _Person(record, volunteer, clinic.sham(record))
        self.people[code] = person
        clinic.add_device(code)
        first = clinic.now() + timedelta(hours=1)
        hold = min(self.visits.window / 2, HOLD_MAX)
        draw = random.Random(f"{self.seed}/{code}/calendar")
        for number in range(1, self.visits.count + 1):
            due = first + self.visits.interval * (number - 1)
            if number > 1:
                due += timedelta(minutes=round(draw.uniform(-1, 1) * hold / timedelta(minutes=1)))
            self._at(due, partial(self._visit, person, number))
        self._progress()

    def _visit(self, person: _Person, number: int) -> None:
        volunteer, clinic, log = person.volunteer, self.clinic, self.clinic.log
        leaves = volunteer.withdraws_after
        if clinic.busy(person.record.code):  # their last visit still runs: a minute later
            self._at(clinic.now() + timedelta(minutes=1), partial(self._visit, person, number))
            return
        if leaves is not None and number > leaves:
            if number == leaves + 1:
                withdraw(log, self.study, person.record.code, WITHDRAWN, now=clinic.now())
            self.done += 1
        elif not volunteer.attends(number):
            current = find_participant(log, self.study, person.record.code)
            miss_visit(log, self.study, current, MISSED, clinic.now())
            self.done += 1
        else:
            regimen = self.study.regimen
            asked = regimen.measures_at(number, "before") + regimen.measures_at(number, "after")
            answers = volunteer.answers(number, person.sham, asked)
            clinic.begin(person.record, answers)
        self._progress()

    def _visit_ended(self) -> None:
        self.done += 1
        self._progress()

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                Progress(
                    self.study.name,
                    len(self.people),
                    self.count,
                    self.done,
                    self.count * self.visits.count,
                    self.clinic.now(),
                )
            )


WITHDRAWN = "synthetic participant: withdrew (lost to follow-up)"
MISSED = "synthetic participant: did not come"
