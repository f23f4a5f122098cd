"""Load and validate protocols/: the wire protocol, BLE GATT layout and device profiles."""

from __future__ import annotations

from functools import cache

from pydantic import ValidationError

from irlink.errors import SpecError
from irlink.spec._files import protocols_dir, read_yaml
from irlink.spec.devices import DeviceProfile, load_device_profile, load_device_profiles
from irlink.spec.gatt import GattSpec, load_gatt
from irlink.spec.protocol import ProtocolSpec

__all__ = [
    "DeviceProfile",
    "GattSpec",
    "ProtocolSpec",
    "load_device_profile",
    "load_device_profiles",
    "load_gatt",
    "load_protocol",
    "protocols_dir",
]


@cache
def load_protocol() -> ProtocolSpec:
    """The IRLink v1 protocol spec from protocols/irlink-v1.yaml, validated."""
    raw = read_yaml("irlink-v1.yaml")
    try:
        return ProtocolSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(f"protocols/irlink-v1.yaml does not validate:\n{exc}") from exc
