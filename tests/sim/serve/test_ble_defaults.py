"""The unbound backend classes: the default radio or air, devices found by scanning."""

from __future__ import annotations

import doctest
import importlib

import pytest
from bleak import BleakClient, BleakScanner

from irlink.protocol.messages import GetStatusRequest, GetStatusResponse
from irlink.sim import SimulatedDevice
from irlink.sim.serve.bleak_backend import SimBleakClient, SimBleakScanner, advertise
from irlink.sim.serve.bumble_bleak import BumbleBleakClient, BumbleBleakScanner
from irlink.sim.serve.bumble_gatt import BumbleAir
from tests.sim.serve.ble_host import BleHost, run


async def _found_and_asked(scanner: type, client: type, name: str) -> None:
    found = await BleakScanner.find_device_by_name(name, timeout=5, backend=scanner)
    assert found is not None
    async with BleakClient(found, backend=client, pair=True) as ble:
        assert ble.name == name
        host = await BleHost(ble).start()
        assert isinstance(await host.ok(GetStatusRequest()), GetStatusResponse)


def test_default_radio_serves_an_advertised_device() -> None:
    async def body() -> None:
        device = SimulatedDevice("waistband", serial="0314")
        with advertise(device):
            await _found_and_asked(SimBleakScanner, SimBleakClient, device.ble_name)
        found = await BleakScanner.find_device_by_name(
            device.ble_name, timeout=0.05, backend=SimBleakScanner
        )
        assert found is None  # off the air once the block ends

    run(body())


def test_default_bumble_air_of_the_running_loop() -> None:
    async def body() -> None:
        device = SimulatedDevice("multiport", serial="0315")
        air = BumbleAir.current()
        try:
            await air.serve(device)
            assert BumbleAir.current() is air
            await _found_and_asked(BumbleBleakScanner, BumbleBleakClient, device.ble_name)
        finally:
            await air.close()

    run(body())


@pytest.mark.parametrize("att_mtu", [22, 518])
def test_an_mtu_outside_att_limits_is_refused(att_mtu: int) -> None:
    for client in (SimBleakClient, BumbleBleakClient):
        with pytest.raises(ValueError, match="att_mtu"):
            BleakClient("CA:FE:00:00:00:01", backend=client, att_mtu=att_mtu)


@pytest.mark.parametrize(
    "name",
    ["irlink.sim.serve.ble_gatt", "irlink.sim.serve.bleak_radio", "irlink.sim.serve.ble_security"],
)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), raise_on_error=True)
    assert result.attempted >= 2
