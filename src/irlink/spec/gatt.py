"""The BLE GATT layout (protocols/gatt.yaml): services, characteristics and their security."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator, Field, Strict, StringConstraints, model_validator

from irlink.spec._models import SpecModel, load, require
from irlink.spec.device_info import Capability

__all__ = [
    "Advertising",
    "Characteristic",
    "GattSpec",
    "Pairing",
    "Property",
    "SecurityLevel",
    "Service",
    "load_gatt",
]

SecurityLevel = Literal["open", "encrypted", "authenticated"]
Property = Literal["read", "write", "write_without_response", "notify", "indicate"]

# 16-bit UUIDs assigned by the Bluetooth SIG are shorthand for this base UUID.
_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"
_BLUETOOTH_BASE = "0000{:04x}" + _BASE_SUFFIX
_SHORT = re.compile(r"^0x[0-9A-Fa-f]{4}$")
_WRITES = frozenset({"write", "write_without_response"})
# The irlink stream service: which characteristic carries which direction.
_STREAM_PROPERTIES: dict[str, frozenset[str]] = {
    "rx": _WRITES,
    "tx": frozenset({"notify"}),
}


def _full_uuid(value: object) -> str:
    """Any UUID the file may hold, as the lowercase 128-bit string bleak and bumble use."""
    # An unquoted 0x180F reaches us as an int from YAML; take it as the 16-bit form.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFF:
        return _BLUETOOTH_BASE.format(value)
    if isinstance(value, str):
        if _SHORT.match(value):
            return _BLUETOOTH_BASE.format(int(value, 16))
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a UUID: give 0xXXXX for a 16-bit one, else all 128 bits")


Uuid = Annotated[str, BeforeValidator(_full_uuid)]
Name = Annotated[str, Strict(), StringConstraints(pattern="^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Strict(), StringConstraints(min_length=1)]


def is_sig_assigned(full: str) -> bool:
    """Whether a UUID is a Bluetooth SIG 16-bit one, rather than a vendor's own."""
    return full.startswith("0000") and full.endswith(_BASE_SUFFIX)


class Characteristic(SpecModel):
    """One characteristic: its UUID, what a peer may do with it and the link it needs."""

    name: Name
    uuid: Uuid
    doc: Text
    properties: Annotated[tuple[Property, ...], Field(min_length=1)]
    # Covers the value and, for notify and indicate, the CCCD that subscribes to it.
    security: SecurityLevel

    @model_validator(mode="after")
    def _distinct_properties(self) -> Characteristic:
        if len(set(self.properties)) != len(self.properties):
            require([f"properties of {self.name} list one twice"])
        return self


class Service(SpecModel):
    """A primary service and its characteristics."""

    name: Name
    uuid: Uuid
    doc: Text
    requires_capability: Capability | None = None
    characteristics: Annotated[tuple[Characteristic, ...], Field(min_length=1)]

    def characteristic(self, name: str) -> Characteristic:
        """The characteristic of this name; KeyError names the ones there are."""
        for item in self.characteristics:
            if item.name == name:
                return item
        known = ", ".join(item.name for item in self.characteristics)
        raise KeyError(f"service {self.name} has no characteristic {name!r}; it has {known}")


class Advertising(SpecModel):
    """What a device advertises so a host can find it without connecting."""

    service_uuids: Annotated[tuple[Uuid, ...], Field(min_length=1)]
    local_name: Text  # a template over the device profile and the serial
    doc: Text


class Pairing(SpecModel):
    """How a device takes a new bond: per host, and without a display only in its window."""

    doc: Text
    # Seconds of the device's clock a press of its pairing button keeps new bonds possible.
    window_s: Annotated[int, Strict(), Field(ge=1, le=600)]


class GattSpec(SpecModel):
    """The GATT database every irlink device exposes, from protocols/gatt.yaml."""

    doc: Text
    security_levels: dict[SecurityLevel, Text]
    services: Annotated[tuple[Service, ...], Field(min_length=1)]
    pairing: Pairing
    advertising: Advertising
    preferred_att_mtu: Annotated[int, Strict(), Field(ge=23, le=517)]  # the ATT_MTU range
    notes: Annotated[tuple[Text, ...], Field(min_length=1)]

    def service(self, name: str) -> Service:
        """The service of this name; KeyError names the ones there are."""
        for item in self.services:
            if item.name == name:
                return item
        known = ", ".join(item.name for item in self.services)
        raise KeyError(f"no service {name!r} in gatt.yaml; there are {known}")

    @property
    def stream_service(self) -> Service:
        """The custom service carrying the IRLink byte stream."""
        return next(s for s in self.services if not is_sig_assigned(s.uuid))

    @model_validator(mode="after")
    def _consistent(self) -> GattSpec:
        problems = self._naming_problems()
        custom = [s for s in self.services if not is_sig_assigned(s.uuid)]
        if len(custom) != 1:
            problems.append(
                f"services must hold exactly one custom (128-bit) service, the irlink "
                f"stream; found {len(custom)}"
            )
        else:
            problems += _stream_problems(custom[0])
            if custom[0].uuid not in self.advertising.service_uuids:
                problems.append(
                    "advertising.service_uuids must include the stream service's UUID, "
                    "so hosts can find devices by service"
                )
        for placeholder in ("{ble_name_prefix}", "{serial}"):
            if placeholder not in self.advertising.local_name:
                problems.append(f"advertising.local_name must contain {placeholder}")
        missing = set(get_args(SecurityLevel)) - set(self.security_levels)
        if missing:
            problems.append(f"security_levels does not describe {', '.join(sorted(missing))}")
        require(problems)
        return self

    def _naming_problems(self) -> list[str]:
        problems = []
        uuids = [s.uuid for s in self.services]
        uuids += [c.uuid for s in self.services for c in s.characteristics]
        repeated = sorted({u for u in uuids if uuids.count(u) > 1})
        if repeated:
            problems.append(f"UUIDs used twice: {', '.join(repeated)}")
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            problems.append(f"service names are not unique: {names}")
        for service in self.services:
            chars = [c.name for c in service.characteristics]
            if len(set(chars)) != len(chars):
                problems.append(f"characteristic names in {service.name} are not unique")
            for char in service.characteristics:
                # Deny by default: nothing a peer can write is reachable on a weaker link.
                if _WRITES & set(char.properties) and char.security != "authenticated":
                    problems.append(
                        f"{service.name}.{char.name} is writable, so its security must be "
                        "authenticated (DOMAIN.md security rules)"
                    )
        return problems


def _stream_problems(service: Service) -> list[str]:
    problems = []
    if uuid.UUID(service.uuid).version != 4:
        problems.append(f"service {service.name}: a custom UUID must be random (version 4)")
    names = sorted(c.name for c in service.characteristics)
    if names != sorted(_STREAM_PROPERTIES):
        problems.append(
            f"service {service.name} must have exactly the characteristics rx and tx; "
            f"it has {', '.join(names)}"
        )
        return problems
    for name, wanted in _STREAM_PROPERTIES.items():
        char = service.characteristic(name)
        if uuid.UUID(char.uuid).version != 4:
            problems.append(f"{service.name}.{name}: a custom UUID must be random (version 4)")
        if set(char.properties) != wanted:
            problems.append(f"{service.name}.{name}.properties must be {', '.join(sorted(wanted))}")
        if char.security != "authenticated":
            # Control and the stream it answers on need LE Secure Connections with MITM
            # protection; Just Works would let anyone in radio range drive the device.
            problems.append(f"{service.name}.{name}.security must be authenticated")
    return problems


def load_gatt() -> GattSpec:
    """Load and validate protocols/gatt.yaml."""
    return load(GattSpec, "gatt.yaml")
