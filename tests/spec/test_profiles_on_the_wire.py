"""Each device profile's advertised limits are sendable as an IRLink v1 info response."""

from __future__ import annotations

import pytest

from irlink.protocol import decode_body, encode_body
from irlink.protocol.messages import PROTOCOL_VERSION, GetInfoResponse
from irlink.protocol.plain import from_plain
from irlink.spec import load_device_profiles, load_protocol
from irlink.spec.devices import FAMILIES

IDENTITY = {"protocol_version", "family", "model", "serial", "firmware_version", "hardware_version"}


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
    }
    info = from_plain(GetInfoResponse, plain)
    assert decode_body(GetInfoResponse, encode_body(info)) == info
