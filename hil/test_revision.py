"""IRLink 1.1: the revision a device speaks, and the behaviour 1.1 made normative.

protocols/README.md section 11 (the revision), 7.3 (restart), 7.4 (clear_fault's
answer), 7.8 (the daily limit), 7.9 (the usage log) and 7.11 (a port's defaults). A 1.0
device passes the checks that apply to it; the others are skipped, saying why.
"""

from __future__ import annotations

import pytest

from hil.rig import Dut
from irlink import EndReason, FaultFlags, PortState
from irlink.events import Restarted, SessionEnded
from irlink.protocol.messages import PROTOCOL_MINOR, CapabilityFlags

PORT = 1


def _needs_1_1(dut: Dut) -> None:
    if dut.info.protocol_minor < 1:
        pytest.skip(f"{dut.target.address} speaks IRLink 1.0: this is a 1.1 behaviour")


async def test_the_device_says_which_revision_it_speaks(dut: Dut) -> None:
    """11: protocol_minor in device_info (absent, so 0, in a 1.0 device); 1.1's limits."""
    info = dut.info
    assert 0 <= info.protocol_minor <= PROTOCOL_MINOR
    if info.protocol_minor < 1:
        return
    if info.has(CapabilityFlags.HEATER):
        default = info.setpoint_default_c
        assert default is not None, "7.11: a 1.1 heater says its default setpoint"
        assert info.setpoint_min_c <= default <= info.setpoint_override_c
    else:
        assert info.setpoint_default_c is None, "no heater, no default setpoint"
    status = await dut.device.status()
    for port in status.ports:
        assert port.override is not None, f"port {port.port}: 1.1 reports override"
        if info.max_starts_per_day is None:
            assert port.starts_left is None, "255: no daily limit"
        else:
            assert port.starts_left is not None
            assert 0 <= port.starts_left <= info.max_starts_per_day


async def test_override_reads_back_as_configured(dut: Dut) -> None:
    """6.4 port_status.override: a host can rebuild a configure from status."""
    _needs_1_1(dut)
    info, device = dut.info, dut.device
    await device.configure(PORT)
    assert (await device.status()).port(PORT).override is False
    if info.has(CapabilityFlags.HEATER):
        hot = info.setpoint_override_c + info.setpoint_step_c
        if hot <= info.setpoint_max_c:
            await device.configure(PORT, setpoint=hot, override=True)
            port = (await device.status()).port(PORT)
            assert (port.setpoint_c, port.override) == (hot, True)


async def test_clear_fault_answers_what_it_cleared_and_what_remains(dut: Dut) -> None:
    """7.4: a response, never a refusal; with nothing latched, nothing cleared or left."""
    result = await dut.device.clear_fault(PORT)
    status = await dut.device.status()
    active = status.faults | status.port(PORT).faults
    assert result.remaining == active, "remaining is what the status shows still active"
    assert not result.cleared & active, "nothing it cleared is still active"


async def test_a_start_counts_toward_the_daily_limit(dut: Dut) -> None:
    """7.8: starts_left goes down by one per session start, not per repeat."""
    _needs_1_1(dut)
    device = dut.device
    before = (await device.status()).port(PORT).starts_left
    if before == 0:
        pytest.skip(f"{dut.target.address}: no starts left today on port {PORT}")
    await device.configure(PORT)
    session_id = await dut.start(PORT)
    await device.start(PORT, session_id=session_id)  # a repeat changes nothing
    after = (await device.status()).port(PORT).starts_left
    await device.stop(PORT)
    assert after == (None if before is None else before - 1)


async def test_reading_the_log_beyond_its_end_is_not_an_error(dut: Dut) -> None:
    """7.9: a from_index at or beyond next_index gets no records and a normal response."""
    assert await dut.device.usage_log(0xFFFF_FFF0) == []


async def test_a_restart_is_reported_with_the_session_it_cut(dut: Dut) -> None:
    """7.3: after a restart output is off, nothing resumes, the cut session is logged as
    power_loss, and the host (subscribed) learns of it. Only the simulator can be
    restarted on demand."""
    device = dut.device
    simulator = device.simulator
    if simulator is None:
        pytest.skip("restarting a device on demand needs the simulator")
    await device.configure(PORT)
    mark = dut.events.mark()
    session_id = await dut.start(PORT)
    await dut.time_passes(2, since=await device.status())  # subscribes; the session runs
    simulator.reboot()
    restarted = await dut.event(Restarted, after=mark, device_time=2, what="Restarted")
    assert restarted.status.port(PORT).state is not PortState.RUNNING
    ended = await dut.event(
        SessionEnded,
        lambda e: e.session_id == session_id,
        after=mark,
        device_time=2,
        what=f"session_ended of session {session_id}",
    )
    assert ended.reason is EndReason.POWER_LOSS
    assert not simulator.output_on(PORT)
    assert not (await device.status()).port(PORT).faults & FaultFlags.INTERNAL
