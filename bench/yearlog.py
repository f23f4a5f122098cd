"""A synthetic session log, recorded through the real recorder: a year of daily sessions.

    python bench/yearlog.py OUT.db [--days 365] [--family multiport]

:class:`ScriptedDevice` plays a device to a real :class:`~irlink.record.recorder.DeviceRecorder`
(the one :func:`irlink.connect` hands every device): the same ``Info``, ``Status`` and event
objects a :class:`~irlink.Device` gives it, with the wall clock under its control. The
recorder reads the time from ``time.time_ns`` and ``time.monotonic_ns``; :func:`clocked`
points its ``time`` at a :class:`Clock` while the script runs (no change to the recorder).
:func:`build_year` is the bench's year: one 30-minute session a day at 1 Hz on a 2-port
multiport, with now and then one stopped early, a fault, a link lost for a while, an end
known only from the usage log, and a session the host never saw (recovered). The tests
build their small logs with the same class.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from irlink.events import (
    DeviceEvent,
    FaultCleared,
    FaultRaised,
    LinkDown,
    LinkRestored,
    SessionEnded,
    SessionStarted,
)
from irlink.model import Info, PortStatus, Status, UsageRecord
from irlink.protocol.messages import DeviceState, EndReason, FaultFlags, Mode, PortState
from irlink.record import recorder as recorder_module
from irlink.record.recorder import DeviceRecorder
from irlink.record.store import SessionLog

__all__ = ["Clock", "ScriptedDevice", "build_year", "clocked", "device_info"]

YEAR_START = datetime(2025, 12, 2, tzinfo=UTC)  # the bench's year ends on 2026-12-01


class Clock:
    """A wall and monotonic clock that moves only when told (nanoseconds since 1970)."""

    def __init__(self, start: datetime) -> None:
        self.ns = int(start.timestamp() * 1e9)

    def time_ns(self) -> int:
        """The wall clock."""
        return self.ns

    def monotonic_ns(self) -> int:
        """The monotonic clock (the wall clock here: it never goes back)."""
        return self.ns

    def now(self) -> datetime:
        """The wall clock as an aware datetime."""
        return datetime.fromtimestamp(self.ns / 1e9, UTC)

    def move_to(self, at: datetime) -> None:
        """Set both clocks to ``at``, never back."""
        self.ns = max(self.ns, int(at.timestamp() * 1e9))

    def advance(self, seconds: float) -> None:
        """Move both clocks on."""
        self.ns += int(seconds * 1e9)


@contextmanager
def clocked(clock: Clock) -> Iterator[None]:
    """The recorder reads ``clock`` for the time while inside."""
    original = recorder_module.time
    recorder_module.time = clock  # type: ignore[assignment]
    try:
        yield
    finally:
        recorder_module.time = original


def device_info(family: str = "multiport", serial: str = "MP-0001") -> Info:
    """The ``Info`` a simulated device of ``family`` advertises."""
    from irlink.sim.model.hardware import Hardware  # noqa: PLC0415
    from irlink.sim.state import info_response  # noqa: PLC0415
    from irlink.spec.devices import load_device_profile  # noqa: PLC0415

    return Info.from_wire(info_response(Hardware.build(load_device_profile(family)), serial))


@dataclass
class _Port:
    number: int
    session_id: int = 0
    duration_s: int = 0
    remaining_s: int = 0
    intensity: int = 0
    temp: float = 30.0
    skin: float = 32.0
    faults: FaultFlags = field(default_factory=lambda: FaultFlags(0))

    @property
    def running(self) -> bool:
        return self.session_id != 0


@dataclass
class ScriptedDevice:
    """A device played to a real recorder: sessions, faults, link losses, its usage log."""

    log: SessionLog
    info: Info
    clock: Clock
    address: str = "sim://multiport"
    boot_count: int = 1
    uptime_s: int = 0
    battery: float = 100.0
    linked_now: bool = False
    next_id: int = 1
    log_index: int = 0
    unread: list[UsageRecord] = field(default_factory=list)  # usage records the host has not read
    recorder: DeviceRecorder = field(init=False)
    ports: list[_Port] = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = DeviceRecorder(self.log, self.address)
        self.ports = [_Port(n) for n in range(1, self.info.port_count + 1)]

    # The link.

    def link(self) -> None:
        """The host connects and reads the device."""
        with clocked(self.clock):
            self.recorder.linked(self.info)
        self.linked_now = True

    def close(self) -> None:
        """The host closes the device."""
        with clocked(self.clock):
            self.recorder.closed("closed by the host")
        self.log.flush()  # the recorder writes on the log's thread: readers come next
        self.linked_now = False

    def lose_link(self) -> None:
        """The link drops; the device runs on, unheard."""
        self._event(LinkDown(at=self.clock.now(), reason="no answer to 3 heartbeats"))
        self.linked_now = False

    def restore_link(self) -> None:
        """The link is back: a new connection, and the device re-read."""
        self.link()
        self._event(LinkRestored(at=self.clock.now(), status=self.status(), rebooted=False))

    # Sessions.

    def start(self, port: int, minutes: float, intensity: int = 1) -> int:
        """Start a session on ``port``; returns its id."""
        each = self.ports[port - 1]
        each.session_id, self.next_id = self.next_id, self.next_id + 1
        each.duration_s = each.remaining_s = round(minutes * 60)
        each.intensity = intensity
        self._event(
            SessionStarted(
                at=self.clock.now(),
                port=port,
                session_id=each.session_id,
                duration=timedelta(seconds=each.duration_s),
            )
        )
        return each.session_id

    def run(self, seconds: int) -> None:
        """Let ``seconds`` pass, one status a second while linked; a session ends at zero."""
        for _ in range(seconds):
            self.clock.advance(1)
            self.uptime_s += 1
            for each in self.ports:
                if each.running and not each.faults:
                    each.remaining_s -= 1
                    each.temp += (39.5 - each.temp) / 120
                    each.skin += (36.5 - each.skin) / 300
                    self.battery -= 0.01
                elif not each.running:
                    each.temp += (30.0 - each.temp) / 200
                    each.skin += (32.0 - each.skin) / 200
            if self.linked_now:
                with clocked(self.clock):
                    self.recorder.status(self.status(), pushed=True)
            for each in self.ports:
                if each.running and each.remaining_s <= 0:
                    self.end(each.number, EndReason.COMPLETED)

    def end(self, port: int, reason: EndReason) -> None:
        """The session on ``port`` ends; the host hears it if linked, else it stays in the
        usage log until :meth:`read_usage`."""
        each = self.ports[port - 1]
        delivered = each.duration_s - each.remaining_s
        record = UsageRecord(
            self.log_index,
            each.session_id,
            port,
            reason,
            False,
            Mode.CONTINUOUS,
            each.intensity,
            0,
            None,
            timedelta(seconds=each.duration_s),
            timedelta(seconds=delivered),
            timedelta(seconds=self.uptime_s),
            self.boot_count,
        )
        self.log_index += 1
        self.unread.append(record)
        if self.linked_now:
            self._event(
                SessionEnded(
                    at=self.clock.now(),
                    port=port,
                    session_id=each.session_id,
                    reason=reason,
                    delivered=timedelta(seconds=delivered),
                )
            )
        each.session_id = each.duration_s = each.remaining_s = 0

    def fault(self, port: int, fault: FaultFlags = FaultFlags.OVER_TEMPERATURE) -> None:
        """A fault on ``port``: output stops, the session ends with reason fault."""
        self.ports[port - 1].faults = fault
        self._event(FaultRaised(at=self.clock.now(), port=port, fault=fault))
        self.end(port, EndReason.FAULT)

    def clear(self, port: int) -> None:
        """The fault on ``port`` clears."""
        fault = self.ports[port - 1].faults
        self.ports[port - 1].faults = FaultFlags(0)
        self._event(FaultCleared(at=self.clock.now(), port=port, fault=fault))

    def read_usage(self) -> None:
        """The host reads the usage-log records it has not seen (after one status)."""
        with clocked(self.clock):
            self.recorder.status(self.status(), pushed=False)
            self.recorder.usage(self.unread)
        self.unread = []

    # What the device says.

    def status(self) -> Status:
        """The device's status now."""
        battery = self.info.battery_warn_pct is not None
        ports = tuple(self._port_status(each) for each in self.ports)
        running = any(p.state is PortState.RUNNING for p in ports)
        return Status(
            DeviceState.RUNNING if running else DeviceState.IDLE,
            round(self.battery) if battery else None,
            round(3.3 + self.battery / 100, 3) if battery else None,
            False if battery else None,
            31.0,
            FaultFlags(0),
            timedelta(seconds=self.uptime_s),
            self.boot_count,
            ports,
        )

    def _port_status(self, each: _Port) -> PortStatus:
        state = (
            PortState.FAULT
            if each.faults
            else PortState.RUNNING
            if each.running
            else PortState.IDLE
        )
        heater = self.info.setpoint_max_c > 0
        return PortStatus(
            each.number,
            state,
            True,
            1,
            each.session_id,
            timedelta(seconds=each.duration_s),
            timedelta(seconds=each.remaining_s),
            each.intensity,
            Mode.CONTINUOUS,
            0,
            False,
            40.0 if heater else None,
            round(each.temp, 1),
            round(each.skin, 1),
            each.faults,
            False,
            None,
        )

    def _event(self, event: DeviceEvent) -> None:
        if not self.linked_now:
            return  # nobody hears it
        with clocked(self.clock):
            self.recorder.event(event)


def _day(device: ScriptedDevice, day: int, rng: random.Random) -> None:
    """One day of the year: a 30-minute session at about 8:00 (UTC), now and then not plain."""
    clock = device.clock
    start = YEAR_START + timedelta(days=day, hours=8, minutes=rng.randrange(-40, 90))
    clock.move_to(start)
    device.uptime_s += 3600  # the device stays on between sessions
    device.battery = 100.0
    port = 2 if day % 7 in (5, 6) else 1  # the weekend's treatment site is another pad
    if day % 47 == 30:  # the host was not there: known only from the usage log
        device.start(port, 30, 1)
        device.run(1800)
        device.link()
        device.read_usage()
        device.close()
        return
    device.link()
    device.run(30)
    device.start(port, 30, 1)
    if day % 29 == 5:  # stopped after 10 to 20 minutes
        device.run(rng.randrange(600, 1200))
        device.end(port, EndReason.STOPPED)
    elif day % 53 == 11:  # over temperature
        device.run(1000)
        device.fault(port)
        device.run(60)
        device.clear(port)
    elif day % 37 == 7:  # the link drops for three minutes; the session runs on
        device.run(700)
        device.lose_link()
        device.run(180)
        device.restore_link()
        device.run(1800)
    elif day % 61 == 20:  # the link drops and the session ends unheard
        device.run(1200)
        device.lose_link()
        device.run(700)
        device.restore_link()
        device.read_usage()
    else:
        device.run(1800)
    device.run(10)
    device.unread = []  # heard live: the usage log's copies add nothing
    device.close()


def build_year(path: Path, days: int = 365, family: str = "multiport") -> Path:
    """Record ``days`` days of sessions into a new log at ``path`` (replaced if there)."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    rng = random.Random(2026)
    with SessionLog.open(path) as log:
        device = ScriptedDevice(log, device_info(family), Clock(YEAR_START))
        for day in range(days):
            _day(device, day, rng)
        log.flush()
        log.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--family", default="multiport")
    args = parser.parse_args()
    began = time.perf_counter()
    build_year(args.out, args.days, args.family)
    size = args.out.stat().st_size / 2**20
    print(f"{args.out}: {args.days} days, {size:.1f} MiB in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
