"""The BLE GATT layout of protocols/gatt.yaml and the schema that guards it."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from irlink.errors import SpecError
from irlink.spec import _files
from irlink.spec.devices import load_device_profiles
from irlink.spec.gatt import GattSpec, load_gatt

BASE = "-0000-1000-8000-00805f9b34fb"


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(_files.read_yaml("gatt.yaml"))
    return data


def _service(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in data["services"] if s["name"] == name)
    return found


def _char(data: dict[str, Any], service: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        c for c in _service(data, service)["characteristics"] if c["name"] == name
    )
    return found


def _rejects(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        GattSpec.model_validate(data)


def test_gatt_loads() -> None:
    assert load_gatt().stream_service.name == "irlink"


def test_stream_service_has_exactly_the_rx_and_tx_characteristics() -> None:
    service = load_gatt().stream_service
    assert sorted(c.name for c in service.characteristics) == ["rx", "tx"]


def test_rx_takes_writes_with_and_without_response_on_an_authenticated_link() -> None:
    rx = load_gatt().stream_service.characteristic("rx")
    assert set(rx.properties) == {"write", "write_without_response"}
    assert rx.security == "authenticated"


def test_tx_notifies_on_an_authenticated_link() -> None:
    tx = load_gatt().stream_service.characteristic("tx")
    assert tx.properties == ("notify",)
    assert tx.security == "authenticated"


def test_stream_uuids_are_random_and_the_service_is_advertised() -> None:
    gatt = load_gatt()
    service = gatt.stream_service
    for value in [service.uuid] + [c.uuid for c in service.characteristics]:
        assert uuid.UUID(value).version == 4
    assert gatt.advertising.service_uuids == (service.uuid,)


def test_battery_service_is_standard_and_open() -> None:
    service = load_gatt().service("battery")
    assert service.uuid == "0000180f" + BASE
    assert service.requires_capability == "battery"
    level = service.characteristic("battery_level")
    assert level.uuid == "00002a19" + BASE
    assert set(level.properties) == {"read", "notify"}
    assert level.security == "open"


def test_device_information_is_standard_read_only_and_open() -> None:
    service = load_gatt().service("device_information")
    assert service.uuid == "0000180a" + BASE
    short = {c.name: c.uuid[4:8] for c in service.characteristics}
    assert short == {
        "manufacturer_name": "2a29",
        "model_number": "2a24",
        "serial_number": "2a25",
        "hardware_revision": "2a27",
        "firmware_revision": "2a26",
    }
    assert all(c.properties == ("read",) for c in service.characteristics)
    assert all(c.security == "open" for c in service.characteristics)


def test_preferred_mtu_carries_a_whole_frame_in_one_pdu() -> None:
    framing = _files.read_yaml("irlink-v1.yaml")["framing"]
    assert load_gatt().preferred_att_mtu - 3 >= framing["max_frame"]


def test_advertised_name_of_every_profile_fits_the_scan_response() -> None:
    template = load_gatt().advertising.local_name
    for profile in load_device_profiles().values():
        name = template.format(ble_name_prefix=profile.identity.ble_name_prefix, serial="0042")
        assert name.startswith(profile.identity.model)
        assert len(name) <= 29  # 31-byte scan response minus the AD header


def test_a_pairing_window_is_bounded() -> None:
    pairing = load_gatt().pairing
    assert 0 < pairing.window_s <= 600
    assert "window_s" in pairing.doc
    for window_s in (0, 601, 60.5):
        data = _raw()
        data["pairing"]["window_s"] = window_s
        _rejects(data, "window_s")


def test_unknown_service_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="device_information"):
        load_gatt().service("heart_rate")


def test_invalid_file_is_a_spec_error_naming_file_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _raw()
    _char(data, "irlink", "rx")["security"] = "open"
    monkeypatch.setattr(_files, "read_yaml", lambda relative: data)
    with pytest.raises(SpecError, match=r"protocols/gatt\.yaml") as caught:
        load_gatt()
    assert "irlink.rx" in str(caught.value)


def test_open_control_characteristic_is_rejected() -> None:
    data = _raw()
    _char(data, "irlink", "rx")["security"] = "encrypted"
    _rejects(data, "rx")


def test_open_stream_notifications_are_rejected() -> None:
    data = _raw()
    _char(data, "irlink", "tx")["security"] = "open"
    _rejects(data, "tx")


def test_writable_standard_characteristic_must_be_authenticated() -> None:
    data = _raw()
    _char(data, "battery", "battery_level")["properties"] = ["read", "write", "notify"]
    _rejects(data, "battery_level")


def test_third_stream_characteristic_is_rejected() -> None:
    data = _raw()
    extra = dict(_char(data, "irlink", "tx"), name="debug", uuid=str(uuid.uuid4()))
    _service(data, "irlink")["characteristics"].append(extra)
    _rejects(data, "exactly the characteristics rx and tx")


def test_tx_that_is_also_readable_is_rejected() -> None:
    data = _raw()
    _char(data, "irlink", "tx")["properties"] = ["read", "notify"]
    _rejects(data, "tx.properties")


def test_uuid_used_twice_is_rejected() -> None:
    data = _raw()
    _char(data, "irlink", "tx")["uuid"] = _char(data, "irlink", "rx")["uuid"]
    _rejects(data, "UUIDs used twice")


def test_custom_uuid_that_is_not_random_is_rejected() -> None:
    data = _raw()
    # A version-1 UUID: derived from a clock and a MAC address, not drawn at random.
    _char(data, "irlink", "rx")["uuid"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    _rejects(data, "version 4")


def test_malformed_uuid_is_rejected() -> None:
    data = _raw()
    _service(data, "battery")["uuid"] = "0x180"
    _rejects(data, "not a UUID")


def test_unadvertised_stream_service_is_rejected() -> None:
    data = _raw()
    data["advertising"]["service_uuids"] = ["0x180F"]
    _rejects(data, "advertising.service_uuids")


def test_short_uuid_written_unquoted_is_read_as_16_bit() -> None:
    data = _raw()
    _service(data, "battery")["uuid"] = 0x180F
    assert GattSpec.model_validate(data).service("battery").uuid == "0000180f" + BASE


def test_unknown_security_level_is_rejected() -> None:
    data = _raw()
    _char(data, "device_information", "model_number")["security"] = "bonded"
    _rejects(data, "security")
