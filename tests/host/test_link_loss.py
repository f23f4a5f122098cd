"""Link loss: the caller sees it, irlink reconnects, and the device's session is untouched."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest

import irlink
from irlink import EndReason, PortState
from irlink.events import (
    EventsMissed,
    LinkDown,
    LinkRestored,
    SessionEnded,
    SessionStarted,
    StatusUpdate,
)
from irlink.protocol.messages import GetStatusRequest, GetStatusResponse
from irlink.sim import SimulatedDevice
from irlink.sim.link import Impairment
from tests.host.links import LINKS, connected, run

# How long one try of a request waits: short, so that a silent link is noticed quickly.
QUICK = 0.2


@pytest.mark.parametrize("link", LINKS)
def test_a_session_survives_a_dropped_link(link: str) -> None:
    async def body() -> None:
        async with connected("waistband", link, timeout=QUICK) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(duration="30m", intensity=2)
            session_id = await device.start()
            await device.subscribe("1s")
            clock.advance(60)

            sim.cut_link(30)
            if link == "pty":
                # A pty stays open when the far end goes quiet: the silence is the loss.
                with pytest.raises(irlink.RequestTimeout):
                    await device.status()
            lost = await host.wait_for(LinkDown)
            assert lost.reason
            with pytest.raises((irlink.LinkLost, irlink.RequestTimeout)):
                await device.pause()  # nothing reaches a device that cannot hear
            assert sim.port_state(1) is PortState.RUNNING

            clock.advance(30)  # the device's link comes back; its timer ran on
            restored = await host.wait_for(LinkRestored)
            assert not restored.rebooted
            port = restored.status.port(1)
            assert (port.state, port.session_id) == (PortState.RUNNING, session_id)
            assert port.remaining == timedelta(minutes=30) - timedelta(seconds=90)

            # Still subscribed: pushes resume without being asked again.
            clock.advance(1)
            await host.wait_for(StatusUpdate, lambda e: e.at > restored.at)
            assert len(host.of(SessionStarted)) == 1
            assert sim.memory.starts == {1: [0.0]}  # the device started one session, once
            assert device.stats.reconnects == 1

    run(body())


def test_a_session_that_ended_while_the_link_was_down_is_reported_from_the_usage_log() -> None:
    async def body() -> None:
        async with connected("waistband", "socket", timeout=QUICK) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(duration="10m", intensity=1)
            session_id = await device.start()
            clock.advance(60)  # no status read since the start: the host knows it from start()

            sim.cut_link(600)  # out of range until well after the session ends
            await host.wait_for(LinkDown)
            clock.advance(600)
            ended = await host.wait_for(SessionEnded)
            assert ended.recovered
            assert (ended.session_id, ended.reason) == (session_id, EndReason.COMPLETED)
            assert ended.delivered == timedelta(minutes=10)
            restored = await host.wait_for(LinkRestored)
            assert restored.status.port(1).state is PortState.IDLE

    run(body())


def test_a_reboot_while_away_is_reported_and_nothing_restarts() -> None:
    async def body() -> None:
        async with connected("waistband", "socket", timeout=QUICK) as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.configure(duration="30m", intensity=1)
            session_id = await device.start()
            clock.advance(120)
            await host.settle()

            sim.reboot(off_s=5)  # the TCP bridge stays up; the device behind it goes quiet
            with pytest.raises(irlink.RequestTimeout):
                await device.status()
            await host.wait_for(LinkDown)
            clock.advance(5)
            restored = await host.wait_for(LinkRestored)
            assert restored.rebooted
            assert restored.status.port(1).state is PortState.IDLE  # never resumes by itself
            ended = await host.wait_for(SessionEnded)
            assert (ended.session_id, ended.reason) == (session_id, EndReason.POWER_LOSS)
            assert ended.recovered
            assert not sim.output_on(1)

    run(body())


def test_without_reconnection_the_loss_is_final_and_says_so() -> None:
    async def body() -> None:
        async with connected("waistband", "socket", timeout=QUICK, reconnect=None) as host:
            host.sim.cut_link(5)
            await host.wait_for(LinkDown)
            host.clock.advance(5)
            with pytest.raises(irlink.LinkLost, match="reconnection is off"):
                await host.device.status()

    run(body())


def test_lost_events_trigger_a_status_re_read() -> None:
    async def body() -> None:
        async with connected("waistband", "socket") as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.subscribe("1s")
            clock.advance(1)  # the first push sets where the event counter stands
            await host.wait_for(StatusUpdate)
            sim.impair(Impairment(drop_rate=1.0, seed=1))
            clock.advance(3)  # three status pushes lost on the way
            sim.impair(None)
            clock.advance(1)
            missed = await host.wait_for(EventsMissed)
            assert missed.missed == 3
            assert missed.status.uptime == timedelta(seconds=5)
            assert device.stats.events_missed == 3

    run(body())


def test_a_noisy_link_completes_every_request_and_starts_once() -> None:
    async def body() -> None:
        sim = SimulatedDevice("multiport", serial="0007")
        async with connected(sim=sim, link="pty", timeout=0.05, retries=12) as host:
            device, clock = host.device, host.clock
            # 1 % of bytes get a flipped bit and 1 % of frames vanish, both ways.
            sim.impair(Impairment(corrupt_rate=0.01, drop_rate=0.01, seed=7))
            await device.subscribe("1s")
            await device.configure(1, duration="20m", intensity=1)
            first = await device.start(1)
            for _ in range(40):
                await device.start(1, session_id=first)  # repeats change nothing
                clock.advance(1)
                status = await device.status()
                assert status.port(1).session_id == first
                assert status.port(1).state is PortState.RUNNING
            await device.stop(1)
            records = await device.usage_log()
            sim.impair(None)
            assert [r.session_id for r in records] == [first]
            assert records[0].delivered == timedelta(seconds=40)
            assert sim.memory.starts == {1: [0.0]}
            assert device.stats.retries > 0  # the noise was real
            assert device.stats.garbled == 0  # damaged frames fail their CRC, never parse

    run(body(), limit_s=60)


def test_a_session_end_lost_with_other_events_is_recovered() -> None:
    async def body() -> None:
        async with connected("waistband", "socket") as host:
            device, sim, clock = host.device, host.sim, host.clock
            await device.subscribe("1s")
            await device.configure(duration="10m", intensity=1)
            session_id = await device.start()
            clock.advance(599)
            await host.wait_for(StatusUpdate, lambda e: e.status.port(1).elapsed.seconds == 599)
            sim.impair(Impairment(drop_rate=1.0, seed=3))
            clock.advance(1)  # session_ended and the status after it are lost
            sim.impair(None)
            clock.advance(1)
            ended = await host.wait_for(SessionEnded)
            assert (ended.session_id, ended.reason, ended.recovered) == (
                session_id,
                EndReason.COMPLETED,
                True,
            )
            assert (await host.wait_for(EventsMissed)).missed == 2
            assert len(host.of(SessionEnded)) == 1

    run(body())


def heartbeat_deadline(sim: SimulatedDevice) -> float:
    assert sim.firmware is not None
    return sim.firmware.heartbeat_deadline


def test_the_heartbeat_is_armed_fed_re_armed_after_a_drop_and_disarmed_on_close() -> None:
    async def body() -> None:
        sim = SimulatedDevice("waistband")
        async with connected(sim=sim, link="socket", heartbeat="10s") as host:
            clock = host.clock
            assert heartbeat_deadline(sim) == clock.now() + 30  # 3 misses of 10 s
            await host.device.configure(duration="30m")
            await host.device.start()
            sim.cut_link(5)
            await host.wait_for(LinkDown)
            sim.firmware.heartbeat_deadline = math.inf  # as if the policy had been forgotten
            clock.advance(5)
            await host.wait_for(LinkRestored)
            assert heartbeat_deadline(sim) == clock.now() + 30  # re-armed first thing
        clock.advance(120)  # closed: the policy was disarmed, so the session runs on
        assert heartbeat_deadline(sim) == math.inf
        assert sim.output_on(1)

    run(body())


def test_a_host_that_goes_quiet_has_the_device_stop_output() -> None:
    async def body() -> None:
        sim = SimulatedDevice("waistband")
        async with connected(sim=sim, link="socket", heartbeat="10s") as host:
            await host.device.configure(duration="30m")
            await host.device.start()
            sim.cut_link(3600)  # the host is gone for good
            host.clock.advance(31)
            assert not sim.output_on(1)
            assert sim.end_reasons()[-1] is EndReason.LINK_LOST

    run(body())


def test_each_attempt_times_out_at_its_own_deadline_under_one_shared_timer() -> None:
    """A short per-request timeout is kept while a longer one is already being watched."""

    async def body() -> None:
        async with connected("waistband", "pty", timeout=60, retries=0, reconnect=None) as host:
            device, sim = host.device, host.sim
            for _ in range(3):  # answered attempts leave nothing behind to expire
                await device.status()
            sim.cut_link(3600)  # the device hears nothing from now on
            slow = asyncio.ensure_future(device.status())  # waits up to 60 s
            await asyncio.sleep(0)  # let it send: the shared timer is armed for 60 s
            with pytest.raises(irlink.RequestTimeout, match=r"1 tries of 0\.05 s"):
                await asyncio.wait_for(
                    device.request(GetStatusRequest(), GetStatusResponse, timeout=0.05), 5
                )
            # That timeout took the silent link as lost, which ends the slow request too.
            with pytest.raises(irlink.LinkLost):
                await asyncio.wait_for(slow, 5)
            assert device.stats.timeouts == 1

    run(body())
