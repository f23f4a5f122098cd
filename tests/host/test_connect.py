"""irlink.connect: every address form, and clear errors when nothing is there."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

import irlink
from irlink.address import (
    AutoAddress,
    BleAddress,
    SerialAddress,
    SimAddress,
    parse_address,
)
from irlink.sim import ManualClock, SimulatedDevice
from irlink.sim.serve.bleak_backend import sim_backends
from irlink.sim.serve.bleak_radio import SimRadio
from irlink.sim.serve.pty import PtyServer
from tests.host.links import run


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/dev/ttyACM0", SerialAddress("/dev/ttyACM0")),
        ("COM3", SerialAddress("COM3")),
        ("serial:///dev/ttyUSB0?baud=9600", SerialAddress("/dev/ttyUSB0", 9600)),
        ("serial://COM7", SerialAddress("COM7")),
        ("socket://127.0.0.1:7000", SerialAddress("socket://127.0.0.1:7000")),
        ("rfc2217://127.0.0.1:2217", SerialAddress("rfc2217://127.0.0.1:2217")),
        ("ble://aa:bb:cc:dd:ee:ff", BleAddress(address="AA:BB:CC:DD:EE:FF")),
        ("ble://name/IRL-W2-0042", BleAddress(name="IRL-W2-0042")),
        (
            "sim://firmat?battery=30&speed=60&scenario=overtemp&serial=0042&link=ble",
            SimAddress("firmat", 30, 60.0, "overtemp", "0042", "ble"),
        ),
        ("auto", AutoAddress()),
    ],
)
def test_every_address_form_parses(text: str, parsed: object) -> None:
    assert parse_address(text) == parsed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "the device address is empty"),
        ("http://example.com", "does not know the scheme 'http'"),
        ("serial://", "names no port"),
        ("serial:///dev/ttyACM0?baud=fast", "baud must be a whole number"),
        ("serial:///dev/ttyACM0?parity=E", "unknown option 'parity'"),
        ("ble://12:34", "six hex pairs"),
        ("ble://name/", "names no device"),
        ("sim://toaster", "simulated families are waistband, multiport, firmat"),
        ("sim://waistband?speed=0", "speed must be a number from 0.001 to 3600"),
        ("sim://waistband?battery=120", "battery must be a number from 0 to 100"),
        ("sim://waistband?link=usb", "link must be serial or ble"),
        ("sim://waistband?serial=x", "serial must be 1 to 16 digits"),
    ],
)
def test_a_bad_address_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(irlink.AddressError, match=says) as error:
        parse_address(text)
    assert isinstance(error.value, ValueError)


def test_a_simulated_device_in_process() -> None:
    async def body() -> None:
        clock = ManualClock()
        async with irlink.connect("sim://waistband?battery=40&serial=0042", sim_clock=clock) as d:
            assert (d.info.model, d.info.serial) == ("IRL-W2", "0042")
            assert d.address.startswith("/dev/") == (os.name == "posix")
            assert d.simulator is not None
            assert 38 <= (await d.status()).battery_pct <= 40
            await d.configure(1, duration="20m", intensity=1)
            await d.start(1)
            clock.advance(60)
            assert (await d.status()).port(1).remaining == timedelta(minutes=19)

    run(body())


def test_a_simulated_device_over_ble_with_a_scenario() -> None:
    async def body() -> None:
        clock = ManualClock()
        async with irlink.connect(
            "sim://waistband?link=ble&scenario=low_battery", sim_clock=clock
        ) as d:
            assert d.address.startswith("ble://")
            assert d.info.family is irlink.DeviceFamily.WAISTBAND

    run(body())


def test_an_accelerated_simulator_runs_on_its_own() -> None:
    async def body() -> None:
        async with irlink.connect("sim://waistband?speed=3600") as device:
            first = (await device.status()).uptime
            second = first
            while second == first:  # an hour a second: uptime moves within a few reads
                second = (await device.status()).uptime
            assert second > first

    run(body())


def test_auto_connects_to_the_one_device_found() -> None:
    async def body() -> None:
        radio = SimRadio()
        radio.advertise(SimulatedDevice("firmat", serial="0009"))
        backends = sim_backends(radio)
        async with irlink.connect("auto", ble_backends=backends, scan_timeout=0.1) as device:
            assert device.info.serial == "0009"

    run(body())


def test_auto_says_when_there_is_no_device_and_when_there_are_several() -> None:
    async def body() -> None:
        radio = SimRadio()
        backends = sim_backends(radio)
        with pytest.raises(irlink.DeviceNotFound, match="found no irlink device"):
            async with irlink.connect("auto", ble_backends=backends, scan_timeout=0.1):
                pass
        radio.advertise(SimulatedDevice("firmat", serial="0001"))
        radio.advertise(SimulatedDevice("waistband", serial="0002"))
        with pytest.raises(irlink.DeviceNotFound, match="found 2 irlink devices"):
            async with irlink.connect("auto", ble_backends=backends, scan_timeout=0.1):
                pass

    run(body())


def test_a_missing_port_is_not_found() -> None:
    async def body() -> None:
        with pytest.raises(irlink.DeviceNotFound, match="discover"):
            async with irlink.connect("/dev/irlink-no-such-port"):
                pass
        with pytest.raises(irlink.DeviceNotFound, match="nothing listens"):
            async with irlink.connect("socket://127.0.0.1:9"):
                pass

    run(body())


def test_a_port_is_opened_exclusively() -> None:
    async def body() -> None:
        async with (
            PtyServer(SimulatedDevice("waistband")) as server,
            irlink.connect(server.path),
        ):
            with pytest.raises(irlink.ConnectError, match="in use by another program"):
                async with irlink.connect(server.path):
                    pass

    run(body())


def test_something_that_is_not_an_irlink_device_times_out_clearly() -> None:
    async def body() -> None:
        master, slave = os.openpty()  # a port nobody answers on
        try:
            with pytest.raises(irlink.RequestTimeout, match="did not answer get_info"):
                async with irlink.connect(os.ttyname(slave), timeout=0.05, retries=1):
                    pass
        finally:
            os.close(master)
            os.close(slave)

    run(body())


def test_a_closed_port_can_be_opened_again_at_once() -> None:
    async def body() -> None:
        async with PtyServer(SimulatedDevice("waistband")) as server:
            for _ in range(20):
                async with irlink.connect(server.path) as device:
                    assert device.connected

    run(body())


def test_an_accelerated_simulator_keeps_its_heartbeat_in_its_own_time() -> None:
    async def body() -> None:
        # 60x: a beat every 10 s of device time is one every 167 ms here, and the device
        # allows three misses (500 ms), slack enough for a loaded machine.
        async with irlink.connect("sim://waistband?speed=60", heartbeat="10s") as device:
            assert device.time_scale == 1 / 60
            await device.configure(duration="10m")
            await device.start()
            sim = device.simulator
            assert sim is not None
            started = sim.now
            while sim.now - started < 40:  # four intervals: unfed, the policy would fire
                await device.status()
            assert sim.output_on(1), sim.end_reasons()

    run(body())
