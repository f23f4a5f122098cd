"""What only some devices can do: sham, heat, pulses, a battery (protocols/README.md 7.4-7.5).

Each test is marked with the capability it needs and skipped, with the reason, on a
device whose info does not advertise it.
"""

from __future__ import annotations

import pytest

from hil.rig import SECOND, Dut
from irlink import EndReason, Mode, PortState
from irlink.errors import LimitError
from irlink.events import SessionEnded, SessionStarted
from irlink.limits import configure_request
from irlink.protocol.messages import ConfigureResponse, ErrorCode
from irlink.refusals import BatteryTooLow, OverrideRequired

PORT = 1


@pytest.mark.needs("sham")
async def test_sham_session_reports_like_a_real_one(dut: Dut) -> None:
    """7.4 Sham: a sham session behaves and reports exactly like a real one (status, events,
    usage record, with sham set), its delivered_s the time the session ran."""
    device, info = dut.device, dut.info
    duration = info.session_min
    await device.configure(PORT, duration=duration, sham=True)
    mark = dut.events.mark()
    session_id = await dut.start(PORT)
    running = (await device.status()).port(PORT)
    assert (running.state, running.session_id, running.sham) == (
        PortState.RUNNING,
        session_id,
        True,
    )
    assert running.duration == duration
    started = await dut.event(
        SessionStarted,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=1,
        what="session_started of the sham session",
    )
    assert started.duration == duration
    ran = await dut.status_when(
        lambda s: s.port(PORT).remaining <= running.remaining - 2 * SECOND,
        device_time=3,
        what="the sham session's timer to run",
    )
    await device.stop(PORT)
    ended = await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=1,
        what="session_ended of the sham session",
    )
    assert ended.reason is EndReason.STOPPED
    assert ended.delivered is not None, "the device's session_ended carries delivered_s"
    assert ended.delivered >= duration - ran.port(PORT).remaining - SECOND, (
        f"delivered_s {ended.delivered}: a sham session counts the time it ran"
    )
    record = await dut.record(session_id, PORT)
    assert (record.sham, record.end_reason, record.delivered) == (
        True,
        EndReason.STOPPED,
        ended.delivered,
    )


@pytest.mark.needs("heater")
async def test_setpoint_above_the_override_threshold_needs_override(dut: Dut) -> None:
    """DOMAIN.md rule 5 and 7.5: a setpoint above setpoint_override_dc is refused without
    override, by the host and by the device (override_required, field 7, limit the
    threshold), and accepted with it."""
    device, info = dut.device, dut.info
    hot = info.setpoint_override_c + info.setpoint_step_c
    if hot > info.setpoint_max_c:
        pytest.skip(f"no setpoint above the override threshold {info.setpoint_override_c} degC")
    with pytest.raises(LimitError):
        await device.configure(PORT, setpoint=hot)
    request = configure_request(info, port=PORT, setpoint=hot, override=True)
    with pytest.raises(OverrideRequired) as refused:
        await device.request(request.model_copy(update={"override": False}), ConfigureResponse)
    assert refused.value.field == "setpoint_dc"
    assert refused.value.limit == round(info.setpoint_override_c * 10)
    assert (await device.status()).port(PORT).setpoint_c != hot
    await device.configure(PORT, setpoint=hot, override=True)
    assert (await device.status()).port(PORT).setpoint_c == hot


@pytest.mark.needs("pulsed")
async def test_pulsed_session_runs_at_an_advertised_rate(dut: Dut) -> None:
    """6.2 configure and 7.1: a session in pulsed mode at a rate from device_info.pulse_hz
    runs, and status and the usage record show that mode and rate."""
    device, info = dut.device, dut.info
    rate = info.pulse_hz[-1]
    await device.configure(PORT, duration=info.session_min, mode=Mode.PULSED, pulse_hz=rate)
    session_id = await dut.start(PORT)
    running = (await device.status()).port(PORT)
    assert (running.state, running.mode, running.pulse_hz) == (
        PortState.RUNNING,
        Mode.PULSED,
        rate,
    )
    await device.stop(PORT)
    record = await dut.record(session_id, PORT)
    assert (record.mode, record.pulse_hz) == (Mode.PULSED, rate)


@pytest.mark.needs("battery")
async def test_no_start_below_the_battery_start_level(dut: Dut) -> None:
    """7.4 Battery and DOMAIN.md rule 7: below battery_start_pct the device refuses start
    with low_battery. The simulator is drained for the test; on hardware it runs only
    when the battery is already that low."""
    device, start = dut.device, dut.info.battery_start_pct
    assert start is not None, "a battery device advertises its start level"
    simulator = device.simulator
    if simulator is not None:
        simulator.set_battery(start - 1)
    status = await device.status()
    assert status.battery_pct is not None
    if status.battery_pct >= start:
        pytest.skip(
            f"the battery is at {status.battery_pct} %; this check needs it below the "
            f"{start} % start level (only the simulator can be drained)"
        )
    await device.configure(PORT)
    with pytest.raises(BatteryTooLow) as refused:
        await device.start(PORT)
    assert refused.value.code is ErrorCode.LOW_BATTERY
    assert (await device.status()).port(PORT).state is not PortState.RUNNING
