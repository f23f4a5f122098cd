"""The TCP server through pyserial's socket:// URLs, on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serial

from irlink.protocol.messages import (
    DeviceState,
    GetInfoRequest,
    GetStatusRequest,
    StartRequest,
    StatusEvent,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve import Fleet, TcpServer, build_devices, serve_in_thread
from irlink.sim.serve.runner import ServeError
from tests.sim.serve.serialhost import SerialHost, open_port


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def device(clock: ManualClock) -> Iterator[SimulatedDevice]:
    device = SimulatedDevice("multiport", clock=clock, serial="0042")
    yield device
    device.close()


@pytest.fixture
def server(device: SimulatedDevice) -> Iterator[TcpServer]:
    with serve_in_thread(TcpServer(device)) as server:
        yield server


def test_port_0_binds_a_free_loopback_port(server: TcpServer) -> None:
    assert server.port > 0
    assert server.url == f"socket://127.0.0.1:{server.port}"


def test_get_info_and_get_status_round_trip_over_socket_url(
    server: TcpServer, device: SimulatedDevice
) -> None:
    with open_port(server.url) as port:
        host = SerialHost(port)
        info = host.ok(GetInfoRequest())
        status = host.ok(GetStatusRequest())
    assert (info.serial, info.model) == ("0042", device.profile.identity.model)
    assert status.state == DeviceState.IDLE


def test_status_events_reach_the_client_as_the_clock_advances(
    server: TcpServer, clock: ManualClock
) -> None:
    with open_port(server.url) as port:
        host = SerialHost(port)
        host.ok(StartRequest(port=1, session_id=7))  # the default configuration
        host.ok(SubscribeRequest(period_ms=500))
        clock.advance(2)
        events = host.wait_events(StatusEvent, 4)
    assert events[0].ports[0].session_id == 7
    assert all(event.state == DeviceState.RUNNING for event in events)


def test_garbage_then_a_request_is_still_answered(server: TcpServer) -> None:
    with open_port(server.url) as port:
        host = SerialHost(port)
        port.write(b"\x00" + bytes(range(255, 0, -1)) + b"\x00\x07\x00")
        assert host.ok(GetInfoRequest()).serial == "0042"


def test_a_cut_link_closes_the_connection_until_the_clock_passes_the_cut(
    server: TcpServer, device: SimulatedDevice, clock: ManualClock
) -> None:
    with open_port(server.url) as port:
        SerialHost(port).ok(GetInfoRequest())
        device.cut_link(30)
        with pytest.raises(serial.SerialException, match="disconnected"):
            port.read(1)
    # While the link is cut, connections are turned away.
    with open_port(server.url) as port, pytest.raises(serial.SerialException, match="disconn"):
        port.read(1)
    assert server.refused == 1
    clock.advance(31)
    with open_port(server.url) as port:
        assert SerialHost(port).ok(GetStatusRequest()).state == DeviceState.IDLE


def test_each_connection_is_its_own_link(server: TcpServer, device: SimulatedDevice) -> None:
    with open_port(server.url) as first, open_port(server.url) as second:
        a, b = SerialHost(first), SerialHost(second)
        assert a.ok(GetInfoRequest()).serial == b.ok(GetInfoRequest()).serial == "0042"
        assert len(device.links) == 2
    with open_port(server.url) as again:  # the closed clients' links are gone
        SerialHost(again).ok(GetInfoRequest())
        assert len(device.links) == 1


def test_several_devices_on_consecutive_ports(clock: ManualClock) -> None:
    devices = build_devices(["waistband", "multiport"], clock=clock, first_serial="SIM-9")
    with serve_in_thread(Fleet(devices, transport="tcp")) as fleet:
        for device, url in zip(devices, fleet.addresses, strict=True):
            with open_port(url) as port:
                info = SerialHost(port).ok(GetInfoRequest())
            assert (info.model, info.serial) == (device.profile.identity.model, device.serial)
        first = fleet.servers[0]
        assert isinstance(first, TcpServer)
        taken = first.port
        # A fleet asked for a port that is in use fails whole, saying which port.
        clash = Fleet(build_devices(["firmat"], clock=clock), transport="tcp", port=taken)
        with pytest.raises(ServeError, match=f"127.0.0.1:{taken}"), serve_in_thread(clash):
            pass
    assert [d.serial for d in devices] == ["SIM-9", "SIM-10"]
    for device in devices:
        device.close()
