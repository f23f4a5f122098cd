"""irlink.sync: the same API, blocking, on a private event-loop thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

import irlink
import irlink.sync
from irlink import EndReason, PortState
from irlink.events import SessionEnded, SessionStarted, StatusUpdate
from irlink.refusals import NoPad
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import serve_in_thread
from irlink.sim.serve.pty import PtyServer


@pytest.fixture
def served() -> Iterator[tuple[SimulatedDevice, str]]:
    sim = SimulatedDevice("multiport", clock=ManualClock())
    with serve_in_thread(PtyServer(sim)) as server:
        yield sim, server.path


def test_a_whole_session_runs_blocking(served: tuple[SimulatedDevice, str]) -> None:
    sim, path = served
    assert isinstance(sim.clock, ManualClock)
    with irlink.sync.connect(path) as device:
        assert device.info.port_count == 2
        device.configure(2, duration=timedelta(minutes=20), intensity=1)
        session_id = device.start(2)
        assert device.status().port(2).state is PortState.RUNNING
        device.pause(2)
        device.resume(2)
        sim.clock.advance(20 * 60)
        [record] = device.usage_log()
        assert (record.session_id, record.end_reason) == (session_id, EndReason.COMPLETED)
        assert device.last_status is not None
        assert device.connected


def test_events_arrive_in_order_on_the_calling_thread(served: tuple[SimulatedDevice, str]) -> None:
    sim, path = served
    assert isinstance(sim.clock, ManualClock)
    with irlink.sync.connect(path) as device:
        events = device.events()
        assert device.subscribe("1s") == timedelta(seconds=1)
        device.configure(1, duration="10m", intensity=1)
        session_id = device.start(1)
        sim.clock.advance(600)
        kinds: list[type] = []
        threads: set[int] = set()
        for event in events:
            kinds.append(type(event))
            threads.add(threading.get_ident())
            if isinstance(event, SessionEnded):
                assert (event.session_id, event.reason) == (session_id, EndReason.COMPLETED)
                break
        assert kinds[0] is SessionStarted
        # One push a second; the one at 600 s follows the session_ended that it reports.
        assert kinds.count(StatusUpdate) == 599
        assert threads == {threading.get_ident()}


def test_errors_are_the_same_typed_errors(served: tuple[SimulatedDevice, str]) -> None:
    sim, path = served
    sim.unplug_pad(1)
    with irlink.sync.connect(path) as device:
        with pytest.raises(irlink.LimitError, match="choose at most 1h"):
            device.configure(1, duration="2h")
        device.configure(1, duration="20m", intensity=1)
        with pytest.raises(NoPad) as refused:
            device.start(1)
        assert refused.value.request == "start"
        assert not sim.output_on(1)


def test_a_failed_connection_leaves_no_thread_behind() -> None:
    before = threading.active_count()
    with (
        pytest.raises(irlink.DeviceNotFound, match="no serial port"),
        irlink.sync.connect("/dev/irlink-no-such-port"),
    ):
        pass
    assert threading.active_count() == before
