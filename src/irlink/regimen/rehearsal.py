"""Rehearse a study end to end on simulated devices: synthetic participants, real runner.

:func:`simulate` creates a SYNTHETIC study from a regimen (``synthetic=1`` in the log,
printed as such on every page of its report), enrols P01, P02, ... on successive days
of a simulated calendar, and runs every visit of every participant when it falls due
through the same runner an operator uses (:func:`irlink.regimen.runner.run_visit`), on
simulated devices of the regimen's family reached through irlink's real front end
(:mod:`irlink.transport.pipe`, the codec, :class:`irlink.Device`, the recorder). The
answers come from the synthetic outcome model (:mod:`irlink.regimen.synthetic`), which
also decides who misses a visit and who withdraws.

>>> import asyncio, pathlib, tempfile
>>> from irlink.record import SessionLog
>>> from irlink.regimen import example
>>> trial = example("gale-2006").read_text()
>>> with SessionLog.open(pathlib.Path(tempfile.mkdtemp()) / "log.db") as log:
...     done = asyncio.run(simulate(trial, log=log, participants=2, seed=1))
>>> done.study, done.synthetic, done.visits_completed, done.recorded_samples
('gale-2006-rehearsal-1', True, 14, 25214)

The calendar (:mod:`irlink.regimen.agenda`) starts at :data:`SYNTHETIC_START`, a fixed
date long before any real log: participants enrol a day apart and each visit falls due
inside its window. One :class:`~irlink.sim.ManualClock` keeps it
(:mod:`irlink.regimen.clinic`): it stands still while a visit is between its steps,
moves a few seconds at a time while sessions run (so that every pushed status is read
and recorded as it would be live), and jumps to the next thing due when nothing runs.
Visits that fall together run together, each on its own device, on the one clock.

Each participant has a device of their own (their belt, serial ``R<study id>-<code>``),
so its daily start limit and 24-hour windows never trip. Between visits it is switched
off and on its charger, out of the clock's way: switched on at the next visit it first
catches up (one step: it is off), so hundreds of devices cost nothing while they wait.
The session log's own times (sessions, samples, events) are the host's wall clock, as
the recorder stamps them; the study's (enrolment, visits, answers, audit) are the
simulated calendar's.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from irlink.record.store import SessionLog
from irlink.regimen.agenda import Agenda, Progress
from irlink.regimen.allocation import new_seed
from irlink.regimen.files import parse_regimen
from irlink.regimen.model import Regimen
from irlink.regimen.studies import StudyError, StudyRecord, create_study
from irlink.regimen.synthetic import OutcomeModel

__all__ = ["SYNTHETIC_START", "Progress", "Rehearsal", "simulate"]

SYNTHETIC_START = datetime(2001, 1, 1, 8, tzinfo=UTC)  # a Monday, 08:00 UTC


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
    plan = Agenda(study, participants, seed, model or OutcomeModel(), clinic, on_progress)
    try:
        await plan.run()
    finally:
        await clinic.close()
    log.flush()
    return _summary(log, study, seed, participants, record, start, clinic.now(), began)


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
