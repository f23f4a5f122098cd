"""What only a real stack shows: pairing methods, ATT errors on the wire, the MTU exchange.

The device refuses every pairing without MITM protection, whatever the host offers."""

from __future__ import annotations

import asyncio
import logging

import pytest
from bleak import BleakClient
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode
from bumble.pairing import PairingConfig, PairingDelegate

from irlink.protocol import HostCodec
from irlink.protocol.messages import GetStatusRequest, GetStatusResponse
from irlink.sim import SimulatedDevice
from irlink.sim.serve.ble_security import Refused
from irlink.sim.serve.bumble_radio import host_pairing_config
from tests.sim.serve.ble_host import RX, BleHost, bench, run

IO = PairingDelegate.IoCapability
# (device has a display, host pairs with LE Secure Connections, host's I/O, pairing refused,
# why the device refused it): each a host that skips MITM protection.
WEAK_PAIRINGS = {
    # A host with no display or keyboard can only offer Just Works: refused outright.
    "sc-just-works": (False, True, IO.NO_OUTPUT_NO_INPUT, True, "Just Works"),
    # A host that has not read the device's out-of-band data: Just Works again.
    "no-oob-data": (False, True, IO.DISPLAY_OUTPUT_AND_YES_NO_INPUT, True, "Just Works"),
    # A device with a display, but a host that cannot compare numbers.
    "display-just-works": (True, True, IO.NO_OUTPUT_NO_INPUT, True, "Just Works"),
    # Legacy pairing completes (bumble asks no one), but the device keeps no bond from it.
    "legacy": (False, False, IO.DISPLAY_OUTPUT_AND_YES_NO_INPUT, False, "legacy pairing"),
}


@pytest.mark.parametrize("weak", WEAK_PAIRINGS)
def test_a_weak_pairing_leaves_rx_locked(weak: str, caplog: pytest.LogCaptureFixture) -> None:
    display, sc, io_capability, pairing_refused, why = WEAK_PAIRINGS[weak]
    hosts: list[str] = []

    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench("bumble") as air:
            address = await air.serve(device, display=display)
            assert air.air is not None
            central = await air.air.central()
            hosts.append(str(central.random_address))
            delegate = PairingDelegate(io_capability)
            central.pairing_config_factory = lambda _: PairingConfig(
                sc=sc, mitm=True, bonding=True, delegate=delegate
            )
            async with BleakClient(address, backend=air.client) as client:
                if pairing_refused:
                    with pytest.raises(BleakError):
                        await client.pair()
                else:
                    await client.pair()
                _, request = HostCodec().request(GetStatusRequest())
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.write_gatt_char(RX, request, response=True)
                code = refused.value.code
                assert code == BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION
                assert sum(link.stats.bytes_to_device for link in device.links) == 0
            security = air.security(address)
            assert security.bonds == {}
            assert security.refused == {Refused.PAIRING: 1, Refused.WRITE: 1}

    with caplog.at_level(logging.WARNING, logger="irlink.sim.ble"):
        run(body())
    (pairing, _) = [r.getMessage() for r in caplog.records if r.name == "irlink.sim.ble"]
    assert f" refused pairing from {hosts[0]}: " in pairing
    assert why in pairing


def test_host_and_device_compare_the_same_number() -> None:
    async def body() -> None:
        async with bench("bumble") as air:
            address = await air.serve(SimulatedDevice("firmat"), display=True)
            security = air.security(address)
            assert air.air is not None
            assert air.air.peripherals[address].oob_data is None  # it shows numbers instead
            central = await air.air.central()
            on_host: asyncio.Future[int] = asyncio.get_running_loop().create_future()

            class User(PairingDelegate):
                async def compare_numbers(self, number: int, digits: int) -> bool:
                    on_host.set_result(number)
                    return True

            user = User(IO.DISPLAY_OUTPUT_AND_YES_NO_INPUT)
            central.pairing_config_factory = lambda _: PairingConfig(delegate=user)
            async with BleakClient(address, backend=air.client) as client:
                pairing = asyncio.ensure_future(client.pair())
                number = await on_host
                assert await security.number_shown() == number  # no man in the middle
                security.confirm_number(number)
                await pairing
                host = await BleHost(client).start()
                assert isinstance(await host.ok(GetStatusRequest()), GetStatusResponse)
            assert list(security.bonds) == [str(central.random_address)]

    run(body())


def test_another_devices_out_of_band_data_fails_the_pairing() -> None:
    async def body() -> None:
        async with bench("bumble") as air:
            address = await air.serve(SimulatedDevice("waistband"))
            other = await air.serve(SimulatedDevice("waistband", serial="0002"))
            assert air.air is not None
            wrong = air.air.peripherals[other].oob_data
            assert wrong is not None
            central = await air.air.central()
            central.pairing_config_factory = lambda _: host_pairing_config(wrong)
            async with BleakClient(address, backend=air.client) as client:
                with pytest.raises(BleakError, match="smp/"):
                    await client.pair()
            assert air.security(address).bonds == {}

    run(body())


def test_the_peripheral_accepts_the_largest_att_mtu() -> None:
    async def body() -> None:
        async with bench("bumble") as air:
            address = await air.serve(SimulatedDevice("firmat"))
            async with BleakClient(address, backend=air.client, att_mtu=517) as client:
                assert client.mtu_size == 517

    run(body())
