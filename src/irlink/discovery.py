"""Find irlink devices: serial ports by USB vendor and product id, BLE devices by service UUID.

:func:`discover` lists every device it finds, each as a :class:`Found` whose
``address`` is what :func:`irlink.connect` takes; :func:`resolve_auto` is the
``auto`` address: the one device found, or :class:`~irlink.errors.DeviceNotFound`
saying what was searched and what to do. The USB ids and BLE name prefixes come
from the device profiles in protocols/devices/, the service UUID from gatt.yaml.
BLE needs the optional ``ble`` extra (bleak); without it, or without a working
Bluetooth adapter, discovery logs why and returns the serial ports alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from serial.tools.list_ports import comports

from irlink.errors import DeviceNotFound
from irlink.spec import DeviceProfile, load_device_profiles, load_gatt

__all__ = ["Found", "PortInfo", "discover", "resolve_auto"]

log = logging.getLogger(__name__)


class PortInfo(Protocol):
    """What discovery reads of a serial port: pyserial's ``ListPortInfo`` has it all."""

    @property
    def device(self) -> str: ...
    @property
    def vid(self) -> int | None: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def serial_number(self) -> str | None: ...
    @property
    def product(self) -> str | None: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class Found:
    """A device discovery found: its address for :func:`irlink.connect` and what it is."""

    address: str
    link: Literal["serial", "ble"]
    family: str | None
    serial_number: str | None
    name: str
    rssi: int | None = None


def _serial_ports(ports: Iterable[PortInfo], profiles: dict[str, DeviceProfile]) -> list[Found]:
    by_usb_id: dict[tuple[int | None, int | None], str] = {
        (p.identity.usb.vid, p.identity.usb.pid): p.family for p in profiles.values()
    }
    found = []
    for port in ports:
        family = by_usb_id.get((port.vid, port.pid))
        if family is not None:
            name = port.product or port.description
            found.append(Found(port.device, "serial", family, port.serial_number, name))
    return sorted(found, key=lambda item: item.address)


def _from_ble_name(name: str, profiles: dict[str, DeviceProfile]) -> tuple[str | None, str | None]:
    """The family and serial number an advertised name ``<ble_name_prefix><serial>`` gives."""
    for profile in profiles.values():
        prefix = profile.identity.ble_name_prefix
        if name.startswith(prefix) and len(name) > len(prefix):
            return profile.family, name[len(prefix) :]
    return None, None


async def _ble_devices(
    timeout: float, backends: object | None, profiles: dict[str, DeviceProfile]
) -> tuple[list[Found], str | None]:
    """The irlink devices a BLE scan hears, and why BLE was skipped if it was."""
    try:
        from bleak import BleakScanner  # noqa: PLC0415  (an optional extra)
        from bleak.exc import BleakError  # noqa: PLC0415
    except ImportError:
        note = "BLE discovery skipped: bleak is not installed; pip install 'irlink[ble]'"
        log.info("%s", note)
        return [], note
    scanner_backend: Any = getattr(backends, "scanner", None)
    service = load_gatt().stream_service.uuid
    try:
        async with BleakScanner(service_uuids=[service], backend=scanner_backend) as scanner:
            await asyncio.sleep(timeout)  # the scan window: advertisements arrive meanwhile
        heard = scanner.discovered_devices_and_advertisement_data
    except (BleakError, OSError) as exc:
        note = f"BLE discovery skipped: Bluetooth is unavailable ({type(exc).__name__}: {exc})"
        log.warning("%s; serial ports only", note)
        return [], note
    found = []
    for device, adv in heard.values():
        # A backend may ignore the service filter: check what was advertised.
        if service not in (uuid.lower() for uuid in adv.service_uuids):
            continue
        name = adv.local_name or device.name or ""
        family, serial_number = _from_ble_name(name, profiles)
        found.append(Found(f"ble://{device.address}", "ble", family, serial_number, name, adv.rssi))
    return sorted(found, key=lambda item: item.address), None


async def _search(
    serial: bool,
    ble: bool,
    timeout: float,
    ble_backends: object | None,
    list_ports: Callable[[], Iterable[PortInfo]] | None,
) -> tuple[list[Found], list[str]]:
    profiles = load_device_profiles()
    ports = list_ports or comports
    # comports() reads sysfs (or the registry): keep it off the event loop.
    serial_task = asyncio.to_thread(lambda: list(ports())) if serial else asyncio.sleep(0, [])
    none: tuple[list[Found], str | None] = ([], None)
    ble_task = _ble_devices(timeout, ble_backends, profiles) if ble else asyncio.sleep(0, none)
    port_list, (ble_found, ble_note) = await asyncio.gather(serial_task, ble_task)
    return _serial_ports(port_list, profiles) + ble_found, [ble_note] if ble_note else []


async def discover(
    *,
    serial: bool = True,
    ble: bool = True,
    timeout: float = 5.0,
    ble_backends: object | None = None,
    list_ports: Callable[[], Iterable[PortInfo]] | None = None,
) -> list[Found]:
    """Every irlink device on serial ports and BLE (a scan of ``timeout`` s): serial first."""
    found, _ = await _search(serial, ble, timeout, ble_backends, list_ports)
    return found


def _searched(serial: bool, ble: bool) -> str:
    places = []
    if serial:
        usb_ids = ", ".join(
            f"{p.identity.usb.vid:04x}:{p.identity.usb.pid:04x} ({p.family})"
            for p in load_device_profiles().values()
        )
        places.append(f"serial ports with USB ids {usb_ids}")
    if ble:
        places.append(f"BLE devices advertising service {load_gatt().stream_service.uuid}")
    return " and ".join(places) or "nothing (serial and BLE both off)"


async def resolve_auto(
    *,
    serial: bool = True,
    ble: bool = True,
    timeout: float = 5.0,
    ble_backends: object | None = None,
    list_ports: Callable[[], Iterable[PortInfo]] | None = None,
) -> Found:
    """The ``auto`` address: the single device :func:`discover` finds, else DeviceNotFound."""
    found, notes = await _search(serial, ble, timeout, ble_backends, list_ports)
    if len(found) == 1:
        return found[0]
    if not found:
        raise DeviceNotFound(
            "\n".join(
                [
                    f"auto found no irlink device; searched {_searched(serial, ble)}",
                    *notes,
                    "plug the device in or switch it on, or connect to it by its address",
                ]
            )
        )
    lines = [
        f"  {item.address}  {item.family or 'unknown family'}  "
        f"serial {item.serial_number or 'unknown'}"
        for item in found
    ]
    raise DeviceNotFound(
        "\n".join([f"auto found {len(found)} irlink devices:", *lines])
        + "\npick one and connect to it by its address"
    )
