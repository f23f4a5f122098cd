"""The runner: one visit of a course or a study, from its window to its after-session answers.

>>> import asyncio, irlink, tempfile, pathlib
>>> from irlink.record import SessionLog
>>> from irlink.regimen import example
>>> from irlink.regimen.runner import run_visit
>>> from irlink.regimen.studies import create_study, enrol
>>> async def visit(log: SessionLog) -> str:
...     async with irlink.connect("sim://waistband?speed=3600", log=log, blind=True) as device:
...         done = await run_visit(log, "gale-2006", "P01", device, answers=ANSWERS)
...     return done.outcome
>>> ANSWERS = {"nrs_overall": 7, "nrs_rotating": 8, "nrs_bending": 6}
>>> with SessionLog.open(pathlib.Path(tempfile.mkdtemp()) / "log.db") as log:
...     trial = create_study(log, example("gale-2006").read_text())
...     _ = enrol(log, trial, "P01")
...     asyncio.run(visit(log))
'completed'

Each step is committed to the session log before the next happens on the device: the
visit begun (refused outside its window unless an override reason is given, which is
kept as a protocol deviation), the before-session answers, the session ids chosen
*before* ``start`` is sent, each session's end as the device reported it, the
after-session answers, the visit's end. Run again after a crash, a lost link or a
device restart, the same call finds the visit begun and carries it on: it follows a
session still running, takes the end of one that finished meanwhile from the device's
usage log, starts only a session the device has no trace of, and never starts one twice
or makes one longer. The device's own timer ends every session.

For a blinded study the device must be connected with ``blind=True``
(:func:`irlink.connect`): the arm's sham setting is sent to the device and masked in
everything that comes back.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from irlink.device import Device
from irlink.events import DeviceEvent, SessionEnded
from irlink.model import UsageRecord
from irlink.protocol.messages import CapabilityFlags, PortState
from irlink.record.store import SessionLog
from irlink.regimen.model import Measure
from irlink.regimen.studies import (
    Participant,
    StudyError,
    StudyRecord,
    find_participant,
    find_study,
    sealed_arm,
)

if TYPE_CHECKING:
    from irlink.sync import Device as SyncDevice

from irlink.regimen.visits import (
    Due,
    PlannedSession,
    begin_visit,
    confirm_start,
    due_visit,
    end_session,
    end_visit,
    plan_sessions,
    save_measures,
    visit_device,
)

__all__ = [
    "Answer",
    "Asker",
    "SessionDone",
    "VisitDone",
    "VisitInterrupted",
    "run_visit",
    "run_visit_sync",
]

Answer = int | str | None
Asker = Callable[[Measure, int], Answer | Awaitable[Answer]]
_Ask = Callable[[Measure, int], Answer]


@dataclass(frozen=True)
class SessionDone:
    """One port's session of the visit, as the device reported its end."""

    port: int
    session_id: int
    planned_s: int
    delivered_s: int | None  # None: the device kept no count (a restart cut it)
    end_reason: str


@dataclass(frozen=True)
class VisitDone:
    """How a visit ended; ``completed`` only when every session ran its whole length."""

    study: str
    participant: str
    number: int
    outcome: str  # completed, partial, unknown
    on_time: bool
    resumed: bool  # carried on after an interruption
    sessions: tuple[SessionDone, ...]
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    detail: str = ""

    @property
    def completed(self) -> bool:
        """Whether every session of the visit ran its planned time."""
        return self.outcome == "completed"


class VisitInterrupted(StudyError):
    """The visit could not be followed to its end; it stays open, to be carried on."""


def _now() -> datetime:
    return datetime.now(UTC)


async def run_visit(
    log: SessionLog,
    study: str | StudyRecord,
    participant: str | Participant,
    device: Device,
    *,
    answers: Mapping[str, Answer] | None = None,
    ask: Asker | None = None,
    override: str | None = None,
    on_event: Callable[[DeviceEvent], None] | None = None,
    clock: Callable[[], datetime] = _now,
) -> VisitDone:
    """Run (or carry on) the visit ``participant`` is due for, on ``device``.

    Answers to the measures come from ``answers`` (item id -> value) and, for items not
    there, from ``ask(measure, visit)`` (which may be a coroutine function); an NRS item
    is an integer 0-10. ``override`` is the reason to run a visit outside its window.
    ``on_event`` sees every device event while the sessions run (a live view). ``clock``
    gives the time the visit is reckoned at (a simulated clock in rehearsals).
    """
    record = study if isinstance(study, StudyRecord) else find_study(log, study)
    person = (
        participant
        if isinstance(participant, Participant)
        else find_participant(log, record, participant)
    )
    regimen = record.regimen
    if device.info.family.name.lower() != regimen.family:
        raise StudyError(
            f"{record.name} runs on a {regimen.family}; {device.address} is a "
            f"{device.info.family.name.lower()}: connect the study's device"
        )
    if record.blinded and not device.blinded:
        raise StudyError(
            f"{record.name} is blinded: connect the device with blind=True, so that nothing it "
            "says shows the sham setting"
        )
    if any(a.sham for a in regimen.arms) and not device.info.has(CapabilityFlags.SHAM):
        raise StudyError(
            f"{record.name} has a sham arm and {device.address} has no sham mode: its visits "
            "need a device that has one"
        )
    due = due_visit(log, record, person)
    resumed = due.resume is not None
    visit_id = due.resume.id if due.resume is not None else None
    kept = dict(due.resume.measures) if due.resume is not None else {}
    began = due.resume.started if due.resume is not None else clock()  # on time if begun so
    if visit_id is None:
        visit_id = begin_visit(
            log, record, person, due, began, address=_address(device), override=override
        )
    asked = _Answers(regimen.measures_at(due.number, "before"), answers, ask, due.number)
    if due.resume is None or due.resume.state == "measuring":
        before = await asked.collect({k[0] for k in kept if k[1] == "before"})
        save_measures(log, visit_id, "before", before, clock())
        kept.update({(k, "before"): v for k, v in before.items()})
    resuming = due.resume is not None and due.resume.state == "running"
    events = device.events()
    try:
        if not resuming:
            planned = await _configure_and_start(log, record, person, device, visit_id, due)
            ended: dict[int, SessionDone] = {}
        else:
            assert due.resume is not None
            planned = {s.port: (s.session_id, s.planned_s) for s in due.resume.sessions}
            ended = await _carry_on(log, record, person, device, visit_id, due.resume.sessions)
        await _follow(log, device, visit_id, planned, ended, events, on_event)
    finally:
        await events.aclose()
    after_items = regimen.measures_at(due.number, "after")
    after = await _Answers(after_items, answers, ask, due.number).collect(
        {k[0] for k in kept if k[1] == "after"}
    )
    save_measures(log, visit_id, "after", after, clock())
    kept.update({(k, "after"): v for k, v in after.items()})
    sessions = tuple(ended[p] for p in sorted(ended))
    outcome, detail = _outcome(sessions)
    end_visit(log, record.id, person.id, visit_id, outcome, detail, clock())
    return VisitDone(
        record.name,
        person.code,
        due.number,
        outcome,
        due.window.contains(began),
        resumed,
        sessions,
        kept,
        detail,
    )


def run_visit_sync(
    log: SessionLog,
    study: str | StudyRecord,
    participant: str | Participant,
    device: SyncDevice,
    **options: Any,
) -> VisitDone:
    """:func:`run_visit` on an :class:`irlink.sync.Device`, blocking until the visit ends."""
    return device.call(lambda inner: run_visit(log, study, participant, inner, **options))


class _Answers:
    """The answers to a phase's items: given, else asked, each checked."""

    def __init__(
        self,
        items: list[Measure],
        given: Mapping[str, Answer] | None,
        ask: Asker | None,
        visit: int,
    ) -> None:
        self.items, self.given, self.ask, self.visit = items, given or {}, ask, visit

    async def collect(self, already: set[str]) -> dict[str, Answer]:
        found: dict[str, Answer] = {}
        for item in self.items:
            if item.id in already:
                continue
            value = self.given.get(item.id)
            if value is None and self.ask is not None:
                if inspect.iscoroutinefunction(self.ask):
                    value = await self.ask(item, self.visit)
                else:  # a prompt at a terminal blocks: keep the link's loop free meanwhile
                    value = await asyncio.to_thread(cast(_Ask, self.ask), item, self.visit)
                    if inspect.isawaitable(value):
                        value = await value
            found[item.id] = _checked(item, value)
        return found


def _checked(item: Measure, value: Answer) -> Answer:
    if value is None or value == "":
        if item.needed:
            raise StudyError(
                f"{item.id} ({item.label}) is needed at this visit: give "
                f"--answer {item.id}={'N (0-10)' if item.kind == 'nrs' else 'TEXT'}"
            )
        return None
    if item.kind == "text":
        return str(value)
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = -1
    if not 0 <= score <= 10 or str(score) != str(value).strip():
        raise StudyError(f"{item.id} is a 0-10 pain score: {value!r} is not; give an integer 0-10")
    return score


async def _configure_and_start(
    log: SessionLog,
    study: StudyRecord,
    person: Participant,
    device: Device,
    visit_id: int,
    due: Due,
) -> dict[int, tuple[int, int]]:
    """Configure every port from the regimen and the sealed arm; keep the ids; start."""
    settings = study.regimen.session
    for port in settings.ports:
        await _configure(log, study, person, device, port)
    planned = {
        port: (await device.new_session_id(), int(settings.duration.total_seconds()))
        for port in settings.ports
    }
    info = device.info
    key = (info.family.name.lower(), info.model, info.serial, device.simulator is not None)
    plan_sessions(log, visit_id, study.id, key, [(p, s, d) for p, (s, d) in planned.items()])
    for port, (session_id, _) in planned.items():
        await device.start(port, session_id=session_id)
        confirm_start(log, visit_id, port)
    return planned


async def _configure(
    log: SessionLog, study: StudyRecord, person: Participant, device: Device, port: int
) -> None:
    """Set ``port`` up for the visit's session: the regimen's settings, the sealed arm's sham."""
    settings = study.regimen.session
    with log.reading() as db:
        arm = sealed_arm(db, person.id) if study.kind == "study" else None
    await device.configure(
        port,
        duration=settings.duration,
        intensity=settings.intensity,
        mode=settings.mode,
        pulse_hz=settings.pulse_hz,
        setpoint=settings.setpoint,
        sham=next((a.sham for a in study.regimen.arms if a.name == arm), False),
        override=settings.override,
    )


async def _carry_on(
    log: SessionLog,
    study: StudyRecord,
    person: Participant,
    device: Device,
    visit_id: int,
    planned: tuple[PlannedSession, ...],
) -> dict[int, SessionDone]:
    """After an interruption: what became of each planned session; start only one whose
    start the device never confirmed and of which it has no trace, configured afresh."""
    info = device.info
    here = (info.family.name.lower(), info.model, info.serial, device.simulator is not None)
    there = visit_device(log, visit_id)
    if there is not None and there != here:
        raise StudyError(
            f"this visit's session was planned on {there[1]} {there[2]}, and {device.address} "
            f"is {here[1]} {here[2]}: connect that device to carry the visit on"
        )
    status = await device.status()
    records = {(r.port, r.session_id): r for r in await device.usage_log()}
    ended: dict[int, SessionDone] = {}
    for s in planned:
        now = status.port(s.port)
        record = records.get((s.port, s.session_id))
        if s.end_reason is not None:  # its end was kept before the interruption
            ended[s.port] = SessionDone(
                s.port, s.session_id, s.planned_s, s.delivered_s, s.end_reason
            )
            continue
        if now.session_id == s.session_id and now.state in (PortState.RUNNING, PortState.PAUSED):
            continue  # still running: followed below
        if record is not None:
            ended[s.port] = _done(s.port, s.session_id, s.planned_s, record)
        elif s.started:  # it ran, but the device no longer says how it ended
            ended[s.port] = SessionDone(s.port, s.session_id, s.planned_s, None, "unknown")
        else:  # never confirmed and no trace on the device: the start never reached it
            if person.withdrawn is not None:
                raise StudyError(f"{person.code} was withdrawn; the session is not started")
            await _configure(log, study, person, device, s.port)
            await device.start(s.port, session_id=s.session_id)
            confirm_start(log, visit_id, s.port)
            continue
        done = ended[s.port]
        end_session(log, visit_id, s.port, done.delivered_s, done.end_reason)
    return ended


def _done(port: int, session_id: int, planned_s: int, record: UsageRecord) -> SessionDone:
    return SessionDone(
        port,
        session_id,
        planned_s,
        int(record.delivered.total_seconds()),
        record.end_reason.name.lower(),
    )


async def _follow(
    log: SessionLog,
    device: Device,
    visit_id: int,
    planned: dict[int, tuple[int, int]],
    ended: dict[int, SessionDone],
    events: AsyncGenerator[DeviceEvent, None],
    on_event: Callable[[DeviceEvent], None] | None,
) -> None:
    """Follow the device's events until every planned session has ended."""
    waiting = {(p, s): d for p, (s, d) in planned.items() if p not in ended}
    if not waiting:  # every session's end is known already
        return
    async for event in events:
        if on_event is not None:
            on_event(event)
        if isinstance(event, SessionEnded) and (event.port, event.session_id) in waiting:
            planned_s = waiting.pop((event.port, event.session_id))
            delivered = None if event.delivered is None else _seconds(event.delivered)
            done = SessionDone(
                event.port, event.session_id, planned_s, delivered, event.reason.name.lower()
            )
            ended[event.port] = done
            end_session(log, visit_id, event.port, delivered, done.end_reason)
        if not waiting:
            return
    raise VisitInterrupted(
        f"the link to {device.address} closed before the session ended; the visit is kept "
        "open: connect the device and run the visit again to record how it ended"
    )


def _address(device: Device) -> str:
    """Where the device was reached; a simulator's pty means nothing once it is gone."""
    if device.simulator is None:
        return device.address
    return f"sim://{device.info.family.name.lower()}?serial={device.info.serial}"


def _seconds(value: timedelta) -> int:
    return round(value.total_seconds())


def _outcome(sessions: tuple[SessionDone, ...]) -> tuple[str, str]:
    if all(s.end_reason == "completed" for s in sessions):
        return "completed", ""
    short = [s for s in sessions if s.end_reason != "completed"]
    detail = "; ".join(
        f"port {s.port} ended early ({s.end_reason.replace('_', ' ')}), delivered "
        f"{'unknown' if s.delivered_s is None else f'{s.delivered_s} s'} of {s.planned_s} s"
        for s in short
    )
    if any(s.delivered_s is None for s in short):
        return "unknown", detail
    return "partial", detail
