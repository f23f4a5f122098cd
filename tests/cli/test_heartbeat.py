"""The dead-man policy from the command line: if ``start --wait`` dies, the device stops.

``irlink sim serve`` runs the device in another process on a pty, 30 times faster
than real time; the test reads the device through the library, waiting on the
device's own status reports (its clock), never on a sleep.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncGenerator
from datetime import timedelta

import irlink
from irlink.cli.heartbeat import DEFAULT_INTERVAL, arm, clock_scale
from irlink.device import Device
from irlink.events import DeviceEvent, StatusUpdate
from irlink.model import Status, UsageRecord
from irlink.protocol.messages import EndReason, PortState
from tests.cli.proc import START_S, read_until, simulator, started

SPEED = "30"
SESSION = ["start", "--duration", "10m", "--wait"]


async def _reports(device: Device) -> AsyncGenerator[Status, None]:
    """Each status the device pushes, by its own clock, at its shortest period."""
    events: AsyncGenerator[DeviceEvent, None] = device.events()
    await device.subscribe(device.info.status_period_min)
    try:
        async for event in events:
            if isinstance(event, StatusUpdate):
                yield event.status
    finally:
        await events.aclose()


async def _until_idle(path: str) -> UsageRecord:
    """Follow the device until port 1 is idle; the record of how its session ended."""
    async with irlink.connect(path, reconnect=None) as device:
        async with asyncio.timeout(START_S):
            if (await device.status()).port(1).state is not PortState.IDLE:
                async for status in _reports(device):
                    if status.port(1).state is PortState.IDLE:
                        break
        return (await device.usage_log())[-1]


async def _state_after(path: str, device_time: timedelta) -> PortState:
    """Port 1's state once ``device_time`` has passed on the device's own clock."""
    async with irlink.connect(path, reconnect=None) as device:
        start = (await device.status()).uptime
        async with asyncio.timeout(START_S):
            async for status in _reports(device):
                if status.uptime - start >= device_time:
                    return status.port(1).state
    raise AssertionError("unreachable: the reports end only with the link")


def test_a_killed_start_wait_leaves_the_device_to_stop_output_with_link_lost() -> None:
    with simulator("--speed", SPEED) as path:
        with started("-d", path, "--json", *SESSION) as proc:
            read_until(proc, b'"type": "status_update"')  # armed, started and followed
            proc.send_signal(signal.SIGKILL)  # no last word: nothing can disarm it
            proc.wait(timeout=START_S)
        record = asyncio.run(_until_idle(path))
    assert record.end_reason is EndReason.LINK_LOST
    assert record.delivered < timedelta(minutes=2) < record.planned


def test_without_the_heartbeat_a_killed_start_wait_leaves_output_on() -> None:
    with simulator("--speed", SPEED) as path:
        with started("-d", path, "--json", *SESSION, "--no-heartbeat") as proc:
            read_until(proc, b'"type": "status_update"')
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=START_S)
        # Longer than any heartbeat the device allows, missed three times over.
        state = asyncio.run(_state_after(path, timedelta(seconds=35)))
    assert state is PortState.RUNNING


def test_a_clean_exit_disarms_the_heartbeat_and_the_session_runs_on() -> None:
    with simulator("--speed", SPEED) as path:
        with started("-d", path, "--json", *SESSION) as proc:
            read_until(proc, b'"type": "status_update"')
            proc.send_signal(signal.SIGINT)  # Ctrl-C: leaving, not a lost link
            proc.communicate(timeout=START_S)
        assert proc.returncode == 130
        state = asyncio.run(_state_after(path, timedelta(seconds=35)))
    assert state is PortState.RUNNING


def test_irlink_times_the_devices_clock_and_beats_as_often_as_it_needs() -> None:
    async def armed(path: str) -> tuple[float, timedelta | None]:
        async with irlink.connect(path, reconnect=None) as device:
            return await clock_scale(device), await arm(device, None)

    with simulator() as path:
        real_scale, real_interval = asyncio.run(armed(path))
    assert (real_scale, real_interval) == (1.0, DEFAULT_INTERVAL)
    with simulator("--speed", SPEED) as path:
        scale, interval = asyncio.run(armed(path))
    assert 0.6 / float(SPEED) < scale < 1.0 / float(SPEED)  # a little fast, on purpose
    assert interval is not None
    assert DEFAULT_INTERVAL < interval <= timedelta(seconds=10)  # within heartbeat_max
