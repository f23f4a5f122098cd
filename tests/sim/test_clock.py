"""Clocks: manual time moves only when told; real time runs at its speed factor."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from irlink.protocol.messages import EndReason, PortState, StartRequest
from irlink.sim import ManualClock, RealClock, SimulatedDevice
from irlink.sim.device import CATCH_UP_QUANTUM_S
from tests.sim.host import TestHost


class FakeMonotonic:
    """A monotonic clock a test sets by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_manual_clock_moves_only_when_advanced_and_calls_its_watchers() -> None:
    clock = ManualClock()
    seen: list[float] = []
    unwatch = clock.watch(seen.append)
    clock.advance(1.5)
    clock.advance(timedelta(minutes=1))
    assert clock.now() == 61.5
    assert seen == [1.5, 61.5]
    unwatch()
    clock.advance(1)
    assert seen == [1.5, 61.5]


def test_manual_clock_refuses_to_go_back() -> None:
    with pytest.raises(ValueError, match="only moves forward"):
        ManualClock().advance(-1)


def test_real_clock_runs_speed_times_faster_than_monotonic_time() -> None:
    fake = FakeMonotonic()
    clock = RealClock(speed=60, monotonic=fake)
    fake.now += 2.0
    assert clock.now() == pytest.approx(120.0)
    assert clock.speed == 60


def test_real_clock_refuses_a_speed_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="speed must be above 0"):
        RealClock(speed=0)


def test_a_device_on_a_real_clock_catches_up_when_a_request_arrives() -> None:
    fake = FakeMonotonic()
    device = SimulatedDevice("waistband", clock=RealClock(speed=10, monotonic=fake))
    host = TestHost(device)
    host.ok(StartRequest(port=1, session_id=1))
    fake.now += 6.0  # 60 simulated seconds
    assert device.remaining_s(1) == 1800  # nothing ran it yet
    device.catch_up()
    assert device.remaining_s(1) == 1740


def test_a_real_clock_device_skips_steps_shorter_than_the_quantum() -> None:
    fake = FakeMonotonic()
    device = SimulatedDevice("waistband", clock=RealClock(speed=10, monotonic=fake))
    fake.now += 0.9 * CATCH_UP_QUANTUM_S / 10
    device.catch_up()
    assert device.now == 0.0  # nothing a host could see would have changed
    fake.now += 0.2 * CATCH_UP_QUANTUM_S / 10
    device.catch_up()
    assert device.now == pytest.approx(1.1 * CATCH_UP_QUANTUM_S)


def test_a_session_on_a_real_clock_ends_at_most_a_quantum_late_and_runs_its_time() -> None:
    fake = FakeMonotonic()
    device = SimulatedDevice("waistband", clock=RealClock(speed=1, monotonic=fake))
    TestHost(device).ok(StartRequest(port=1, session_id=1))  # 1800 s
    fake.now += 1800 - 0.5 * CATCH_UP_QUANTUM_S
    device.catch_up()
    fake.now += 0.7 * CATCH_UP_QUANTUM_S  # past the end, but less than a quantum on
    device.catch_up()
    assert device.port_state(1) == PortState.RUNNING
    fake.now += 0.4 * CATCH_UP_QUANTUM_S
    device.catch_up()
    assert device.end_reasons() == [EndReason.COMPLETED]
    assert device.memory.log[-1].delivered_s == 1800


def test_a_manual_clock_device_follows_every_advance_however_small() -> None:
    clock = ManualClock()
    device = SimulatedDevice("waistband", clock=clock)
    clock.advance(CATCH_UP_QUANTUM_S / 1000)
    assert device.now == CATCH_UP_QUANTUM_S / 1000


def test_device_run_keeps_a_real_clock_device_up_to_date_until_cancelled() -> None:
    fake = FakeMonotonic()
    device = SimulatedDevice("waistband", clock=RealClock(speed=100, monotonic=fake))
    TestHost(device).ok(StartRequest(port=1, session_id=1))

    async def body() -> None:
        task = asyncio.create_task(device.run())
        fake.now += 18.0  # 1800 simulated seconds: the whole session
        await asyncio.sleep(0)  # let the task take one turn; no waiting on the device
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(body())
    assert device.remaining_s(1) == 0
    assert device.end_reasons()[-1].name == "COMPLETED"


def test_device_run_returns_at_once_on_a_manual_clock() -> None:
    asyncio.run(asyncio.wait_for(SimulatedDevice("firmat").run(), timeout=5))
