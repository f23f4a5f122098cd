"""The pty server through pyserial: a blocking serial.Serial on the slave, a manual clock."""

from __future__ import annotations

import asyncio
import logging
import os
import termios
import threading
from collections.abc import Iterator
from itertools import pairwise

import pytest
import serial

from irlink.protocol import EventReceived
from irlink.protocol.messages import (
    DeviceState,
    GetInfoRequest,
    GetStatusRequest,
    PortState,
    StartRequest,
    StatusEvent,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.link import Link
from irlink.sim.serve import Fleet, PtyServer, build_devices, serve_in_thread
from irlink.sim.serve import pty as pty_module
from tests.sim.rig import configure
from tests.sim.serve.serialhost import TIMEOUT_S, SerialHost

RAW_OFF = termios.ECHO | termios.ICANON | termios.ISIG | termios.IEXTEN


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def device(clock: ManualClock) -> Iterator[SimulatedDevice]:
    device = SimulatedDevice("waistband", clock=clock, battery_pct=80)
    yield device
    device.close()


@pytest.fixture
def server(device: SimulatedDevice) -> Iterator[PtyServer]:
    with serve_in_thread(PtyServer(device)) as server:
        yield server


def test_pty_slave_is_a_raw_tty_without_echo(server: PtyServer) -> None:
    fd = os.open(server.path, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
        _, oflag, _, lflag, *_ = termios.tcgetattr(fd)
    finally:
        os.close(fd)
    assert lflag & RAW_OFF == 0
    assert oflag & termios.OPOST == 0


def test_get_info_and_get_status_round_trip_through_pyserial(
    server: PtyServer, device: SimulatedDevice
) -> None:
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        host = SerialHost(port)
        info = host.ok(GetInfoRequest())
        status = host.ok(GetStatusRequest())
    assert (info.serial, info.model) == ("0001", device.profile.identity.model)
    assert status.state == DeviceState.IDLE
    assert status.battery_pct == 80


def test_a_session_streams_status_events_as_the_clock_advances(
    server: PtyServer, device: SimulatedDevice, clock: ManualClock
) -> None:
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        host = SerialHost(port)
        host.ok(configure(intensity=2))
        host.ok(StartRequest(port=1, session_id=1))
        host.ok(SubscribeRequest(period_ms=1000))
        clock.advance(3)  # events are sent, and written to the pty, from this thread
        events = host.wait_events(StatusEvent, 3)
    assert device.port_state(1) == PortState.RUNNING
    assert all(event.state == DeviceState.RUNNING for event in events)
    remaining = [event.ports[0].remaining_s for event in events]
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[-1] <= 598


def test_garbage_on_the_line_then_a_request_is_still_answered(server: PtyServer) -> None:
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        host = SerialHost(port)
        port.write(bytes(range(1, 200)) + b"\x00\xff\xfe\x00")  # line noise, then delimiters
        info = host.ok(GetInfoRequest())
    assert info.serial == "0001"


def test_the_host_can_close_and_reopen_the_port(server: PtyServer, device: SimulatedDevice) -> None:
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        assert SerialHost(port).ok(GetInfoRequest()).serial == "0001"
    # The server notices the host left (EIO/HUP on the master) and drops its link.
    assert server.waiting.wait(TIMEOUT_S)
    assert server.link is None
    assert device.links == []
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        status = SerialHost(port).ok(GetStatusRequest())
    assert status.state == DeviceState.IDLE
    assert server.hosts_served == 2


def test_several_devices_each_on_their_own_pty(clock: ManualClock) -> None:
    devices = build_devices(["waistband", "multiport", "firmat"], clock=clock)
    with serve_in_thread(Fleet(devices, transport="pty")) as fleet:
        assert len(set(fleet.addresses)) == 3
        for device, path in zip(devices, fleet.addresses, strict=True):
            with serial.Serial(path, timeout=TIMEOUT_S) as port:
                info = SerialHost(port).ok(GetInfoRequest())
            assert (info.model, info.serial) == (device.profile.identity.model, device.serial)
    for device in devices:
        device.close()
    assert [d.serial for d in devices] == ["0001", "0002", "0003"]


def test_the_pty_disappears_when_the_server_closes(device: SimulatedDevice) -> None:
    with serve_in_thread(PtyServer(device)) as server:
        path = server.path
        port = serial.Serial(path, timeout=TIMEOUT_S)
    try:
        # No master any more: the slave reads end-of-file or EIO instead of blocking.
        with pytest.raises(serial.SerialException):
            port.read(1)
    finally:
        port.close()
    assert device.links == []


def test_the_server_answers_while_its_event_loop_is_blocked(device: SimulatedDevice) -> None:
    # The pty is served by a thread of its own: a host calling blocking pyserial on the
    # very loop the server was started on is still answered.
    async def body() -> tuple[str, int]:
        async with PtyServer(device) as server:
            with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
                info = SerialHost(port).ok(GetInfoRequest())
                status = SerialHost(port).ok(GetStatusRequest())
            return info.serial, status.battery_pct

    assert asyncio.run(body()) == ("0001", 80)


def test_a_host_that_does_not_read_loses_what_overruns_then_gets_the_rest(
    server: PtyServer, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pty_module, "MAX_BUFFER", 4096)
    with serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        host = SerialHost(port)
        host.ok(SubscribeRequest(period_ms=1000))
        link = server.link
        assert link is not None
        before = link.stats.bytes_to_host
        clock.advance(3600)  # some 170 kB of status events; the pty holds far less
        sent = link.stats.bytes_to_host - before
        assert server.bytes_overrun > 0
        # What the pty held, then what the server kept back and wrote as the host read.
        expected = sent - server.bytes_overrun
        data = port.read(expected)
    assert len(data) == expected
    stats = host.codec.decoder.stats
    dropped_before = stats.dropped
    incoming = host.codec.feed(data)  # the frame the overrun cut short never ends
    # As a UART's overrun: the bytes that did not fit are lost. The server writes on as
    # the pty takes bytes, so a later frame can land after a cut one's head: that packet
    # is dropped by its CRC, as a host would. Every other delimited frame is intact.
    dropped = stats.dropped - dropped_before
    assert len(incoming) + dropped == data.count(0)
    assert dropped <= server.bytes_overrun // 50 + 1  # a frame at most for each gap
    events = [item for item in incoming if isinstance(item, EventReceived)]
    assert len(events) == len(incoming)
    assert all(isinstance(event.message, StatusEvent) for event in events)
    counters = [event.counter for event in events]
    assert counters == sorted(set(counters))  # in order, none twice
    gaps = sum(1 for a, b in pairwise(counters) if b != a + 1)
    assert gaps <= dropped  # a frame is missing only where a cut one's head was


def test_a_request_the_device_fails_on_leaves_the_server_serving(
    server: PtyServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write = Link.write
    failed = threading.Event()

    def failing_once(self: Link, data: bytes) -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("a firmware bug")
        write(self, data)

    with caplog.at_level(logging.ERROR), serial.Serial(server.path, timeout=TIMEOUT_S) as port:
        host = SerialHost(port)
        monkeypatch.setattr(Link, "write", failing_once)
        port.write(host.codec.request(GetInfoRequest())[1])  # lost to the bug
        assert failed.wait(TIMEOUT_S)
        status = host.ok(GetStatusRequest())
    assert status.state == DeviceState.IDLE
    assert "a firmware bug" in caplog.text


@pytest.mark.parametrize("with_host", [False, True])
def test_closing_the_server_ends_its_thread(device: SimulatedDevice, with_host: bool) -> None:
    before = set(threading.enumerate())
    with serve_in_thread(PtyServer(device)) as server:
        assert len(set(threading.enumerate()) - before) == 2  # its loop's, and its pty's
        port = serial.Serial(server.path, timeout=TIMEOUT_S) if with_host else None
        if port is not None:
            assert SerialHost(port).ok(GetInfoRequest()).serial == "0001"
    try:
        assert set(threading.enumerate()) <= before
        assert server.link is None
        assert device.links == []
        assert server.waiting.is_set()
    finally:
        if port is not None:
            port.close()
