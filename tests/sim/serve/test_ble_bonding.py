"""Bonds per host, the pairing window, Numeric Comparison, and refusals logged and counted.

Both backends, through bleak's own front end: a second host is a second adapter
(bleak's ``bluez={"adapter": "hci1"}``), with its own address and keys.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from bleak import BleakClient
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode

from irlink.protocol import HostCodec
from irlink.protocol.messages import GetStatusRequest, GetStatusResponse
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.ble_security import Refused
from irlink.spec import load_gatt
from tests.sim.serve.ble_host import BACKENDS, RX, TX, BleHost, bench, run

AUTHENTICATION = BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION
ENCRYPTION = BleakGATTProtocolErrorCode.INSUFFICIENT_ENCRYPTION
LOGGER = "irlink.sim.ble"
OTHER = {"adapter": "hci1"}  # a second host
THIRD = {"adapter": "hci2"}

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def _to_device(device: SimulatedDevice) -> int:
    return sum(link.stats.bytes_to_device for link in device.links)


def _request() -> bytes:
    return HostCodec().request(GetStatusRequest())[1]


async def _controls(client: BleakClient) -> bool:
    host = await BleHost(client).start()
    return isinstance(await host.ok(GetStatusRequest()), GetStatusResponse)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def test_a_host_that_never_bonded_is_refused_after_another_bonded(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    stranger: list[str] = []

    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench(backend) as air:
            address = await air.serve(device)
            security = air.security(address)
            first = await air.host_address("hci0")
            stranger.append(await air.host_address("hci1"))
            async with BleakClient(address, backend=air.client, pair=True) as client:
                assert await _controls(client)
            assert list(security.bonds) == [first]
            sent = _to_device(device)
            async with BleakClient(address, backend=air.client, bluez=OTHER) as other:
                await other.write_gatt_char(RX, _request(), response=False)  # dropped
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await other.write_gatt_char(RX, _request(), response=True)
                assert refused.value.code == AUTHENTICATION
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await other.start_notify(TX, lambda *_: None)
                assert refused.value.code == AUTHENTICATION
                with pytest.raises(BleakError):
                    await other.pair()  # the first bond closed the pairing window
            assert _to_device(device) == sent  # not one byte of the stranger's
            assert security.refused == {Refused.WRITE: 2, Refused.SUBSCRIBE: 1, Refused.PAIRING: 1}
            assert list(security.bonds) == [first]
            async with BleakClient(address, backend=air.client, pair=True) as client:
                assert await _controls(client)  # the bonded host still does

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(body())
    (peer,) = stranger
    refusals = [line for line in _lines(caplog) if " refused " in line]
    assert refusals == [
        f"IRL-W2-0001 refused write to rx from {peer}: not bonded with this device",
        f"IRL-W2-0001 refused write to rx from {peer}: not bonded with this device",
        f"IRL-W2-0001 refused subscription to tx from {peer}: not bonded with this device",
        f"IRL-W2-0001 refused pairing from {peer}: its pairing window is closed (press its button)",
    ]


def test_the_pairing_button_opens_the_window_for_one_bond_and_window_s(backend: str) -> None:
    window_s = load_gatt().pairing.window_s

    async def body() -> None:
        clock = ManualClock()
        device = SimulatedDevice("firmat", clock=clock)
        async with bench(backend) as air:
            address = await air.serve(device)
            security = air.security(address)
            assert security.pairing_window_open  # out of the box: the first host pairs
            async with BleakClient(address, backend=air.client, pair=True) as client:
                assert await _controls(client)
            assert not security.pairing_window_open
            security.open_pairing_window()  # the button
            clock.advance(window_s - 1)
            async with BleakClient(address, backend=air.client, pair=True, bluez=OTHER) as other:
                assert await _controls(other)  # bonded inside the window
            assert not security.pairing_window_open  # one press, one new bond
            with pytest.raises(BleakError):
                await BleakClient(address, backend=air.client, pair=True, bluez=THIRD).connect()
            security.open_pairing_window()
            clock.advance(window_s)  # the window has just closed
            with pytest.raises(BleakError):
                await BleakClient(address, backend=air.client, pair=True, bluez=THIRD).connect()
            assert security.refused == {Refused.PAIRING: 2}
            assert len(security.bonds) == 2
            async with BleakClient(address, backend=air.client, pair=True) as client:
                assert await _controls(client)  # bonded hosts need no window

    run(body())


@pytest.mark.parametrize("confirmed", ["same", "other", "no"])
def test_a_device_with_a_display_bonds_only_on_the_number_it_shows(
    backend: str, confirmed: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        device = SimulatedDevice("multiport")
        async with bench(backend) as air:
            address = await air.serve(device, display=True)
            security = air.security(address)
            security.close_pairing_window()  # a display needs no window: the user is there
            async with BleakClient(address, backend=air.client) as client:
                pairing = asyncio.ensure_future(client.pair())
                shown = await security.number_shown()
                assert security.shown == shown
                assert 0 <= shown < 1_000_000
                if confirmed == "same":
                    security.confirm_number(shown)
                    await pairing
                    assert await _controls(client)
                    assert security.refused == {}
                    return
                if confirmed == "other":
                    security.confirm_number((shown + 1) % 1_000_000)
                else:
                    security.reject_number()
                with pytest.raises(BleakError):
                    await pairing
                assert security.shown is None
                assert security.bonds == {}
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.write_gatt_char(RX, _request(), response=True)
                assert refused.value.code == AUTHENTICATION
                assert security.refused == {Refused.PAIRING: 1, Refused.WRITE: 1}

    with caplog.at_level(logging.INFO, logger=LOGGER):
        run(body())
    lines = _lines(caplog)
    assert any(" shows " in line for line in lines)
    if confirmed == "other":
        assert any("numeric comparison mismatch" in line for line in lines)


def test_a_host_that_forgot_its_keys_is_told_to_encrypt_then_to_pair(backend: str) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench(backend) as air:
            address = await air.serve(device)
            security = air.security(address)
            client = BleakClient(address, backend=air.client, pair=True)
            await client.connect()
            await client.unpair()  # the host forgets; the device keeps its bond
            async with BleakClient(address, backend=air.client) as forgetful:
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await forgetful.write_gatt_char(RX, _request(), response=True)
                assert refused.value.code == ENCRYPTION
                with pytest.raises(BleakError):
                    await forgetful.pair()  # a new key needs the window: it has a bond
            security.open_pairing_window()
            async with BleakClient(address, backend=air.client, pair=True) as forgetful:
                assert await _controls(forgetful)
            assert security.refused == {Refused.WRITE: 1, Refused.PAIRING: 1}

    run(body())


def test_a_bond_the_device_forgot_fails_encryption(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench(backend) as air:
            address = await air.serve(device)
            security = air.security(address)
            async with BleakClient(address, backend=air.client, pair=True) as client:
                assert await _controls(client)
            (host,) = security.bonds
            security.forget(host)  # reset, or the bond removed on the device
            with pytest.raises(BleakError, match=r"(?i)key.missing"):
                await BleakClient(address, backend=air.client, pair=True).connect()
            assert security.refused == {Refused.ENCRYPTION: 1}

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        run(body())
    (line,) = _lines(caplog)
    assert line.startswith("IRL-W2-0001 refused encryption from ")
