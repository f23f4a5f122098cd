"""Sessions on the device's own timer: start, pause, resume, stop, repeat, and the end.

protocols/README.md 4 (idempotency) and 7.1 (the device's timer ends every session).
Time is read from the device: ``uptime`` and ``remaining`` in its status, so the
checks hold at any clock speed. Each session is the device's shortest, and each
test starts as few as it can: a real device takes a few sessions a day per port
(protocols/README.md 7.8).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hil.rig import SECOND, Dut
from irlink import EndReason, PortState
from irlink.events import SessionEnded, SessionStarted, StatusUpdate
from irlink.refusals import NotAllowed, SessionActive

PORT = 1
PAUSE_S = 5  # device seconds paused: well above the checks' rounding slack of 2 s


def _ended(session_id: int) -> str:
    return f"session_ended of session {session_id}"


async def test_session_runs_pauses_resumes_and_stops(dut: Dut) -> None:
    """7.1: start runs the port for duration_s on the device's timer; pause stops the timer
    with the output and resume continues it; stop ends the session with reason stopped and
    a usage record of the time output was really on. 4: a repeated pause or resume is
    answered normally. 7.6: configure is refused while the session runs (session_active,
    naming the session; not_allowed from a 1.0 device)."""
    device, info = dut.device, dut.info
    duration = info.session_min
    await device.configure(PORT, duration=duration)
    mark = dut.events.mark()
    before = await device.status()
    session_id = await dut.start(PORT)
    status = await device.status()
    running = status.port(PORT)
    assert (running.state, running.session_id) == (PortState.RUNNING, session_id)
    since_start = status.uptime - before.uptime
    assert duration - since_start - SECOND <= running.remaining <= duration, (
        f"remaining_s {running.remaining} at start: not duration_s {duration} less the "
        f"{since_start} of device time since start"
    )
    started = await dut.event(
        SessionStarted,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=1,
        what=f"session_started of session {session_id}",
    )
    assert (started.port, started.duration) == (PORT, duration)

    refusal = SessionActive if info.protocol_minor >= 1 else NotAllowed
    with pytest.raises(refusal) as refused:
        await device.configure(PORT, duration=duration)
    if info.protocol_minor >= 1:
        assert refused.value.limit == session_id, "session_active names the session it holds"

    ticking = await dut.status_when(
        lambda s: s.port(PORT).remaining < running.remaining,
        device_time=2,
        what="remaining_s to fall while the session runs",
    )
    assert ticking.port(PORT).state is PortState.RUNNING

    await device.pause(PORT)
    paused = await device.status()
    assert paused.port(PORT).state is PortState.PAUSED
    assert paused.port(PORT).session_id == session_id
    await device.pause(PORT)  # pausing a paused port succeeds
    frozen = paused.port(PORT).remaining
    later = await dut.time_passes(PAUSE_S, since=paused)
    assert later.port(PORT).state is PortState.PAUSED
    assert later.port(PORT).remaining == frozen, "remaining_s moved while paused"

    await device.resume(PORT)
    await device.resume(PORT)  # resuming a running port succeeds
    resumed = await dut.status_when(
        lambda s: s.port(PORT).remaining < frozen,
        device_time=2,
        what="remaining_s to fall again after resume",
    )
    assert resumed.port(PORT).state is PortState.RUNNING
    assert resumed.port(PORT).remaining > frozen - (resumed.uptime - later.uptime) - 2 * SECOND

    last = await device.status()
    await device.stop(PORT)
    stopped = await device.status()
    assert (stopped.port(PORT).state, stopped.port(PORT).session_id) == (PortState.IDLE, 0)
    ended = await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=1,
        what=_ended(session_id),
    )
    assert (ended.port, ended.reason) == (PORT, EndReason.STOPPED)
    assert ended.delivered is not None, "the device's session_ended carries delivered_s"
    ran = duration - last.port(PORT).remaining
    assert ran - SECOND <= ended.delivered <= duration, (
        f"delivered_s {ended.delivered}: output ran at least {ran} before stop"
    )
    paused_for = later.uptime - paused.uptime
    on_at_most = stopped.uptime - before.uptime - paused_for + 2 * SECOND
    assert ended.delivered <= on_at_most, (
        f"delivered_s {ended.delivered} counts the {paused_for} paused: output was on "
        f"at most {on_at_most}"
    )
    record = await dut.record(session_id, PORT)
    assert (record.end_reason, record.planned) == (EndReason.STOPPED, duration)
    assert record.delivered == ended.delivered


async def test_repeated_start_does_not_restart_the_timer(dut: Dut) -> None:
    """4: a start with the session_id of the port's current or most recent session succeeds
    and changes nothing: no second session, no timer restart, also after it ended."""
    device, info = dut.device, dut.info
    await device.configure(PORT, duration=info.session_min)
    mark = dut.events.mark()
    session_id = await dut.start(PORT)
    first = (await device.status()).port(PORT).remaining
    advanced = await dut.status_when(
        lambda s: s.port(PORT).remaining <= first - 2 * SECOND,
        device_time=3,
        what="remaining_s to fall by 2 s",
    )
    await device.start(PORT, session_id=session_id)
    again = (await device.status()).port(PORT)
    assert (again.state, again.session_id) == (PortState.RUNNING, session_id)
    assert again.remaining <= advanced.port(PORT).remaining, (
        f"the repeated start put remaining_s back from {advanced.port(PORT).remaining} "
        f"to {again.remaining}"
    )

    await device.stop(PORT)
    await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=1,
        what=_ended(session_id),
    )
    starts = [e for e in dut.events.since(mark, SessionStarted) if e.session_id == session_id]
    assert len(starts) == 1, f"{len(starts)} session_started events for one session"

    await device.start(PORT, session_id=session_id)  # its answer lost, the host retries
    after = (await device.status()).port(PORT)
    assert (after.state, after.session_id) == (PortState.IDLE, 0), (
        "a repeated start of a session that had ended started it again"
    )
    await dut.record(session_id, PORT)  # exactly one record


async def test_stop_on_an_idle_port_succeeds(dut: Dut) -> None:
    """4: stopping an idle port succeeds and changes nothing: no event, no usage record."""
    device = dut.device
    logged = len(await device.usage_log())
    mark = dut.events.mark()
    await device.stop(PORT)
    await device.stop(0)
    status = await device.status()
    assert all(p.state is not PortState.RUNNING and p.session_id == 0 for p in status.ports)
    assert not dut.events.since(mark, SessionEnded), "stopping an idle port ended a session"
    assert len(await device.usage_log()) == logged, "stopping an idle port wrote a record"


@pytest.mark.long
async def test_device_timer_ends_the_session(dut: Dut) -> None:
    """7.1: when remaining_s reaches 0 the device turns the output off, returns the port to
    idle, sends session_ended with reason completed and writes a usage record; status is
    pushed all along at the subscribed period. No host action is needed."""
    device, info = dut.device, dut.info
    duration = info.session_min
    await device.configure(PORT, duration=duration)
    period = await device.subscribe(max(SECOND, info.status_period_min))
    assert period == max(SECOND, info.status_period_min), "subscribe granted another period"
    mark = dut.events.mark()
    session_id = await dut.start(PORT)
    ended = await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=duration,
        what=f"{_ended(session_id)} after {duration} on the device's timer",
    )
    assert (ended.port, ended.reason) == (PORT, EndReason.COMPLETED)
    assert ended.delivered is not None, "the device's session_ended carries delivered_s"
    assert abs(ended.delivered - duration) <= SECOND, f"delivered_s {ended.delivered}"

    pushed = [
        update.status.port(PORT)
        for update in dut.events.since(mark, StatusUpdate)
        if update.status.port(PORT).session_id == session_id
    ]
    expected = duration / period
    assert len(pushed) >= expected / 2, (
        f"{len(pushed)} status events during a {duration} session at a {period} period"
    )
    remaining = [p.remaining for p in pushed]
    assert remaining == sorted(remaining, reverse=True), "remaining_s went up while running"
    assert all(timedelta(0) <= r <= duration for r in remaining)

    after = (await device.status()).port(PORT)
    assert (after.state, after.session_id, after.remaining) == (PortState.IDLE, 0, timedelta(0))
    record = await dut.record(session_id, PORT)
    assert (record.end_reason, record.planned) == (EndReason.COMPLETED, duration)
    assert record.delivered == ended.delivered


@pytest.mark.needs("ports>=2")
async def test_ports_run_their_own_sessions(dut: Dut) -> None:
    """7.4 and 7.6: each port has its own session and timer; stopping one leaves the
    other running."""
    device, info = dut.device, dut.info
    await device.configure(0, duration=info.session_min)
    mark = dut.events.mark()
    first = await dut.start(1)
    second = await dut.start(2)
    assert first != second
    status = await device.status()
    assert [(p.state, p.session_id) for p in status.ports[:2]] == [
        (PortState.RUNNING, first),
        (PortState.RUNNING, second),
    ]
    await device.stop(1)
    await dut.event(
        SessionEnded, lambda e: e.session_id == first, after=mark, device_time=1, what=_ended(1)
    )
    other = (await device.status()).port(2)
    assert (other.state, other.session_id) == (PortState.RUNNING, second)
    await dut.status_when(
        lambda s: s.port(2).remaining < other.remaining,
        device_time=2,
        what="port 2's timer to run on after port 1 stopped",
    )
    assert not [e for e in dut.events.since(mark, SessionEnded) if e.session_id == second]
    await device.stop(2)
