"""A 1.1 host with devices of either revision: a 1.0 device works, a newer one is refused.

protocols/README.md section 11: what a 1.0 device lacks, and how the host copes.
"""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

import pytest

import irlink
from irlink import Device, FaultFlags, PortState
from irlink.errors import ProtocolError
from irlink.protocol import encode_body
from irlink.protocol.framing import decode_frame, frame_bytes
from irlink.protocol.messages import (
    PROTOCOL_MINOR,
    ErrorCode,
    FrameKind,
    GetInfoRequest,
    ReadUsageLogRequest,
)
from irlink.refusals import NotAllowed, SessionActive
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim import firmware as firmware_module
from irlink.sim.checks import Refused
from irlink.transport.base import Transport
from tests.host.links import SESSIONS, connected, run
from tests.host.scripted import Scripted


def a_1_0(family: str) -> SimulatedDevice:
    return SimulatedDevice(family, clock=ManualClock(), protocol_minor=0)


@pytest.mark.parametrize("family", ["waistband", "multiport", "firmat"])
def test_a_1_0_device_is_read_at_its_own_layouts(family: str) -> None:
    async def body() -> None:
        async with connected(sim=a_1_0(family)) as host:
            info, device = host.device.info, host.device
            assert info.protocol_minor == 0
            assert (info.max_starts_per_day, info.setpoint_default_c) == (None, None)
            await device.configure(1, **SESSIONS[family])
            await device.start(1)
            status = await device.status()
            port = status.port(1)
            assert port.state is PortState.RUNNING
            # What 1.0 does not send reads as unknown, not as a guess.
            assert (port.override, port.starts_left) == (None, None)
            assert device.stats.garbled == 0
            await device.stop(1)

    run(body())


def test_a_1_0_device_s_refusals_of_state_are_not_allowed_and_say_the_possible_causes() -> None:
    async def body() -> None:
        async with connected(sim=a_1_0("waistband")) as host:
            device = host.device
            await device.configure(1, **SESSIONS["waistband"])
            await device.start(1, session_id=10)
            with pytest.raises(NotAllowed) as refused:
                await device.start(1, session_id=11)
            message = str(refused.value)
            assert "a session already running" in message
            assert "the daily session limit reached" in message
        async with connected(sim=SimulatedDevice("waistband", clock=ManualClock())) as host:
            device = host.device
            await device.configure(1, **SESSIONS["waistband"])
            await device.start(1, session_id=10)
            with pytest.raises(SessionActive):  # the same refusal from a 1.1 device
                await device.start(1, session_id=11)

    run(body())


@pytest.mark.parametrize("minor", [0, 1])
def test_clear_fault_says_what_it_cleared_and_what_remains_on_either_revision(minor: int) -> None:
    async def body() -> None:
        sim = SimulatedDevice("firmat", clock=ManualClock(), protocol_minor=minor)
        async with connected(sim=sim) as host:
            device, clock = host.device, host.clock
            sim.add_heat(1, 300)  # a duvet over the wrap: the element heads for 53 degC
            clock.advance(1800)
            assert (await device.status()).port(1).faults & FaultFlags.OVER_TEMPERATURE
            still_hot = await device.clear_fault(1)
            assert still_hot.cleared == FaultFlags(0)
            assert still_hot.remaining & FaultFlags.OVER_TEMPERATURE
            sim.add_heat(1, 0)
            clock.advance(3600)  # cooled below 41 degC
            done = await device.clear_fault(1)
            assert done.cleared & FaultFlags.OVER_TEMPERATURE
            assert done.remaining == FaultFlags(0)
            again = await device.clear_fault(1)  # a repeat: nothing left to clear
            assert (again.cleared, again.remaining) == (FaultFlags(0), FaultFlags(0))

    run(body())


def test_a_device_of_a_newer_revision_is_refused_with_the_revision_it_speaks() -> None:
    """device_info of a newer revision: read up to what this irlink knows, then refused."""
    link = Scripted()
    info = link.sim.firmware._info  # type: ignore[union-attr]
    minor = PROTOCOL_MINOR + 1
    newer = encode_body(info.model_copy(update={"protocol_minor": minor})) + b"\x07\x07"

    def as_1_2(request: bytes, out: bytes) -> bytes:
        frame = decode_frame(request[:-1])
        if frame.msg_id != GetInfoRequest.MSG_ID:
            return out
        return frame_bytes(FrameKind.RESPONSE, frame.seq, frame.msg_id, newer)

    link.mangles = [as_1_2]

    async def main() -> None:
        async def connector() -> Transport:
            return link

        device = Device(connector, address="scripted", timeout=0.05, reconnect=None)
        with pytest.raises(ProtocolError) as refused:
            await device._open()
        await device.close()
        expected = f"speaks IRLink 1.{minor}; this irlink reads up to 1.{PROTOCOL_MINOR}: update"
        assert expected in str(refused.value)

    asyncio.run(main())


def test_a_1_0_device_through_a_sim_address() -> None:
    async def body() -> None:
        async with irlink.connect("sim://waistband?protocol=1.0", reconnect=None) as device:
            assert device.info.protocol_minor == 0
            assert (await device.status()).port(1).override is None

    run(body())


def test_a_sim_address_refuses_a_revision_it_does_not_know() -> None:
    with pytest.raises(irlink.AddressError, match=r"protocol must be one of 1\.0, 1\.1"):
        irlink.address.parse_address("sim://waistband?protocol=2.0")


@pytest.mark.parametrize("sessions", [0, 2], ids=["empty log", "two records"])
def test_a_1_0_device_that_refuses_reading_its_log_beyond_the_end_still_connects(
    sessions: int,
) -> None:
    """1.0 did not say what a read beyond the log's end gets; some devices refuse it."""
    sim = a_1_0("waistband")
    handlers = firmware_module._HANDLERS
    read_log = handlers[ReadUsageLogRequest.MSG_ID]

    def strict(firmware: Any, request: ReadUsageLogRequest) -> Any:
        if request.from_index >= firmware.memory.next_index:
            raise Refused(ErrorCode.OUT_OF_RANGE, 1, firmware.memory.next_index)
        return read_log(firmware, request)

    async def body() -> None:
        async with connected(sim=sim) as host:
            await host.device.configure(1, **SESSIONS["waistband"])
            for _ in range(sessions):
                await host.device.start(1)
                await host.device.stop(1)
        with mock.patch.dict(handlers, {ReadUsageLogRequest.MSG_ID: strict}):
            async with connected(sim=sim) as host:
                assert host.device.connected
                session_id = await host.device.start(1)
                used = {r.session_id for r in sim.memory.log}
                assert session_id not in used - {session_id}  # the recent ids were learnt

    run(body())
