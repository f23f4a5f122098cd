"""What only a real stack shows: pairing methods, ATT errors on the wire, the MTU exchange."""

from __future__ import annotations

import pytest
from bleak import BleakClient
from bleak.exc import BleakError, BleakGATTProtocolError, BleakGATTProtocolErrorCode
from bumble.pairing import PairingConfig, PairingDelegate

from irlink.protocol import HostCodec
from irlink.protocol.messages import GetStatusRequest
from irlink.sim import SimulatedDevice
from tests.sim.serve.ble_host import RX, bench, run

WEAK_PAIRINGS = {
    # A host with no display or keyboard can only offer Just Works: refused outright.
    "sc-just-works": (True, PairingDelegate.IoCapability.NO_OUTPUT_NO_INPUT, True),
    # Legacy pairing completes (bumble asks no one), but its link is not authenticated.
    "legacy": (False, PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT, False),
}


@pytest.mark.parametrize("weak", WEAK_PAIRINGS)
def test_a_weak_pairing_leaves_rx_locked(weak: str) -> None:
    sc, io_capability, pairing_refused = WEAK_PAIRINGS[weak]

    async def body() -> None:
        device = SimulatedDevice("waistband")
        async with bench("bumble") as air:
            address = await air.serve(device)
            assert air.air is not None
            central = await air.air.central()
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

    run(body())


def test_the_peripheral_accepts_the_largest_att_mtu() -> None:
    async def body() -> None:
        async with bench("bumble") as air:
            address = await air.serve(SimulatedDevice("firmat"))
            async with BleakClient(address, backend=air.client, att_mtu=517) as client:
                assert client.mtu_size == 517

    run(body())
