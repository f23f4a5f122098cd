"""A rehearsal's clinic: the simulated calendar's one clock, each participant's device, and
the visits under way, each through the runner.

The clock moves only when every visit under way has all its sessions started and one
still running: while a visit is between its measures and its last port's start, or
between its sessions' end and its own, simulated time stands still (answering takes no
time), so each visit's times are exact. While sessions run it moves a few seconds at a
time (:data:`STEP_S`), never past a session's end, yielding to the event loop after each
step so that every status pushed (one a second) is read, handed on and recorded as it
would be live; when nothing runs it jumps to the next thing due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from irlink.connector import hold
from irlink.device import Device
from irlink.errors import LimitError
from irlink.limits import configure_request
from irlink.protocol.messages import PortState
from irlink.record.store import SessionLog
from irlink.regimen.files import RegimenError
from irlink.regimen.model import Regimen
from irlink.regimen.runner import Answer, VisitDone, run_visit
from irlink.regimen.studies import Participant, StudyRecord, sealed_arm
from irlink.security.keys import Identity
from irlink.sim import ManualClock, SimulatedDevice
from irlink.transport.pipe import pipe_connector

__all__ = ["STEP_S", "Clinic", "check_settings"]

# Simulated seconds a step while sessions run: the statuses pushed meanwhile (one a second)
# are then read together, as from a link that delivers in bursts. Fewer, longer steps
# cost the event loop less; a step never passes a session's end.
STEP_S = 5.0
_IN_SESSION = (PortState.RUNNING, PortState.PAUSED)


async def check_settings(regimen: Regimen, source: str = "<regimen>") -> None:
    """Refuse, before anything is written, a session the regimen's devices would refuse:
    the :class:`~irlink.regimen.RegimenError` names the setting and what to change."""
    simulator = SimulatedDevice(regimen.family)
    host = _trusted(simulator)
    device = Device(pipe_connector(simulator), address="sim://check", reconnect=None)
    hold(device, simulator, identity=host)
    async with device:
        settings = regimen.session
        for port in settings.ports:
            try:
                configure_request(
                    device.info, port=port, sham=False, **settings.model_dump(exclude={"ports"})
                )
            except LimitError as error:
                raise RegimenError(
                    f"{source}: session.{error} (the {regimen.family}'s limits)"
                ) from None


@dataclass
class _UnderWay:
    """A visit under way: its device, and the ports seen running a session."""

    device: SimulatedDevice
    started: set[int] = field(default_factory=set)


class Clinic:
    """The simulated calendar and the devices of a rehearsal's participants."""

    def __init__(
        self, log: SessionLog, study: StudyRecord, start: datetime, *, record: bool = True
    ) -> None:
        self.log, self.study, self.start, self.record = log, study, start, record
        self.clock = ManualClock()
        # The rehearsal's host: its devices trust it from the factory (no pairing to type,
        # nothing kept in the user's key store); each visit still verifies, and seals.
        self.host = Identity.create()
        self.devices: dict[str, SimulatedDevice] = {}
        self.ports = study.regimen.session.ports
        self._under_way: dict[asyncio.Future[VisitDone], _UnderWay] = {}
        self._wake: asyncio.Future[None] | None = None

    def now(self) -> datetime:
        """The simulated calendar's time."""
        return self.start + timedelta(seconds=self.clock.now())

    def sham(self, participant: Participant) -> bool:
        """Whether ``participant``'s arm is sham: for the synthetic participant's body only."""
        with self.log.reading() as db:
            arm = sealed_arm(db, participant.id) if self.study.kind == "study" else None
        return next((a.sham for a in self.study.regimen.arms if a.name == arm), False)

    def add_device(self, code: str) -> None:
        """Give participant ``code`` a device of their own, switched off and on its charger."""
        device = SimulatedDevice(
            self.study.regimen.family, clock=self.clock, serial=f"R{self.study.id}-{code}"
        )
        _trusted(device, self.host)
        device.close()  # in its drawer it follows no clock: a visit brings it up to date
        device.power_off()
        _charge(device, True)
        self.devices[code] = device

    def begin(self, participant: Participant, answers: Mapping[str, Answer]) -> None:
        """Start the visit ``participant`` is due for, with the synthetic ``answers``."""
        visit = asyncio.ensure_future(self._visit(participant, answers))
        self._under_way[visit] = _UnderWay(self.devices[participant.code])

    def busy(self, code: str) -> bool:
        """Whether participant ``code`` is in a visit now."""
        return any(v.device is self.devices[code] for v in self._under_way.values())

    async def until(self, when: datetime, ended: Callable[[], None]) -> None:
        """Move the calendar on to ``when``; ``ended`` is called as each visit ends."""
        target = (when - self.start).total_seconds()
        while True:
            await self._settle(ended)
            left = target - self.clock.now()
            if left <= 0:
                return
            if self._under_way:
                self.clock.advance(min(left, self._step()))
                await asyncio.sleep(0)  # the pushed statuses are read before the next step
            else:
                self.clock.advance(left)

    async def until_idle(self, ended: Callable[[], None]) -> None:
        """Move the calendar on until every visit under way has ended."""
        while True:
            await self._settle(ended)
            if not self._under_way:
                return
            self.clock.advance(self._step())
            await asyncio.sleep(0)

    async def close(self) -> None:
        """Stop every visit still under way (after an error)."""
        for visit in self._under_way:
            visit.cancel()
        await asyncio.gather(*self._under_way, return_exceptions=True)
        self._under_way.clear()

    async def _settle(self, ended: Callable[[], None]) -> None:
        """Wait until every visit under way has its session running (or has ended)."""
        while True:
            for visit in [v for v in self._under_way if v.done()]:
                del self._under_way[visit]
                visit.result()  # a visit's error ends the rehearsal
                ended()
            waiting = [v for v, under in self._under_way.items() if not self._running(under)]
            if not waiting:
                return
            self._wake = asyncio.get_running_loop().create_future()
            woken: list[asyncio.Future[Any]] = [*waiting, self._wake]
            await asyncio.wait(woken, return_when=asyncio.FIRST_COMPLETED)
            self._wake = None

    def _step(self) -> float:
        """The next step: :data:`STEP_S`, or less to stop where the first session ends."""
        left = (
            under.device.remaining_s(port)
            for under in self._under_way.values()
            for port in self.ports
            if under.device.port_state(port) in _IN_SESSION
        )
        return max(1.0, min([STEP_S, *left]))

    def _running(self, under: _UnderWay) -> bool:
        """Whether a visit has every session started, and one still running: time must pass.

        Until the last port has started, time stands still, so that every port's session
        starts at the same moment, as the runner starts them one after the other.
        """
        device = under.device
        now = {port for port in self.ports if device.port_state(port) in _IN_SESSION}
        under.started |= now
        return bool(now) and len(under.started) == len(self.ports)

    def _heard(self) -> None:
        """A device said something: a visit waited on may have started its session."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    async def _visit(self, participant: Participant, answers: Mapping[str, Answer]) -> VisitDone:
        """One visit: the device out of its drawer, connected, the runner, and back."""
        simulator = self.devices[participant.code]
        simulator.advance_to(self.clock.now())
        _charge(simulator, False)
        simulator.power_on()
        unwatch = self.clock.watch(simulator.advance_to)
        address = f"sim://{simulator.family}?serial={simulator.serial}"
        try:
            device = Device(
                pipe_connector(simulator, heard=self._heard),
                address=address,
                reconnect=None,
                status_period=1,
                journal=self.log.journal(address) if self.record else None,
                blind=self.study.blinded,
            )
            hold(device, simulator, identity=self.host)
            async with device:
                return await run_visit(
                    self.log, self.study, participant, device, answers=answers, clock=self.now
                )
        finally:
            unwatch()
            simulator.power_off()
            _charge(simulator, True)


def _trusted(device: SimulatedDevice, host: Identity | None = None) -> Identity:
    """``host`` (a new identity if None), written into ``device``'s pairing list as a
    factory would: the simulators a process makes for itself trust it from the start."""
    host = host if host is not None else Identity.create()
    if device.secure:
        device.trust(host.id, host.public_key)
    return host


def _charge(device: SimulatedDevice, on: bool) -> None:
    """On its charger between visits, off it for one; a device on mains has none."""
    if device.battery_pct() is not None:
        device.set_charger(on)
