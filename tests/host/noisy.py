"""A mixed workload over a noisy link, measured against the device's own state (issue 12.19).

A simulated multiport on a manual clock, served on a pty, is damaged from the first
byte (bit flips per byte, whole frames lost, both ways) and reached through
``irlink.connect``, reconnection on. Then status, configure, start and stop requests
go one after another, each port in turn. After every request that completed, what it
said is checked against the simulator's own state (it is in this process): a status
must equal the status the device would report now, a configure must be the port's
setting, a start's session must be the one running, a stop must leave the port idle.
At the end every session the host reported started must stand once in the device's
usage log, and no other.

The test (``tests/host/test_noisy_link.py``) asserts the figures and
``bench/bench_noisy_link.py`` records them beside a clean link's.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import irlink
from irlink.events import LinkDown, LinkRestored
from irlink.model import Info, Status
from irlink.protocol.messages import Mode, PortState
from irlink.sim import Impairment, ManualClock, SimulatedDevice
from irlink.sim.serve.pty import PtyServer
from irlink.spec import load_device_profile
from irlink.spec.devices import DeviceProfile

# The link: 1 % of bytes with a flipped bit, 5 % of frames lost, both ways.
NOISY = Impairment(corrupt_rate=0.01, drop_rate=0.05, seed=12)
FAMILY = "multiport"  # two ports, so sessions take turns; its status answer is the longest
# One cycle on one port. Eight requests, five of them status, as a host that polls.
CYCLE = ("configure", "status", "start", "status", "status", "stop", "status", "status")
RUNNING_S = 1  # how long each session runs before it is stopped
QUICK_RECONNECT = irlink.Backoff(initial=0.01, maximum=0.05)
# The pty server looks for a newly opened host every 50 ms, so the first connection
# waits longer per try than the workload, whose requests get answers in 0.1 ms.
CONNECT_TIMEOUT_S = 0.1
_ACTIVE = (PortState.RUNNING, PortState.PAUSED)
T = TypeVar("T")
PULSED, CONTINUOUS = Mode.PULSED, Mode.CONTINUOUS


@dataclass
class Figures:
    """What a workload did, and what the device says of it."""

    requests: int = 0
    completed: int = 0
    failures: list[str] = field(default_factory=list)  # "index request: error"
    wrong: list[str] = field(default_factory=list)  # answers the device contradicts
    failed_in_a_row_at_end: int = 0
    sessions_reported: int = 0
    duplicates: int = 0  # sessions reported once that ran more than once
    missing: int = 0  # sessions reported that never ran
    phantoms: int = 0  # sessions that ran that the host never reported
    links_lost: int = 0  # LinkDown events
    links_restored: int = 0
    connected_at_end: bool = False
    secured: bool = False  # the link was a verified session at the end (IRLink 1.2)
    verifies: int = 0  # pair verifies the host made: one per link, one per session lost
    tries: int = 0  # request attempts sent, retries included
    seconds_completed: float = 0.0  # wall time spent in requests that completed
    seconds: float = 0.0  # the whole workload, connection included

    @property
    def completion(self) -> float:
        """The share of requests that completed."""
        return self.completed / self.requests if self.requests else 0.0

    @property
    def per_completed_s(self) -> float:
        """Wall time per completed request."""
        return self.seconds_completed / self.completed if self.completed else float("nan")


def unlimited(family: str) -> DeviceProfile:
    """The profile of ``family`` without its daily session limit (three a port), which a
    workload of hundreds of sessions would otherwise meet, or spread over weeks of
    simulated time."""
    profile = load_device_profile(family)
    info = profile.info.model_copy(update={"max_starts_per_day": 0})  # 0: no daily limit
    return profile.model_copy(update={"info": info})


def device_status(sim: SimulatedDevice, info: Info) -> Status:
    """The status the device would report now, read in its own memory as the host reads it."""
    with sim.lock:
        assert sim.firmware is not None
        return Status.from_body(sim.firmware.status_body(), info)


class _Workload:
    def __init__(self, device: irlink.Device, sim: SimulatedDevice, clock: ManualClock) -> None:
        self.device, self.sim, self.clock = device, sim, clock
        self.figures = Figures()
        self._took = 0.0  # the last library call's wall time
        self.reported: list[int] = []  # session ids start() returned

    async def run(self, requests: int) -> None:
        for index in range(requests):
            cycle, step = divmod(index, len(CYCLE))
            port = 1 + cycle % 2
            kind = CYCLE[step]
            try:
                problem = await self._request(kind, port, cycle)
            except irlink.IRLinkError as exc:
                self.figures.failures.append(f"{index} {kind}: {type(exc).__name__}: {exc}")
                self.figures.failed_in_a_row_at_end += 1
                continue
            finally:
                self.figures.requests += 1
            self.figures.completed += 1
            self.figures.seconds_completed += self._took
            self.figures.failed_in_a_row_at_end = 0
            if problem:
                self.figures.wrong.append(f"{index} {kind}: {problem}")
            if kind == "start":
                self.clock.advance(RUNNING_S)

    async def _timed(self, call: Awaitable[T]) -> T:
        """Await a library call, timing it alone (not the checks around it)."""
        began = time.perf_counter()
        try:
            return await call
        finally:
            self._took = time.perf_counter() - began

    async def _request(self, kind: str, port: int, cycle: int) -> str:
        """Send one request; what the device's own state contradicts in its answer, or ''."""
        device, sim, timed = self.device, self.sim, self._timed
        if kind == "status":
            answer = await timed(device.status())
            truth = device_status(sim, device.info)
            return "" if answer == truth else f"answered {answer}, the device has {truth}"
        if kind == "configure":
            # A new setting each cycle: its length, and continuous or pulsed at a preset rate.
            minutes, rates = 5 + cycle % 50, device.info.pulse_hz
            hz = rates[cycle % len(rates)] if cycle % 2 else None
            mode = PULSED if hz else CONTINUOUS
            await timed(device.configure(port, duration=f"{minutes}m", mode=mode, pulse_hz=hz))
            now = device_status(sim, device.info).port(port)
            asked = (timedelta(minutes=minutes), mode, hz or 0)
            return "" if (now.duration, now.mode, now.pulse_hz) == asked else f"port has {now}"
        if kind == "start":
            session_id = await timed(device.start(port))
            self.reported.append(session_id)
            now = device_status(sim, device.info).port(port)
            running = (now.state, now.session_id) == (PortState.RUNNING, session_id)
            return "" if running else f"started {session_id}, port has {now}"
        await timed(device.stop(port))
        now = device_status(sim, device.info).port(port)
        return "" if now.state not in _ACTIVE else f"stopped, port has {now}"

    def check_sessions(self) -> None:
        """Every session reported ran once, and no other ran (from the device's own log)."""
        figures = self.figures
        figures.sessions_reported = len(self.reported)
        with self.sim.lock:
            ran = Counter(record.session_id for record in self.sim.memory.log)
            assert self.sim.memory.oldest_index == 0, "the log wrapped: it cannot tell"
            running = [
                p.session_id
                for p in device_status(self.sim, self.device.info).ports
                if p.session_id
            ]
        ran.update(running)
        reported = Counter(self.reported)
        figures.duplicates = sum(1 for sid in reported if ran[sid] > 1) + sum(
            n - 1 for n in reported.values() if n > 1
        )
        figures.missing = sum(1 for sid in reported if ran[sid] == 0)
        figures.phantoms = sum(n for sid, n in ran.items() if sid not in reported)


async def run_workload(
    requests: int, impairment: Impairment | None, *, timeout: float, minor: int | None = None
) -> Figures:
    """``requests`` mixed requests to a simulated multiport behind ``impairment``; one that
    speaks IRLink 1.``minor`` if given (1: no security), else the newest (1.2, verified)."""
    clock = ManualClock()
    if minor is None:
        sim = SimulatedDevice(unlimited(FAMILY), clock=clock)
    else:
        sim = SimulatedDevice(unlimited(FAMILY), clock=clock, protocol_minor=minor)
    sim.impair(impairment)
    began = time.perf_counter()
    async with (
        PtyServer(sim) as pty,
        irlink.connect(pty.path, timeout=CONNECT_TIMEOUT_S, reconnect=QUICK_RECONNECT) as device,
    ):
        device.timeout = timeout
        work = _Workload(device, sim, clock)
        events = device.events()

        async def count() -> None:
            async for event in events:
                if isinstance(event, LinkDown):
                    work.figures.links_lost += 1
                elif isinstance(event, LinkRestored):
                    work.figures.links_restored += 1

        counting = asyncio.ensure_future(count())
        try:
            await work.run(requests)
            work.figures.connected_at_end = device.connected
            work.figures.secured = device.secured
            work.figures.verifies = device.stats.verifies
            work.figures.tries = device.stats.requests
        finally:
            counting.cancel()
            await asyncio.gather(counting, return_exceptions=True)
        work.check_sessions()
    work.figures.seconds = time.perf_counter() - began
    return work.figures
