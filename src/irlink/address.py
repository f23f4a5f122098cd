"""Device addresses: one string names a device everywhere (library, CLI, regimens, hil/).

>>> parse_address("/dev/ttyACM0")
SerialAddress(url='/dev/ttyACM0', baudrate=115200)
>>> parse_address("serial:///dev/ttyUSB1?baud=9600")
SerialAddress(url='/dev/ttyUSB1', baudrate=9600)
>>> parse_address("socket://127.0.0.1:7000")
SerialAddress(url='socket://127.0.0.1:7000', baudrate=115200)
>>> parse_address("ble://name/IRL-W2-0042")
BleAddress(address=None, name='IRL-W2-0042')
>>> parse_address("sim://waistband?battery=80&speed=60")  # doctest: +NORMALIZE_WHITESPACE
SimAddress(family='waistband', battery=80, speed=60.0, scenario=None, serial=None,
           link='serial', protocol_minor=None, code=None)
>>> parse_address("auto")
AutoAddress()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from irlink.errors import AddressError
from irlink.protocol.messages import PROTOCOL_MINOR

__all__ = [
    "DEFAULT_BAUDRATE",
    "Address",
    "AutoAddress",
    "BleAddress",
    "SerialAddress",
    "SimAddress",
    "parse_address",
]

# IRLink runs at any baud rate (protocols/README.md section 1); USB CDC-ACM ignores it.
DEFAULT_BAUDRATE = 115200
SIM_FAMILIES = ("waistband", "multiport", "firmat")
MAX_SIM_SPEED = 3600.0

# pyserial's own URL handlers (serial.serial_for_url), passed to it unchanged.
_PYSERIAL_SCHEMES = ("socket", "rfc2217", "loop", "spy", "alt", "hwgrep", "cp2110")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
# macOS names BLE peripherals by a CoreBluetooth UUID instead of their address.
_CB_UUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")

FORMS = (
    "a serial port (/dev/ttyACM0, COM3, serial:///dev/ttyACM0?baud=115200), "
    "a pyserial URL (socket://127.0.0.1:7000, rfc2217://host:port), "
    "ble://AA:BB:CC:DD:EE:FF, ble://name/IRL-W2-0042, "
    "sim://waistband?battery=80&speed=60, or auto"
)


@dataclass(frozen=True)
class SerialAddress:
    """A serial port or any pyserial URL, opened with pyserial."""

    url: str
    baudrate: int = DEFAULT_BAUDRATE


@dataclass(frozen=True)
class BleAddress:
    """A BLE device by its address (or macOS UUID), or by its advertised name."""

    address: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SimAddress:
    """An in-process simulated device, on a pty (``link=serial``) or the bleak backend."""

    family: str
    battery: int | None = None
    speed: float = 1.0
    scenario: str | None = None
    serial: str | None = None
    link: Literal["serial", "ble"] = "serial"
    protocol_minor: int | None = None  # the revision it speaks, 1.minor; None: the newest
    code: str | None = None  # its setup code (IRLink 1.2); None: derived from its serial


@dataclass(frozen=True)
class AutoAddress:
    """Discover, and use the one device found."""


Address = SerialAddress | BleAddress | SimAddress | AutoAddress


def parse_address(text: str) -> Address:
    """The address ``text`` names; raises :class:`~irlink.errors.AddressError` with the forms."""
    text = text.strip()
    if not text:
        raise AddressError(f"the device address is empty; give {FORMS}")
    if text == "auto":
        return AutoAddress()
    scheme, sep, _ = text.partition("://")
    if not sep:
        return SerialAddress(text)  # a bare path or COM port
    scheme = scheme.lower()
    if scheme == "serial":
        return _serial(text)
    if scheme == "ble":
        return _ble(text)
    if scheme == "sim":
        return _sim(text)
    if scheme in _PYSERIAL_SCHEMES:
        return SerialAddress(text)
    raise AddressError(f"{text!r}: irlink does not know the scheme {scheme!r}; give {FORMS}")


def _query(text: str, query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in allowed:
            raise AddressError(
                f"{text!r}: unknown option {key!r}; this address takes {', '.join(allowed)}"
            )
        params[key] = value
    return params


def _number(text: str, key: str, value: str, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not lo <= number <= hi:
        raise AddressError(f"{text!r}: {key} must be a number from {lo:g} to {hi:g}, not {value!r}")
    return number


def _serial(text: str) -> SerialAddress:
    parts = urlsplit(text)
    path = unquote(parts.netloc + parts.path)
    if not path:
        raise AddressError(f"{text!r} names no port; write serial:///dev/ttyACM0 or serial://COM3")
    params = _query(text, parts.query, ("baud",))
    baud = params.get("baud")
    if baud is None:
        return SerialAddress(path)
    if not baud.isdigit() or not 50 <= int(baud) <= 20_000_000:
        raise AddressError(f"{text!r}: baud must be a whole number like 115200, not {baud!r}")
    return SerialAddress(path, int(baud))


def _ble(text: str) -> BleAddress:
    rest = text.split("://", 1)[1]
    if rest.startswith("name/"):
        name = unquote(rest[len("name/") :])
        if not name:
            raise AddressError(f"{text!r} names no device; write ble://name/IRL-W2-0042")
        return BleAddress(name=name)
    if _MAC.match(rest) or _CB_UUID.match(rest):
        return BleAddress(address=rest.upper())
    raise AddressError(
        f"{text!r}: a BLE address is six hex pairs (ble://AA:BB:CC:DD:EE:FF), "
        "a macOS device UUID, or a name (ble://name/IRL-W2-0042)"
    )


def _sim(text: str) -> SimAddress:
    parts = urlsplit(text)
    family = parts.netloc.lower()
    if family not in SIM_FAMILIES or parts.path not in ("", "/"):
        raise AddressError(
            f"{text!r}: simulated families are {', '.join(SIM_FAMILIES)}; write sim://waistband"
        )
    params = _query(
        text, parts.query, ("battery", "speed", "scenario", "serial", "link", "protocol", "code")
    )
    battery = params.get("battery")
    link = params.get("link", "serial")
    if link not in ("serial", "ble"):
        raise AddressError(f"{text!r}: link must be serial or ble, not {link!r}")
    serial = params.get("serial")
    if serial is not None and not (serial.isdigit() and 1 <= len(serial) <= 16):
        raise AddressError(f"{text!r}: serial must be 1 to 16 digits, like 0042, not {serial!r}")
    protocol = params.get("protocol")
    revisions = {f"1.{minor}": minor for minor in range(PROTOCOL_MINOR + 1)}
    if protocol is not None and protocol not in revisions:
        raise AddressError(
            f"{text!r}: protocol must be one of {', '.join(revisions)} (the IRLink revision "
            f"the simulated device speaks), not {protocol!r}"
        )
    return SimAddress(
        family=family,
        battery=None if battery is None else int(_number(text, "battery", battery, 0, 100)),
        speed=_number(text, "speed", params.get("speed", "1"), 0.001, MAX_SIM_SPEED),
        scenario=params.get("scenario") or None,
        serial=serial,
        link="ble" if link == "ble" else "serial",
        protocol_minor=None if protocol is None else revisions[protocol],
        code=_code(text, params.get("code")),
    )


def _code(text: str, code: str | None) -> str | None:
    """A simulated device's setup code from its address, checked as a device's would be."""
    if code is None:
        return None
    from irlink.security.codes import parse_setup_code  # noqa: PLC0415
    from irlink.security.errors import InvalidSetupCode  # noqa: PLC0415

    try:
        return str(parse_setup_code(code))
    except InvalidSetupCode as exc:
        raise AddressError(f"{text!r}: code: {exc}") from None
