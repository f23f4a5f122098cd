"""A device that restarts on a link that stays up: the host notices, reports, re-subscribes.

protocols/README.md 7.3. A UART (here a pty) does not drop when the device reboots, so
the host learns of it from the protocol: the ``booted`` event of a 1.1 device at once,
or a 1.0 device's status events that stop coming.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from irlink import Device, DeviceRestarted, EndReason, PortState
from irlink.events import Restarted, SessionEnded, StatusUpdate
from irlink.protocol.framing import decode_frame
from irlink.protocol.messages import ResetCause, StartRequest
from irlink.sim import ManualClock, SimulatedDevice
from tests.host.links import SESSIONS, connected, run
from tests.host.scripted import Scripted, run_with

PERIOD = "1s"  # the status period the host subscribes at


def test_a_restart_is_reported_before_any_device_time_passes_with_the_cut_session() -> None:
    # IRLink 1.1's booted event (a device with security sends it on no link: the host learns
    # of the restart when its next sealed frame is refused; tests/security covers that).
    one_one = SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=1)

    async def body() -> None:
        async with connected(sim=one_one, status_period=PERIOD, heartbeat="5s") as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(1, **SESSIONS["waistband"])
            session_id = await device.start(1)
            # 12 s: within the heartbeat's 3 x 5 s (the host beats in real time, this clock
            # does not move by itself), and past the 10 s checkpoint the record is made from.
            clock.advance(12)
            sim.reboot()  # a brown-out: output off, a new boot, the UART stays up
            # No device time passes from here: the booted event alone tells the host.
            restarted = await host.wait_for(Restarted)
            assert (restarted.boot_count, restarted.cause) == (2, ResetCause.BROWNOUT)
            assert restarted.status.port(1).state is PortState.IDLE
            ended = await host.wait_for(SessionEnded, lambda e: e.session_id == session_id)
            assert ended.reason is EndReason.POWER_LOSS
            assert ended.recovered
            assert not ended.completed
            assert timedelta(seconds=10) <= ended.delivered <= timedelta(seconds=12)
            assert host.seen.index(restarted) < host.seen.index(ended)
            # Subscribed and armed again: the boot had ended both.
            firmware = sim.firmware
            assert firmware is not None
            assert firmware.status_period == 1.0
            assert firmware.heartbeat_deadline != float("inf")
            clock.advance(1)
            update = await host.wait_for(StatusUpdate, lambda e: e.status.boot_count == 2)
            assert update.status.port(1).state is PortState.IDLE  # nothing was restarted
            assert not sim.output_on(1)
            assert device.stats.events_missed == 0  # the counter's restart is not a gap

    run(body())


def test_a_1_0_device_s_restart_is_noticed_when_its_status_events_stop() -> None:
    async def body() -> None:
        sim = SimulatedDevice("waistband", clock=ManualClock(), protocol_minor=0)
        async with connected(sim=sim, status_period="250ms") as host:
            device, clock = host.device, host.clock
            await device.configure(1, **SESSIONS["waistband"])
            session_id = await device.start(1)
            clock.advance(30)
            sim.reboot()  # no booted event from a 1.0 device, and no more status events
            restarted = await host.wait_for(Restarted)
            assert restarted.cause is None  # the device did not say
            assert restarted.boot_count == 2
            ended = await host.wait_for(SessionEnded, lambda e: e.session_id == session_id)
            assert (ended.reason, ended.recovered) == (EndReason.POWER_LOSS, True)
            assert sim.firmware is not None
            assert sim.firmware.status_period == 0.25  # subscribed again

    run(body())


def test_a_restart_seen_in_a_status_read_is_handled_once() -> None:
    """The boot count of any status read shows a restart whose booted event was lost."""

    async def body() -> None:
        async with connected("multiport") as host:
            device, sim = host.device, host.sim
            sim.power_off()
            sim.power_on()
            status = await device.status()
            assert status.boot_count == 2
            restarted = await host.wait_for(Restarted)
            assert restarted.boot_count == 2
            await device.status()
            assert len(host.of(Restarted)) == 1

    run(body())


@pytest.mark.parametrize("minor", [0, 1])
def test_nothing_is_started_or_configured_again_after_a_restart(minor: int) -> None:
    async def body() -> None:
        sim = SimulatedDevice("firmat", clock=ManualClock(), protocol_minor=minor)
        async with connected(sim=sim, status_period="250ms") as host:
            device, clock = host.device, host.clock
            await device.configure(1, duration="45m", setpoint=40.0)
            await device.start(1)
            clock.advance(60)
            sim.reboot(off_s=0)
            await host.wait_for(Restarted)
            port = (await device.status()).port(1)
            assert port.state is PortState.IDLE
            assert port.setpoint_c == 43.0  # the device's default again, not the 40 configured
            assert not sim.output_on(1)

    run(body())


class RebootOnFirstStart(Scripted):
    """A link on which the first start is lost while the device browns out and boots."""

    def __init__(self) -> None:
        super().__init__()
        self.rebooted = False

    def _answer(self, data: bytes) -> None:
        if decode_frame(data[:-1]).msg_id == StartRequest.MSG_ID and not self.rebooted:
            self.rebooted = True
            self.sim.reboot()  # the start never arrived; the device announces its boot
            asyncio.get_running_loop().call_soon(self._deliver, self.pipe.read_now())
            return
        super()._answer(data)


def test_a_start_is_never_retried_onto_a_device_that_restarted_under_it() -> None:
    """Retried after the restart, the start would run the device's defaults: a sham arm's
    configured session as real output at level 1."""
    link = RebootOnFirstStart()

    async def body(device: Device) -> None:
        await device.configure(1, duration="10m", intensity=3, sham=True)
        with pytest.raises(DeviceRestarted, match="configure again"):
            await device.start(1)
        assert link.sim.port_state(1) is PortState.IDLE
        assert not link.sim.output_on(1)
        # And a start after it, of what was configured before the restart, is refused too.
        with pytest.raises(DeviceRestarted, match="restarted since port 1 was configured"):
            await device.start(1)
        await device.configure(1, duration="10m", intensity=3, sham=True)
        await device.start(1)  # configured again: allowed
        assert (await device.status()).port(1).sham

    run_with(link, body)


def test_a_session_cut_by_a_restart_ends_even_when_the_device_kept_no_record() -> None:
    async def body() -> None:
        async with connected("waistband", status_period=PERIOD) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(1, **SESSIONS["waistband"])
            session_id = await device.start(1)
            clock.advance(5)
            sim.memory.checkpoints.clear()  # no progress kept: the boot writes no record
            sim.reboot()
            ended = await host.wait_for(SessionEnded, lambda e: e.session_id == session_id)
            assert (ended.reason, ended.delivered, ended.recovered) == (
                EndReason.POWER_LOSS,
                None,  # nobody can say how much it delivered, so nobody does
                True,
            )
            assert not ended.completed

    run(body())
