"""The link: the heartbeat policy, the event counter (protocols/README.md 4 and 7.2), and
the host's side of a serial link, which every test opens and closes."""

from __future__ import annotations

import fcntl
import os
from datetime import timedelta

import pytest

from hil.rig import SECOND, Dut
from irlink import EndReason, PortState
from irlink.events import EventsMissed, SessionEnded, StatusUpdate
from irlink.protocol.messages import HeartbeatRequest, HeartbeatResponse

PORT = 1
QUIET_EVENTS = 20  # status events to watch for a gap
HEARTBEAT = timedelta(seconds=1)  # short, so the silence costs seconds even on hardware


@pytest.mark.long
async def test_heartbeat_silence_ends_the_session(dut: Dut) -> None:
    """7.2 and DOMAIN.md rule 2: armed, the heartbeat policy stops output and ends the
    session with reason link_lost once heartbeat_misses intervals pass without a heartbeat,
    and nothing restarts it. Other requests (status reads) are not heartbeats."""
    device, info = dut.device, dut.info
    interval = min(HEARTBEAT, info.heartbeat_max)
    silence = interval * info.heartbeat_misses
    duration = info.session_min
    assert duration > silence + 2 * SECOND, "the shortest session ends before the heartbeat trips"
    await device.configure(PORT, duration=duration)
    mark = dut.events.mark()
    before = await device.status()
    session_id = await dut.start(PORT)
    # Armed by hand: the library's own heartbeat task would keep the policy fed.
    ms = round(interval.total_seconds() * 1000)
    await device.request(HeartbeatRequest(interval_ms=ms), HeartbeatResponse)
    armed = await device.status()
    ended = await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=silence,
        what=f"session_ended (link_lost) {silence} after the last heartbeat",
    )
    assert (ended.port, ended.reason) == (PORT, EndReason.LINK_LOST)
    assert ended.delivered is not None, "the device's session_ended carries delivered_s"
    running_before_arming = armed.uptime - before.uptime
    assert silence - SECOND <= ended.delivered <= silence + running_before_arming + 2 * SECOND, (
        f"delivered_s {ended.delivered}: the policy should trip {silence} after arming"
    )
    idle = await dut.time_passes(2, since=await device.status())
    assert (idle.port(PORT).state, idle.port(PORT).session_id) == (PortState.IDLE, 0), (
        "output came back after link_lost"
    )
    record = await dut.record(session_id, PORT)
    assert (record.end_reason, record.delivered) == (EndReason.LINK_LOST, ended.delivered)


async def test_event_counter_has_no_gaps(dut: Dut) -> None:
    """4 Events: every event carries the previous counter + 1; in a quiet run on a clean
    link the host sees no gap."""
    device, info = dut.device, dut.info
    period = info.status_period_min
    mark = dut.events.mark()
    counted = device.stats.events
    await device.subscribe(period)
    await dut.event(
        StatusUpdate,
        lambda _: len(dut.events.since(mark, StatusUpdate)) >= QUIET_EVENTS,
        after=mark,
        device_time=period * QUIET_EVENTS,
        what=f"{QUIET_EVENTS} status events at the shortest period, {period}",
    )
    assert device.stats.events - counted >= QUIET_EVENTS
    assert device.stats.events_missed == 0, "the event counter skipped"
    assert not dut.events.since(mark, EventsMissed)


def _port_locked(path: str) -> bool:
    """Whether another open file holds the exclusive lock pyserial takes on ``path``."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing also drops a lock this probe took
    return False


async def test_closing_frees_the_serial_port_at_once(dut: Dut) -> None:
    """The host's side: once Device.close() returns, the serial port is free for the next
    connection. The suite connects once per test, so on hardware every test after the
    first depends on it (pyserial-asyncio-fast closes a port in a task of its own)."""
    path = dut.device.address
    if "://" in path:
        pytest.skip(f"{path} is not a serial device path: nothing is locked")
    await dut.device.close()
    # Nothing is awaited here: the port must be free when close() returns.
    assert not _port_locked(path), f"{path} is still locked after Device.close() returned"
