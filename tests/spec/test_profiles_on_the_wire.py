"""Each device profile's advertised limits are sendable as an info response, and the
vectors of protocols/vectors/ describe devices those profiles allow."""

from __future__ import annotations

from typing import Any

import pytest

from irlink.protocol import decode_body, encode_body
from irlink.protocol.messages import PROTOCOL_MINOR, PROTOCOL_VERSION, GetInfoResponse
from irlink.protocol.plain import from_plain
from irlink.spec import load_device_profiles, load_protocol
from irlink.spec._files import read_yaml
from irlink.spec.devices import FAMILIES

NO_READING = -32768

IDENTITY = {
    "protocol_version",
    "protocol_minor",
    "family",
    "model",
    "serial",
    "firmware_version",
    "hardware_version",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_profile_info_is_exactly_the_limits_of_the_info_response(family: str) -> None:
    spec_fields = [f.name for f in load_protocol().structs["device_info"].fields]
    info = load_device_profiles()[family].info
    assert list(type(info).model_fields) == [n for n in spec_fields if n not in IDENTITY]


@pytest.mark.parametrize("family", FAMILIES)
def test_profile_builds_a_valid_info_response_that_round_trips(family: str) -> None:
    profile = load_device_profiles()[family]
    plain = {
        "protocol_version": PROTOCOL_VERSION,
        "family": family,
        "model": profile.identity.model,
        "serial": "0001",
        "firmware_version": profile.identity.firmware_version,
        "hardware_version": profile.identity.hardware_version,
        **profile.info.model_dump(mode="json"),
        "protocol_minor": PROTOCOL_MINOR,
    }
    info = from_plain(GetInfoResponse, plain)
    assert decode_body(GetInfoResponse, encode_body(info)) == info


def _vectors() -> list[dict[str, Any]]:
    return [v for f in ("responses", "events", "v1_0") for v in read_yaml(f"vectors/{f}.yaml")]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_info_vector_of_each_family_is_its_profile_field_for_field(family: str) -> None:
    profile = load_device_profiles()[family]
    [vector] = [v for v in _vectors() if v["name"] == f"info {family}"]
    fields = vector["fields"]
    expected = {
        "protocol_version": PROTOCOL_VERSION,
        "family": family,
        "model": profile.identity.model,
        "firmware_version": profile.identity.firmware_version,
        "hardware_version": profile.identity.hardware_version,
        **profile.info.model_dump(mode="json"),
        # The info vectors are 1.1 devices' (1.2 changed no layout; its frames are in
        # security.yaml), and a 1.1 device has no secure capability (1.2 brought it).
        "capabilities": [c for c in profile.info.capabilities if c != "secure"],
        "protocol_minor": 1,
    }
    shown = {k: v for k, v in fields.items() if k != "serial"}
    assert shown == expected
    assert list(fields) == [f.name for f in load_protocol().structs["device_info"].fields]


STATUS_VECTORS = {
    "status waistband running": "waistband",
    "status multiport running and empty port": "multiport",
    "status multiport paused and faulted": "multiport",
    "status firmat heating": "firmat",
    "status waistband 1.0": "waistband",
}


@pytest.mark.parametrize(("name", "family"), STATUS_VECTORS.items())
def test_each_status_vector_is_one_its_family_profile_allows(name: str, family: str) -> None:
    info = load_device_profiles()[family].info
    [vector] = [v for v in _vectors() if v["name"] == name]
    status = vector["fields"]
    assert [p["port"] for p in status["ports"]] == list(range(1, info.port_count + 1))
    if not info.has("battery"):
        assert (status["battery_pct"], status["battery_mv"], status["charger_connected"]) == (
            0,
            0,
            False,
        )
    for port in status["ports"]:
        if info.intensity_levels:
            assert 1 <= port["intensity"] <= info.intensity_levels
        else:
            assert port["intensity"] == 0
        if port["mode"] == "pulsed":
            assert port["pulse_hz"] in info.pulse_hz
        else:
            assert port["pulse_hz"] == 0
        assert not port["sham"] or info.has("sham")
        if info.has("heater"):
            assert info.setpoint_min_dc <= port["setpoint_dc"] <= info.setpoint_max_dc
        else:
            assert port["setpoint_dc"] == 0
        assert info.session_min_s <= port["duration_s"] <= info.session_max_s
        if not port["pad_present"]:
            assert (port["temp_dc"], port["skin_temp_dc"]) == (NO_READING, NO_READING)
        if "starts_left" in port:
            assert port["starts_left"] <= info.max_starts_per_day
