"""The simulator over BLE through bleak's own front end, on both backends.

Each test body uses only the bleak API (BleakScanner, BleakClient with ``backend=``),
so it runs unchanged on the stackless simulator backend and on bumble's real stack.
"""

from __future__ import annotations

import asyncio
import math
import threading

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode

from irlink.protocol import Reply
from irlink.protocol.messages import (
    GetInfoRequest,
    GetInfoResponse,
    GetStatusRequest,
    GetStatusResponse,
    StatusEvent,
    SubscribeRequest,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.ble_gatt import chunks
from tests.sim.serve.ble_host import BACKENDS, FAMILIES, RX, SERVICE_UUID, TX, BleHost, bench, run

BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
DIS_SERVICE = "0000180a-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
DIS = {
    "manufacturer": "00002a29-0000-1000-8000-00805f9b34fb",
    "model": "00002a24-0000-1000-8000-00805f9b34fb",
    "serial": "00002a25-0000-1000-8000-00805f9b34fb",
    "hardware": "00002a27-0000-1000-8000-00805f9b34fb",
    "firmware": "00002a26-0000-1000-8000-00805f9b34fb",
}
AUTHENTICATION = BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_discovery_by_service_uuid(backend: str) -> None:
    async def body() -> None:
        async with bench(backend) as air:
            devices = [SimulatedDevice(family, serial="0042") for family in FAMILIES]
            addresses = {await air.serve(device): device for device in devices}
            found = await BleakScanner.discover(
                0.3, service_uuids=[SERVICE_UUID], return_adv=True, backend=air.scanner
            )
            assert set(found) == set(addresses)
            for address, (ble_device, adv) in found.items():
                assert SERVICE_UUID in adv.service_uuids
                assert adv.local_name == ble_device.name == addresses[address].ble_name
                assert adv.rssi < 0
            other = await BleakScanner.discover(
                0.05, service_uuids=[BATTERY_SERVICE], backend=air.scanner
            )
            assert other == []  # only the irlink service is advertised

    run(body())


def test_a_passive_scan_gets_no_name(backend: str) -> None:
    async def body() -> None:
        async with bench(backend) as air:
            address = await air.serve(SimulatedDevice("waistband"))
            found = await BleakScanner.discover(
                0.3, scanning_mode="passive", return_adv=True, backend=air.scanner
            )
            _, adv = found[address]
            assert adv.service_uuids == [SERVICE_UUID]
            assert adv.local_name is None  # the name is only in the scan response

    run(body())


def test_find_device_by_name(backend: str) -> None:
    async def body() -> None:
        async with bench(backend) as air:
            address = await air.serve(SimulatedDevice("firmat", serial="0007"))
            await air.serve(SimulatedDevice("firmat", serial="0008"))
            found = await BleakScanner.find_device_by_name(
                "IRL-F1-0007", timeout=5, backend=air.scanner
            )
            assert found is not None
            assert found.address == address
            missing = await BleakScanner.find_device_by_name(
                "IRL-F1-9999", timeout=0.1, backend=air.scanner
            )
            assert missing is None

    run(body())


@pytest.mark.parametrize("family", FAMILIES)
def test_get_info_status_and_event_stream(backend: str, family: str) -> None:
    async def body() -> None:
        clock = ManualClock()
        device = SimulatedDevice(family, clock=clock)
        async with bench(backend) as air:
            address = await air.serve(device)
            async with BleakClient(address, backend=air.client, pair=True) as client:
                host = await BleHost(client).start()
                info = await host.ok(GetInfoRequest())
                assert isinstance(info, GetInfoResponse)
                assert (info.model, info.serial) == (device.profile.identity.model, "0001")
                status = await host.ok(GetStatusRequest())
                assert isinstance(status, GetStatusResponse)
                assert await host.ok(SubscribeRequest(period_ms=1000))
                clock.advance(3.5)
                events = await host.events(3)
                assert all(isinstance(event, StatusEvent) for event in events)
                await client.stop_notify(TX)
                heard = len(host.notifications)
                clock.advance(3)
                await client.read_gatt_char(DIS["model"])  # a round trip behind any notification
                assert len(host.notifications) == heard

    run(body())


@pytest.mark.parametrize("att_mtu", [23, 64, 247])
def test_largest_frame_crosses_notifications_at_the_mtu(backend: str, att_mtu: int) -> None:
    async def body() -> None:
        device = SimulatedDevice("multiport")  # the longest info response of the families
        async with bench(backend) as air:
            address = await air.serve(device)
            client = BleakClient(address, backend=air.client, pair=True, att_mtu=att_mtu)
            async with client:
                assert client.mtu_size == att_mtu
                rx = client.services.get_characteristic(RX)
                assert rx is not None
                assert rx.max_write_without_response_size == att_mtu - 3
                # get_info only, unverified (a device answers it before pair verify): the
                # notifications are its answer's alone.
                host = await BleHost(client).start(verify=False)
                # One byte per write: the device reassembles frames from the stream.
                answer = await host.ask(GetInfoRequest(), write_size=1)
                assert isinstance(answer, Reply)
                frame = b"".join(host.notifications)
                assert frame.endswith(b"\x00")
                assert host.notifications == chunks(frame, att_mtu)
                assert len(host.notifications) == math.ceil(len(frame) / (att_mtu - 3))
                if att_mtu < 64:
                    assert len(host.notifications) > 1

    run(body())


def test_one_long_write_carries_several_frames(backend: str) -> None:
    async def body() -> None:
        async with bench(backend) as air:
            address = await air.serve(SimulatedDevice("waistband"))
            client = BleakClient(address, backend=air.client, pair=True, att_mtu=23)
            async with client:
                host = await BleHost(client).start()
                requests = [host.codec.request(GetStatusRequest()) for _ in range(3)]
                stream = b"".join(data for _, data in requests)
                assert len(stream) > client.mtu_size - 3  # a long write (prepare, execute)
                await client.write_gatt_char(RX, stream, response=True)
                answers = [await host.next() for _ in requests]
                assert [answer.seq for answer in answers] == [seq for seq, _ in requests]
                assert all(isinstance(answer, Reply) for answer in answers)

    run(body())


@pytest.mark.parametrize("family", FAMILIES)
def test_battery_and_device_information_read_without_pairing(backend: str, family: str) -> None:
    async def body() -> None:
        device = SimulatedDevice(family, serial="0123")
        async with bench(backend) as air:
            address = await air.serve(device)
            async with BleakClient(address, backend=air.client) as client:
                uuids = {service.uuid for service in client.services}
                has_battery = family != "multiport"
                assert uuids == {SERVICE_UUID, DIS_SERVICE} | (
                    {BATTERY_SERVICE} if has_battery else set()
                )
                identity = device.profile.identity
                expected = {
                    "manufacturer": device.manufacturer,
                    "model": identity.model,
                    "serial": "0123",
                    "hardware": identity.hardware_version,
                    "firmware": identity.firmware_version,
                }
                for key, uuid in DIS.items():
                    assert (await client.read_gatt_char(uuid)).decode() == expected[key]
                if has_battery:
                    device.set_battery(37)
                    assert await client.read_gatt_char(BATTERY_LEVEL) == bytearray([37])
                else:
                    assert client.services.get_characteristic(BATTERY_LEVEL) is None

    run(body())


def test_cut_link_disconnects_and_reconnect_works(backend: str) -> None:
    async def body() -> None:
        clock = ManualClock()
        device = SimulatedDevice("waistband", clock=clock)
        async with bench(backend) as air:
            address = await air.serve(device)
            lost = asyncio.Event()
            client = BleakClient(address, lambda _: lost.set(), backend=air.client, pair=True)
            await client.connect()
            host = await BleHost(client).start()
            assert await host.ok(GetStatusRequest())
            device.cut_link(30)
            async with asyncio.timeout(5):
                await lost.wait()
            assert not client.is_connected
            with pytest.raises(BleakError):
                await client.connect()  # out of range until the link is back
            clock.advance(31)
            lost.clear()
            await client.connect()  # bonded: encrypted again without pairing
            host = await BleHost(client).start()
            assert isinstance(await host.ok(GetStatusRequest()), GetStatusResponse)
            await client.disconnect()
            assert lost.is_set()  # bleak's backends also report a disconnect they asked for

    run(body())


def test_unpaired_central_is_refused_rx_and_tx(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench(backend) as air:
            address = await air.serve(device)
            async with BleakClient(address, backend=air.client) as client:
                _, request = BleHost(client).codec.request(GetStatusRequest())
                await client.write_gatt_char(RX, request, response=False)  # dropped silently
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.write_gatt_char(RX, request, response=True)
                assert refused.value.code == AUTHENTICATION
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.start_notify(TX, lambda *_: None)
                assert refused.value.code == AUTHENTICATION
                assert sum(link.stats.bytes_to_device for link in device.links) == 0
                await client.pair()
                host = await BleHost(client).start()
                assert isinstance(await host.ok(GetStatusRequest()), GetStatusResponse)

    run(body())


def test_notifications_run_on_the_client_loop(backend: str) -> None:
    async def body() -> None:
        clock = ManualClock()
        device = SimulatedDevice("firmat", clock=clock)
        async with bench(backend) as air:
            address = await air.serve(device)
            async with BleakClient(address, backend=air.client, pair=True) as client:
                host = await BleHost(client).start()
                assert await host.ok(SubscribeRequest(period_ms=1000))
                await asyncio.to_thread(clock.advance, 2.5)  # the device sends from there
                assert len(await host.events(2)) == 2
                assert host.threads == {threading.get_ident()}

    run(body())
