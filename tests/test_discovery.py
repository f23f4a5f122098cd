"""Discovery: serial ports by USB id, BLE devices by service UUID, and ``auto``.

Serial ports are pyserial ``ListPortInfo`` objects handed in through ``list_ports``;
BLE devices advertise on the simulator's bleak backend, heard by bleak's own scanner.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError
from serial.tools.list_ports_common import ListPortInfo

from irlink.discovery import Found, discover, resolve_auto
from irlink.errors import DeviceNotFound
from irlink.sim import SimulatedDevice
from irlink.sim.serve.bleak_backend import sim_backends
from irlink.sim.serve.bleak_radio import Backends, SimBleakScanner, SimRadio
from irlink.spec import load_gatt

SCAN_S = 0.1  # the simulated radio advertises every 20 ms; its first round is heard at once
SERVICE_UUID = load_gatt().stream_service.uuid
USB_PID = {"waistband": 0x0001, "multiport": 0x0002, "firmat": 0x0003}
PREFIX = {"waistband": "IRL-W2-", "multiport": "IRL-M2-", "firmat": "IRL-F1-"}

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def port(
    device: str,
    vid: int | None = 0x1209,
    pid: int | None = 0x0001,
    serial_number: str | None = "0042",
    product: str | None = "IRL-W2",
) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number, info.product = vid, pid, serial_number, product
    info.description = f"{product or 'USB serial'} ({device})"
    return info


NOT_OURS = [
    port("/dev/ttyS0", vid=None, pid=None, serial_number=None, product=None),  # no USB
    port("/dev/ttyUSB0", vid=0x0403, pid=0x6001, product="FT232R USB UART"),
    port("/dev/ttyACM9", vid=0x1209, pid=0x00FF, product="another pid.codes device"),
]


def only(*ports: ListPortInfo) -> Any:
    return lambda: [*NOT_OURS, *ports]


def serial_only(*ports: ListPortInfo) -> dict[str, Any]:
    return {"ble": False, "list_ports": only(*ports)}


@pytest.fixture
def radio() -> Iterator[SimRadio]:
    radio = SimRadio()
    yield radio
    for peripheral in radio.peripherals:
        peripheral.stop()
        peripheral.device.close()


def ble_only(radio: SimRadio) -> dict[str, Any]:
    return {"serial": False, "timeout": SCAN_S, "ble_backends": sim_backends(radio)}


# Serial.


def test_serial_finds_nothing_among_other_ports() -> None:
    assert run(discover(**serial_only())) == []


def test_serial_finds_one_port_by_usb_id() -> None:
    found = run(discover(**serial_only(port("/dev/ttyACM0"))))
    assert found == [
        Found("/dev/ttyACM0", "serial", "waistband", "0042", "IRL-W2", rssi=None),
    ]


def test_serial_finds_several_ports_sorted_by_address() -> None:
    ports = [port(f"/dev/ttyACM{n}", pid=0x0001, serial_number=f"000{n}") for n in (2, 0, 1)]
    found = run(discover(**serial_only(*ports)))
    assert [(f.address, f.serial_number) for f in found] == [
        ("/dev/ttyACM0", "0000"),
        ("/dev/ttyACM1", "0001"),
        ("/dev/ttyACM2", "0002"),
    ]


def test_serial_name_falls_back_to_the_description() -> None:
    (found,) = run(discover(**serial_only(port("COM3", product=None))))
    assert found.name == "USB serial (COM3)"


@pytest.mark.parametrize("family", list(USB_PID))
def test_serial_family_from_the_usb_product_id(family: str) -> None:
    device = port("/dev/ttyACM0", pid=USB_PID[family], serial_number="7")
    (found,) = run(discover(**serial_only(device)))
    assert (found.family, found.serial_number, found.link) == (family, "7", "serial")


def test_serial_off_does_not_list_ports() -> None:
    def list_ports() -> list[ListPortInfo]:
        raise AssertionError("serial discovery is off")

    assert run(discover(serial=False, ble=False, list_ports=list_ports)) == []


# BLE.


def test_ble_finds_nothing_on_an_empty_radio(radio: SimRadio) -> None:
    assert run(discover(**ble_only(radio))) == []


def test_ble_finds_one_device(radio: SimRadio) -> None:
    radio.advertise(SimulatedDevice("waistband", serial="0042"), "CA:FE:00:00:00:42", rssi=-55)
    found = run(discover(**ble_only(radio)))
    assert found == [
        Found("ble://CA:FE:00:00:00:42", "ble", "waistband", "0042", "IRL-W2-0042", rssi=-55),
    ]


def test_ble_finds_several_devices_sorted_by_address(radio: SimRadio) -> None:
    for address in ("CA:FE:00:00:00:03", "CA:FE:00:00:00:01", "CA:FE:00:00:00:02"):
        radio.advertise(SimulatedDevice("multiport", serial=address[-2:]), address)
    found = run(discover(**ble_only(radio)))
    assert [(f.address, f.serial_number) for f in found] == [
        ("ble://CA:FE:00:00:00:01", "01"),
        ("ble://CA:FE:00:00:00:02", "02"),
        ("ble://CA:FE:00:00:00:03", "03"),
    ]


@pytest.mark.parametrize("family", list(PREFIX))
def test_ble_family_and_serial_from_the_advertised_name(radio: SimRadio, family: str) -> None:
    radio.advertise(SimulatedDevice(family, serial="SN-123"))
    (found,) = run(discover(**ble_only(radio)))
    assert (found.family, found.serial_number, found.name) == (
        family,
        "SN-123",
        f"{PREFIX[family]}SN-123",
    )


def test_ble_device_out_of_range_is_not_found(radio: SimRadio) -> None:
    peripheral = radio.advertise(SimulatedDevice("firmat"))
    peripheral.advertising = False
    assert run(discover(**ble_only(radio))) == []


class _NoFilterScanner(SimBleakScanner):
    """A backend that ignores the service filter and hears a foreign and an irlink device."""

    heard: tuple[tuple[str, str, list[str]], ...] = (
        ("11:22:33:44:55:66", "Heart Rate", ["0000180d-0000-1000-8000-00805f9b34fb"]),
        ("11:22:33:44:55:77", "IRL-F1-0009", [SERVICE_UUID.upper()]),
        ("11:22:33:44:55:88", "IRL-W2-0010", []),  # the right name, but not the service
    )

    async def start(self) -> None:
        self.seen_devices = {}
        for address, name, uuids in self.heard:
            adv = AdvertisementData(name, {}, {}, uuids, None, -70, ())
            self.create_or_update_device(address, address, name, None, adv)

    async def stop(self) -> None:
        pass


def test_ble_keeps_only_devices_advertising_the_irlink_service() -> None:
    backends = Backends(_NoFilterScanner, sim_backends().client)
    found = run(discover(serial=False, timeout=0, ble_backends=backends))
    assert found == [Found("ble://11:22:33:44:55:77", "ble", "firmat", "0009", "IRL-F1-0009", -70)]


class _BrokenScanner(SimBleakScanner):
    """A machine without Bluetooth: the scanner fails to start."""

    async def start(self) -> None:
        raise BleakError("No Bluetooth adapters found.")

    async def stop(self) -> None:
        pass


def test_ble_unavailable_warns_and_returns_the_serial_ports(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backends = Backends(_BrokenScanner, sim_backends().client)
    with caplog.at_level(logging.WARNING, logger="irlink.discovery"):
        found = run(
            discover(timeout=0, ble_backends=backends, list_ports=only(port("/dev/ttyACM0")))
        )
    assert [f.address for f in found] == ["/dev/ttyACM0"]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "No Bluetooth adapters found" in record.getMessage()


def test_without_bleak_ble_is_skipped_with_advice(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "bleak", None)  # import bleak now raises ImportError
    with caplog.at_level(logging.INFO, logger="irlink.discovery"):
        found = run(discover(list_ports=only(port("/dev/ttyACM0"))))
    assert [f.address for f in found] == ["/dev/ttyACM0"]
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert "pip install 'irlink[ble]'" in record.getMessage()


# Serial and BLE together.


def test_mixed_lists_serial_ports_first_then_ble(radio: SimRadio) -> None:
    radio.advertise(SimulatedDevice("firmat", serial="0003"), "AA:00:00:00:00:01")
    ports = only(port("/dev/ttyACM1", pid=0x0002, serial_number="0002"))
    found = run(
        discover(timeout=SCAN_S, ble_backends=sim_backends(radio), list_ports=ports),
    )
    assert [(f.link, f.address, f.family) for f in found] == [
        ("serial", "/dev/ttyACM1", "multiport"),
        ("ble", "ble://AA:00:00:00:00:01", "firmat"),
    ]


# auto.


def test_auto_with_none_says_what_was_searched_and_what_to_do(radio: SimRadio) -> None:
    with pytest.raises(DeviceNotFound) as caught:
        run(resolve_auto(timeout=SCAN_S, ble_backends=sim_backends(radio), list_ports=only()))
    message = str(caught.value)
    assert "no irlink device" in message
    assert "1209:0001 (waistband)" in message
    assert "1209:0002 (multiport)" in message
    assert "1209:0003 (firmat)" in message
    assert SERVICE_UUID in message
    assert "plug the device in or switch it on" in message
    assert "connect to it by its address" in message


def test_auto_with_none_says_why_ble_was_skipped() -> None:
    backends = Backends(_BrokenScanner, sim_backends().client)
    with pytest.raises(DeviceNotFound, match="Bluetooth is unavailable"):
        run(resolve_auto(timeout=0, ble_backends=backends, list_ports=only()))


def test_auto_with_serial_only_does_not_mention_ble() -> None:
    with pytest.raises(DeviceNotFound) as caught:
        run(resolve_auto(**serial_only()))
    assert "BLE" not in str(caught.value)


def test_auto_with_one_device_returns_it(radio: SimRadio) -> None:
    radio.advertise(SimulatedDevice("waistband", serial="0042"), "CA:FE:00:00:00:42")
    found = run(resolve_auto(timeout=SCAN_S, ble_backends=sim_backends(radio), list_ports=only()))
    assert (found.address, found.family, found.serial_number) == (
        "ble://CA:FE:00:00:00:42",
        "waistband",
        "0042",
    )


def test_auto_with_several_lists_each_and_asks_to_pick_one(radio: SimRadio) -> None:
    radio.advertise(SimulatedDevice("multiport", serial="0007"), "CA:FE:00:00:00:07")
    ports = only(port("/dev/ttyACM0", pid=0x0003, serial_number="0005"))
    with pytest.raises(DeviceNotFound) as caught:
        run(resolve_auto(timeout=SCAN_S, ble_backends=sim_backends(radio), list_ports=ports))
    lines = str(caught.value).splitlines()
    assert lines[0] == "auto found 2 irlink devices:"
    assert lines[1].split() == ["/dev/ttyACM0", "firmat", "serial", "0005"]
    assert lines[2].split() == ["ble://CA:FE:00:00:00:07", "multiport", "serial", "0007"]
    assert "pick one and connect to it by its address" in lines[3]
