"""The device under test: what the suite runs against, connected, with waits on its own clock.

The suite uses the async :class:`irlink.Device` on an event loop of its own (as
:mod:`irlink.sync` does) because it needs two things the blocking facade leaves out:
raw requests, to show that the device checks its limits itself and not only the host,
and waits for events that give up at a deadline. Every deadline is the device's own
figure (a session length, a heartbeat interval) turned into real seconds at the
device's clock speed, plus a margin for the link; nothing waits a fixed time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest

import irlink
from irlink.address import SimAddress, parse_address
from irlink.errors import IRLinkError
from irlink.events import Event, StatusUpdate
from irlink.model import Info, Status, UsageRecord
from irlink.protocol.messages import (
    CapabilityFlags,
    HeartbeatRequest,
    HeartbeatResponse,
    PortState,
)
from irlink.refusals import DailyLimit, NotAllowed

__all__ = [
    "SECOND",
    "Dut",
    "EventLog",
    "LoopThread",
    "Target",
    "connected",
    "identity",
    "leave_safe",
    "missing",
]

log = logging.getLogger(__name__)

SECOND = timedelta(seconds=1)
SIM_FAMILIES = ("waistband", "multiport", "firmat")
# A ten-minute session takes a second: the whole suite stays quick, and a session is
# still hundreds of the simulator's 50 ms real-time ticks long.
SIM_SPEED = 600
SIM_MARGIN_S = 5.0  # real seconds on top of every bound: a loaded CI machine, not the device
LINK_MARGIN_S = 10.0  # a real link: latency, and the library's retries (3 x 1 s)
SIM_TEST_LIMIT_S = 60.0  # no test against an accelerated simulator may take longer
STATUS_PERIOD = timedelta(seconds=1)  # how often the device pushes status while a test waits
CAPABILITIES = {flag.name.lower(): flag for flag in CapabilityFlags if flag.name}

T = TypeVar("T")
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Target:
    """What the suite runs against: an address, where it came from, how fast its clock runs."""

    address: str
    label: str  # the test id: the family for the default simulators, "device" otherwise
    source: str  # --device, IRLINK_HIL_DEVICE or the default
    speed: float = 1.0  # device seconds per real second
    simulated: bool = False  # sim://: a fresh simulated device in this process for each test
    info: Info | None = None  # filled in once the suite has asked the device

    @classmethod
    def given(cls, address: str, source: str) -> Target:
        """The device at ``address``; raises :class:`irlink.AddressError` for a bad one."""
        parsed = parse_address(address)
        if isinstance(parsed, SimAddress):
            return cls(address, "device", source, parsed.speed, simulated=True)
        return cls(address, "device", source)

    @classmethod
    def simulators(cls) -> list[Target]:
        """The default: one accelerated simulator of each family, and a 1.0 waistband (a
        device of the older revision, which a 1.1 host still serves)."""
        addresses = [(f"sim://{family}?speed={SIM_SPEED}", family) for family in SIM_FAMILIES]
        # Its own serial: a host paired with the secure waistband 0001 refuses a device that
        # announces no security under that serial (a downgrade).
        addresses.append(
            (f"sim://waistband?speed={SIM_SPEED}&protocol=1.0&serial=0010", "waistband-1.0")
        )
        return [
            cls(address, name, "default", SIM_SPEED, simulated=True) for address, name in addresses
        ]

    @property
    def accelerated(self) -> bool:
        """Whether a session takes less real time than the device's clock says."""
        return self.speed > 1

    def real_s(self, device_time: timedelta | float) -> float:
        """Real seconds to allow for something that takes ``device_time`` on the device's clock."""
        seconds = device_time.total_seconds() if isinstance(device_time, timedelta) else device_time
        return seconds / self.speed + (SIM_MARGIN_S if self.simulated else LINK_MARGIN_S)

    def describe(self) -> str:
        """One line for the report header."""
        given = "" if self.source == "default" else f"from {self.source}; "
        if self.simulated:
            return f"{self.address} ({given}simulated in this process, clock x{self.speed:g})"
        return f"{self.address} ({given}real time)"


def missing(info: Info, need: str) -> str | None:
    """Why a device with ``info`` lacks ``need`` (a capability or ``ports>=N``), or None."""
    if need.startswith("ports>="):
        wanted = int(need.removeprefix("ports>="))
        if info.port_count < wanted:
            return f"it has {info.port_count} port{'s' * (info.port_count != 1)}"
        return None
    if not info.has(CAPABILITIES[need]):
        return f"it does not advertise it (capabilities: {capability_names(info)})"
    return None


def capability_names(info: Info) -> str:
    """The device's capabilities as the spec names them."""
    return ", ".join(name for name, flag in CAPABILITIES.items() if info.has(flag)) or "none"


def identity(info: Info) -> dict[str, str]:
    """What the device says it is, for the JUnit report and the summary."""
    return {
        "model": info.model,
        "serial": info.serial,
        "firmware": info.firmware_version,
        "hardware": info.hardware_version,
        "family": info.family.name.lower(),
    }


class LoopThread:
    """An event loop on a daemon thread: the device (and a simulator) live there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="hil", daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T], limit_s: float | None = None) -> T:
        """Run ``work`` on the loop and wait for it; fail the test after ``limit_s``."""
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(limit_s)
        except TimeoutError:
            if future.done():
                raise  # the work itself raised it
            future.cancel()
            raise AssertionError(f"gave up after {limit_s:g} s: the test hung") from None
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


class EventLog:
    """Every event the device sent since the test connected, in order; waits for the next."""

    def __init__(self, device: irlink.Device) -> None:
        self.seen: list[Event] = []
        self._grew = asyncio.Condition()
        self._follow = asyncio.ensure_future(self._record(device))

    async def _record(self, device: irlink.Device) -> None:
        async for event in device.events():
            self.seen.append(event)
            async with self._grew:
                self._grew.notify_all()

    def mark(self) -> int:
        """A point in the log; :meth:`since` and :meth:`next` look after it."""
        return len(self.seen)

    def since(self, mark: int, kind: type[E]) -> list[E]:
        """The events of ``kind`` after ``mark``."""
        return [event for event in self.seen[mark:] if isinstance(event, kind)]

    async def next(
        self,
        kind: type[E],
        where: Callable[[E], bool] = lambda _: True,
        *,
        after: int,
        within_s: float,
        what: str,
    ) -> E:
        """The first ``kind`` event after ``after`` for which ``where`` holds; fails after
        ``within_s`` real seconds, saying ``what`` was awaited."""
        index = after
        found: list[E] = []

        def arrived() -> bool:
            nonlocal index
            while index < len(self.seen) and not found:
                event = self.seen[index]
                index += 1
                if isinstance(event, kind) and where(event):
                    found.append(event)
            return bool(found)

        try:
            async with self._grew:
                await asyncio.wait_for(self._grew.wait_for(arrived), within_s)
        except TimeoutError:
            raise AssertionError(f"no {what} within {within_s:.1f} s") from None
        return found[0]


class Dut:
    """The device under test, connected for one test, with its events and the suite's waits."""

    def __init__(self, device: irlink.Device, target: Target, thread: LoopThread) -> None:
        self.device = device
        self.target = target
        self.events = EventLog(device)
        self._thread = thread
        self._pushing = False

    @property
    def info(self) -> Info:
        """What the device said it is when the test connected."""
        return self.device.info

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one test body on the device's loop."""
        limit = SIM_TEST_LIMIT_S if self.target.accelerated else None
        return self._thread.run(work, limit)

    def within_s(self, device_time: timedelta | float) -> float:
        """Real seconds to allow for ``device_time`` on the device's clock."""
        return self.target.real_s(device_time)

    async def event(
        self,
        kind: type[E],
        where: Callable[[E], bool] = lambda _: True,
        *,
        after: int,
        device_time: timedelta | float,
        what: str,
    ) -> E:
        """The next matching event after ``after``, due within ``device_time`` of device time."""
        within = self.within_s(device_time)
        return await self.events.next(kind, where, after=after, within_s=within, what=what)

    async def status_when(
        self, check: Callable[[Status], bool], *, device_time: timedelta | float, what: str
    ) -> Status:
        """The device's status once ``check`` holds, as read or pushed, within ``device_time``."""
        if not self._pushing:
            await self.device.subscribe(max(STATUS_PERIOD, self.info.status_period_min))
            self._pushing = True
        mark = self.events.mark()
        status = await self.device.status()
        if check(status):
            return status
        update = await self.event(
            StatusUpdate, lambda e: check(e.status), after=mark, device_time=device_time, what=what
        )
        return update.status

    async def time_passes(self, seconds: int, since: Status) -> Status:
        """The first status at least ``seconds`` of device uptime after ``since``."""
        return await self.status_when(
            lambda s: s.uptime >= since.uptime + seconds * SECOND,
            device_time=seconds + 1,
            what=f"status {seconds} s of device uptime after {since.uptime}",
        )

    async def start(self, port: int, *, session_id: int | None = None) -> int:
        """Start a session on ``port``; on hardware, skip when the daily limit refuses it."""
        try:
            return await self.device.start(port, session_id=session_id)
        except DailyLimit:
            if self.target.simulated:
                raise  # a fresh simulator has used none of its sessions
            pytest.skip(
                f"{self.target.address} refused start on port {port}: its daily session limit "
                "(protocols/README.md 7.8) is reached; run the suite again when a day of "
                "device time has passed"
            )
        except NotAllowed:
            # A 1.0 device says not_allowed for the daily limit too (section 11).
            if self.target.simulated or self.info.protocol_minor >= 1:
                raise
            status = (await self.device.status()).port(port)
            if status.state is PortState.IDLE and not status.faults:
                pytest.skip(
                    f"{self.target.address} (IRLink 1.0) refused start on idle port {port} with "
                    "not_allowed: most likely its daily session limit; run the suite again "
                    "when a day of device time has passed"
                )
            raise

    async def record(self, session_id: int, port: int) -> UsageRecord:
        """The usage log's record of ``session_id`` on ``port``; fails if there is not one."""
        records = [
            r for r in await self.device.usage_log() if (r.session_id, r.port) == (session_id, port)
        ]
        assert len(records) == 1, (
            f"section 7.1: the usage log holds {len(records)} records of session {session_id} "
            f"on port {port}, not one"
        )
        return records[0]


async def leave_safe(device: irlink.Device) -> None:
    """Every port stopped, the heartbeat disarmed, no status pushed: the device as found."""
    if not device.connected:
        return
    try:
        await device.stop(0)
        await device.request(HeartbeatRequest(interval_ms=0), HeartbeatResponse)
        await device.subscribe(None)
    except IRLinkError as exc:
        log.warning("could not leave %s idle: %s", device.address, exc)


@contextmanager
def connected(target: Target) -> Iterator[Dut]:
    """The device at ``target``, connected on a loop thread of its own; left safe and closed."""
    thread = LoopThread()
    try:
        # No reconnection: a conformance test that loses its link has failed.
        manager = irlink.connect(target.address, reconnect=None)
        device = thread.run(manager.__aenter__(), target.real_s(0))
        try:
            yield thread.run(_dut(device, target, thread))
        finally:
            try:
                thread.run(leave_safe(device), target.real_s(0))
            finally:
                thread.run(manager.__aexit__(None, None, None), target.real_s(0))
    finally:
        thread.stop()


async def _dut(device: irlink.Device, target: Target, thread: LoopThread) -> Dut:
    return Dut(device, target, thread)  # made on the loop: its event log follows from there
