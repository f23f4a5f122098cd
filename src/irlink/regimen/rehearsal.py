"""Rehearse a study end to end on simulated devices: synthetic participants, real runner.

:func:`simulate` creates a SYNTHETIC study from a regimen (``synthetic=1`` in the log,
printed as such on every page of its report), enrols P01, P02, ... on successive days
of a simulated calendar, and runs every visit of every participant when it falls due
through the same runner an operator uses (:func:`irlink.regimen.runner.run_visit`), on
simulated devices of the regimen's family reached through irlink's real front end
(:mod:`irlink.transport.pipe`, the codec, :class:`irlink.Device`, the recorder). The
answers come from the synthetic outcome model (:mod:`irlink.regimen.synthetic`), which
also decides who misses a visit and who withdraws.

One :class:`~irlink.sim.ManualClock` is the calendar (:mod:`irlink.regimen.clinic`): it
starts at :data:`SYNTHETIC_START`, a fixed date long before any real log; it stands
still while a visit is between its steps, moves a few seconds at a time while sessions
run (so that every pushed status is read and recorded as it would be live), and jumps
to the next thing due when nothing runs. Visit 1 is an hour after enrolment; visit k is
due ``k - 1`` intervals after visit 1 began, and is held up to half its window (at most
3 hours) early or late. Visits that fall together run together, each on its own
device, on the one clock.

Each participant has a device of their own (their belt, serial ``R<study id>-<code>``),
so its daily start limit and 24-hour windows never trip. Between visits it is switched
off and on its charger, out of the clock's way: switched on at the next visit it first
catches up (one step: it is off), so hundreds of devices cost nothing while they wait.
The session log's own times (sessions, samples, events) are the host's wall clock, as
the recorder stamps them; the study's (enrolment, visits, answers, audit) are the
simulated calendar's.
"""

from __future__ import annotations

import heapq
import itertools
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from irlink.record.store import SessionLog
from irlink.regimen.allocation import new_seed
from irlink.regimen.files import parse_regimen
from irlink.regimen.model import Regimen
from irlink.regimen.studies import (
    Participant,
    StudyError,
    StudyRecord,
    create_study,
    enrol,
    find_participant,
    withdraw,
)
from irlink.regimen.synthetic import OutcomeModel, Volunteer
from irlink.regimen.visits import miss_visit

if TYPE_CHECKING:
    from irlink.regimen.clinic import Clinic

__all__ = ["SYNTHETIC_START", "Progress", "Rehearsal", "simulate"]

SYNTHETIC_START = datetime(2001, 1, 1, 8, tzinfo=UTC)  # a Monday, 08:00 UTC
_HOLD_MAX = timedelta(hours=3)


@dataclass(frozen=True)
class Progress:
    """How far a rehearsal has got, on its simulated calendar."""

    study: str
    enrolled: int
    participants: int
    visits_done: int  # run, missed, or given up by a withdrawal
    visits: int  # every participant's every visit
    at: datetime


@dataclass(frozen=True)
class Rehearsal:
    """What a rehearsal did: its SYNTHETIC study, the visits, what was recorded, the time."""

    study: str
    regimen: str
    synthetic: bool
    seed: int
    participants: int
    visits_completed: int
    visits_short: int  # ended early (partial or unknown)
    visits_missed: int
    withdrawn: int
    sessions: int  # sessions the runner followed to their end
    delivered_s: int
    recorded_sessions: int  # in the session log (0 with the recording off)
    recorded_samples: int
    recorded: bool
    started: datetime  # on the simulated calendar
    ended: datetime
    wall_s: float


@dataclass
class _Person:
    """A synthetic participant: their record, their model and their sham or not."""

    record: Participant
    volunteer: Volunteer
    sham: bool


async def simulate(
    regimen_text: str,
    *,
    log: SessionLog,
    participants: int = 40,
    seed: int | None = None,
    record: bool = True,
    name: str | None = None,
    source: str = "<regimen>",
    model: OutcomeModel | None = None,
    start: datetime = SYNTHETIC_START,
    on_progress: Callable[[Progress], None] | None = None,
) -> Rehearsal:
    """Rehearse the regimen ``regimen_text`` with ``participants`` synthetic participants.

    ``seed`` (drawn if None; the summary says which) makes the allocation list and every
    answer the same on every run. ``record=False`` leaves out the devices' recording (no
    samples, sessions or events in the log); the study, its visits and answers are kept
    either way. The study is named ``name``, else ``<regimen>-rehearsal-<n>``.
    """
    from irlink.regimen.clinic import Clinic, check_settings  # noqa: PLC0415  (types stay light)

    began = time.perf_counter()
    regimen = parse_regimen(regimen_text, source)
    _check_size(regimen, participants)
    await check_settings(regimen, source)
    seed = new_seed() if seed is None else seed
    study = create_study(
        log,
        regimen_text,
        source=source,
        name=name or _next_name(log, regimen.name),
        synthetic=True,
        allocation_seed=seed,
        now=start,
    )
    clinic = Clinic(log, study, start, record=record)
    plan = _Plan(study, participants, seed, model or OutcomeModel(), clinic, on_progress)
    try:
        await plan.run()
    finally:
        await clinic.close()
    log.flush()
    return _summary(log, study, seed, participants, record, start, clinic.now(), began)


class _Plan:
    """The rehearsal's calendar: enrolments, visits, misses and withdrawals, in time order."""

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
        hold = min(self.visits.window / 2, _HOLD_MAX)
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
                withdraw(log, self.study, person.record.code, _WITHDRAWN, now=clinic.now())
            self.done += 1
        elif not volunteer.attends(number):
            current = find_participant(log, self.study, person.record.code)
            miss_visit(log, self.study, current, _MISSED, clinic.now())
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


_WITHDRAWN = "synthetic participant: withdrew (lost to follow-up)"
_MISSED = "synthetic participant: did not come"


def _check_size(regimen: Regimen, participants: int) -> None:
    """Refuse a number of participants the study's allocation list cannot take."""
    room = 999 if regimen.study is None else min(999, regimen.study.allocation.size)
    if not 1 <= participants <= room:
        raise StudyError(
            f"a rehearsal of {regimen.name} takes 1 to {room} participants, not {participants}"
            + ("" if room == 999 else " (the allocation list's size); raise allocation.size")
        )


def _next_name(log: SessionLog, regimen: str) -> str:
    """``<regimen>-rehearsal-<n>``, n one more than the log's last such rehearsal."""
    stem = f"{regimen}-rehearsal-"
    with log.reading() as db:
        names = [
            r[0] for r in db.execute("SELECT name FROM studies WHERE name LIKE ?", (stem + "%",))
        ]
    numbers = [int(n[len(stem) :]) for n in names if n[len(stem) :].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1}"


def _summary(
    log: SessionLog,
    study: StudyRecord,
    seed: int,
    participants: int,
    record: bool,
    start: datetime,
    end: datetime,
    began: float,
) -> Rehearsal:
    with log.reading() as db:
        outcomes = dict(
            db.execute(
                "SELECT v.outcome, count(*) FROM visits v JOIN participants p "
                "ON p.id = v.participant_id WHERE p.study_id = ? GROUP BY v.outcome",
                (study.id,),
            ).fetchall()
        )
        withdrawn = db.execute(
            "SELECT count(*) FROM participants WHERE study_id = ? AND withdrawn_at_ms IS NOT NULL",
            (study.id,),
        ).fetchone()[0]
        sessions, delivered = db.execute(
            "SELECT count(*), coalesce(sum(s.delivered_s), 0) FROM visit_sessions s "
            "JOIN visits v ON v.id = s.visit_id JOIN participants p ON p.id = v.participant_id "
            "WHERE p.study_id = ? AND s.end_reason IS NOT NULL",
            (study.id,),
        ).fetchone()
        recorded_sessions, samples = _recorded(db, study.id)
    return Rehearsal(
        study.name,
        study.regimen.name,
        True,
        seed,
        participants,
        outcomes.get("completed", 0),
        outcomes.get("partial", 0) + outcomes.get("unknown", 0),
        outcomes.get("missed", 0),
        withdrawn,
        sessions,
        delivered,
        recorded_sessions,
        samples,
        record,
        start,
        end,
        round(time.perf_counter() - began, 3),
    )


def _recorded(db: sqlite3.Connection, study_id: int) -> tuple[int, int]:
    """Sessions and samples the session log holds from the study's devices."""
    mine = "c.device_id IN (SELECT device_id FROM study_devices WHERE study_id = ?)"
    sessions = db.execute(
        "SELECT count(*) FROM sessions WHERE device_id IN "
        "(SELECT device_id FROM study_devices WHERE study_id = ?)",
        (study_id,),
    ).fetchone()[0]
    raw = db.execute(
        f"SELECT count(*) FROM samples s JOIN connections c ON c.id = s.connection_id WHERE {mine}",
        (study_id,),
    ).fetchone()[0]
    packed = db.execute(
        "SELECT coalesce(sum(k.count), 0) FROM sample_chunks k JOIN connections c "
        f"ON c.id = k.connection_id WHERE {mine}",
        (study_id,),
    ).fetchone()[0]
    return sessions, raw + packed
