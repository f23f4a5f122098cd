"""What a simulated device shows over BLE: its GATT values and advertising, from gatt.yaml.

Both BLE adapters (the bleak backend and the bumble peripheral) take the database,
the values and the advertising bytes from here, so they expose the same device.
Nothing here needs bleak or bumble.

>>> from irlink.sim import SimulatedDevice
>>> device = SimulatedDevice("multiport")
>>> [service.name for service in exposed_services(device)]
['irlink', 'device_information']
>>> parse_advertising(advertising_data(device) + scan_response_data(device))
Advertised(local_name='IRL-M2-0001', service_uuids=('011f2b88-0723-4beb-bd2e-107af95f838b',))
>>> [len(chunk) for chunk in chunks(bytes(45), DEFAULT_ATT_MTU)]
[20, 20, 5]
"""

from __future__ import annotations

import functools
import uuid
from typing import NamedTuple

from irlink.sim.device import SimulatedDevice
from irlink.spec import load_gatt
from irlink.spec.gatt import Characteristic, GattSpec, Service

__all__ = [
    "DEFAULT_ATT_MTU",
    "HOST_ATT_MTU",
    "MAX_ATT_MTU",
    "Advertised",
    "advertising_data",
    "chunks",
    "exposed_services",
    "gatt",
    "needs_authentication",
    "parse_advertising",
    "read_value",
    "scan_response_data",
]

DEFAULT_ATT_MTU = 23  # every link starts here until an MTU exchange
# What a host stack typically settles on (a 251-byte LL packet less L2CAP): the MTU the
# simulated centrals ask for unless told otherwise.
HOST_ATT_MTU = 247
MAX_ATT_MTU = 517  # the largest the ATT protocol allows; the peripherals accept up to it

_FLAGS = 0x01
_UUIDS_128_COMPLETE = 0x07
_NAME_SHORTENED = 0x08
_NAME_COMPLETE = 0x09
_LE_GENERAL_DISCOVERABLE_NO_BR_EDR = 0x06
_AD_ROOM = 31  # bytes in one legacy advertising or scan response payload


class Advertised(NamedTuple):
    """What a scanner learns from advertising and scan response payloads."""

    local_name: str | None
    service_uuids: tuple[str, ...]


@functools.cache
def gatt() -> GattSpec:
    """The GATT database of protocols/gatt.yaml, loaded once."""
    return load_gatt()


def exposed_services(device: SimulatedDevice) -> list[Service]:
    """The services ``device`` has: all of gatt.yaml but those needing a missing capability."""
    return [
        service
        for service in gatt().services
        if service.requires_capability is None
        or device.profile.info.has(service.requires_capability)
    ]


def needs_authentication(characteristic: Characteristic) -> bool:
    """Whether reaching this characteristic (or its CCCD) needs an authenticated link."""
    return characteristic.security == "authenticated"


def read_value(device: SimulatedDevice, characteristic: Characteristic) -> bytes:
    """The value a read of a Battery or Device Information characteristic returns now."""
    identity = device.profile.identity
    strings = {
        "manufacturer_name": device.manufacturer,
        "model_number": identity.model,
        "serial_number": device.serial,
        "hardware_revision": identity.hardware_version,
        "firmware_revision": identity.firmware_version,
    }
    if characteristic.name in strings:
        return strings[characteristic.name].encode()
    if characteristic.name == "battery_level":
        return bytes([device.battery_pct() or 0])
    raise KeyError(f"{characteristic.name} has no readable value")


def _structure(ad_type: int, payload: bytes) -> bytes:
    return bytes([len(payload) + 1, ad_type]) + payload


def advertising_data(device: SimulatedDevice) -> bytes:
    """The advertising payload: flags and the irlink service UUID (section 9)."""
    del device  # the same for every device: what makes it findable by service
    uuids = b"".join(uuid.UUID(u).bytes[::-1] for u in gatt().advertising.service_uuids)
    return _structure(_FLAGS, bytes([_LE_GENERAL_DISCOVERABLE_NO_BR_EDR])) + _structure(
        _UUIDS_128_COMPLETE, uuids
    )


def scan_response_data(device: SimulatedDevice) -> bytes:
    """The scan response payload: the local name, shortened if it has no room (AD 0x08)."""
    template = gatt().advertising.local_name
    name = template.format(
        ble_name_prefix=device.profile.identity.ble_name_prefix, serial=device.serial
    ).encode()
    room = _AD_ROOM - 2
    if len(name) <= room:
        return _structure(_NAME_COMPLETE, name)
    return _structure(_NAME_SHORTENED, name[:room])


def parse_advertising(data: bytes) -> Advertised:
    """The local name and 128-bit service UUIDs in advertising or scan response bytes."""
    name: str | None = None
    uuids: list[str] = []
    at = 0
    while at + 1 < len(data) and data[at]:  # a zero length ends the significant part
        length, ad_type = data[at], data[at + 1]
        payload = data[at + 2 : at + 1 + length]
        at += 1 + length
        if ad_type in (_NAME_COMPLETE, _NAME_SHORTENED):
            name = payload.decode(errors="replace")
        elif ad_type == _UUIDS_128_COMPLETE:
            uuids += [
                str(uuid.UUID(bytes=payload[i : i + 16][::-1]))
                for i in range(0, len(payload) - 15, 16)
            ]
    return Advertised(name, tuple(uuids))


def check_att_mtu(att_mtu: int) -> int:
    """``att_mtu`` if it is one a host may ask for; a clear error otherwise."""
    if not DEFAULT_ATT_MTU <= att_mtu <= MAX_ATT_MTU:
        raise ValueError(f"att_mtu must be {DEFAULT_ATT_MTU}..{MAX_ATT_MTU}, not {att_mtu}")
    return att_mtu


def chunks(data: bytes, att_mtu: int) -> list[bytes]:
    """``data`` cut into notification or write payloads of at most ATT_MTU - 3 bytes."""
    size = att_mtu - 3
    return [data[i : i + size] for i in range(0, len(data), size)]
