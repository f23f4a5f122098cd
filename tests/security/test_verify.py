"""Pair verify between the host's and the device's state machines."""

from __future__ import annotations

from typing import Any

import pytest

from irlink.protocol.messages import (
    ErrorCode,
    PairVerifyRequest,
    PairVerifyResponse,
    RemovePairingRequest,
)
from irlink.security import (
    AuthenticationFailed,
    BadPairingMessage,
    DevicePairing,
    Identity,
    KeyChanged,
    NotAuthorized,
    VerifyDevice,
    VerifyHost,
)
from irlink.security.keys import scripted_random
from tests.security.exchange import pair, run
from tests.security.fixed import CODE, DEVICE, HOST, OTHER_HOST, Clock


def paired() -> tuple[DevicePairing, VerifyHost, VerifyDevice]:
    pairing = DevicePairing(DEVICE, CODE, Clock())
    kept = pair(pairing)
    return pairing, VerifyHost(HOST, *kept), VerifyDevice(DEVICE, pairing.pairings)


def test_a_paired_host_and_device_verify_and_share_the_session_keys() -> None:
    _, host, device = paired()
    log: list[tuple[Any, Any]] = []
    run(host, device, log)
    assert host.keys is not None
    assert host.keys == device.keys
    assert host.keys.write != host.keys.read
    assert device.verified
    assert device.host_id == HOST.id
    sizes = [(r.step, len(r.data), a.step, len(a.data)) for r, a in log]
    assert sizes == [(1, 32, 2, 128), (3, 96, 4, 0)]


def test_every_verify_makes_new_session_keys() -> None:
    _, host, device = paired()
    run(host, device)
    first = host.keys
    run(host, device)
    assert host.keys == device.keys
    assert host.keys != first


def test_a_host_the_device_is_not_paired_with_is_unauthorized_and_counted() -> None:
    pairing, _, device = paired()
    stranger = VerifyHost(OTHER_HOST, DEVICE.id, DEVICE.public_key)
    with pytest.raises(NotAuthorized) as refused:
        run(stranger, device)
    assert (refused.value.code, refused.value.field, refused.value.limit) == (
        ErrorCode.UNAUTHORIZED,
        0,
        0,
    )
    assert not device.verified
    assert device.failures == 1
    assert len(pairing.pairings) == 1  # nothing else changed


def test_a_host_whose_pairing_was_removed_no_longer_verifies() -> None:
    pairing, host, device = paired()
    run(host, device)
    pairing.pairings.remove_pairing(HOST.id, RemovePairingRequest(pairing_id=tuple(HOST.id)))
    device.end()
    assert not device.verified
    with pytest.raises(NotAuthorized):
        run(host, device)


@pytest.mark.parametrize(
    ("device_id", "public_key"),
    [
        (DEVICE.id, Identity.derive("0042", generation=1).public_key),  # a factory reset
        (Identity.derive("0043").id, DEVICE.public_key),  # another device's id
    ],
)
def test_the_host_stops_when_the_devices_key_or_id_changed(
    device_id: bytes, public_key: bytes
) -> None:
    _, _, device = paired()
    host = VerifyHost(HOST, device_id, public_key)
    with pytest.raises(KeyChanged, match="reset, or this is another device"):
        run(host, device)
    assert host.keys is None


def tampered(message: Any, cls: type[Any], at: int = -1) -> Any:
    data = bytearray(message.data)
    data[at] ^= 0x80
    return cls(step=message.step, part=message.part, parts=message.parts, data=tuple(data))


def test_a_tampered_step_3_is_unauthorized() -> None:
    _, host, device = paired()
    step_3 = host.receive(device.receive(host.start()))
    assert step_3 is not None
    with pytest.raises(NotAuthorized):
        device.receive(tampered(step_3, PairVerifyRequest))
    assert not device.verified


@pytest.mark.parametrize("at", [0, 40, -1])  # dE, the sealed id and signature, the tag
def test_a_tampered_step_2_is_refused_by_the_host(at: int) -> None:
    _, host, device = paired()
    answer = device.receive(host.start())
    with pytest.raises(AuthenticationFailed):
        host.receive(tampered(answer, PairVerifyResponse, at))


def test_step_1_ends_the_links_verified_session() -> None:
    _, host, device = paired()
    run(host, device)
    assert device.verified
    device.receive(VerifyHost(OTHER_HOST, DEVICE.id, DEVICE.public_key).start())
    assert not device.verified
    assert device.keys is None


def test_an_all_zero_key_is_refused_both_ways() -> None:
    _, host, device = paired()
    with pytest.raises(NotAuthorized, match="not a valid X25519 key"):
        device.receive(PairVerifyRequest(step=1, part=0, parts=1, data=tuple(bytes(32))))
    host.start()
    zeros = PairVerifyResponse(step=2, part=0, parts=1, data=tuple(bytes(128)))
    with pytest.raises(AuthenticationFailed, match="not a valid X25519 key"):
        host.receive(zeros)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (PairVerifyRequest(step=3, part=0, parts=1, data=tuple(bytes(96))), 1),
        (PairVerifyRequest(step=1, part=0, parts=1, data=tuple(bytes(31))), 4),
        (PairVerifyRequest(step=1, part=0, parts=2, data=tuple(bytes(32))), 3),
        (PairVerifyRequest(step=5, part=0, parts=1, data=()), 1),
    ],
)
def test_a_verify_part_out_of_place_is_invalid_value(
    request_: PairVerifyRequest, field: int
) -> None:
    _, _, device = paired()
    with pytest.raises(BadPairingMessage) as refused:
        device.receive(request_)
    assert refused.value.field == field


def test_the_ephemeral_keys_come_from_the_random_source() -> None:
    pairing, _, _ = paired()
    keys = []
    for _ in range(2):
        host = VerifyHost(
            HOST, DEVICE.id, DEVICE.public_key, random=scripted_random(bytes(range(32)))
        )
        device = VerifyDevice(DEVICE, pairing.pairings, random=scripted_random(bytes(range(1, 33))))
        run(host, device)
        keys.append(host.keys)
    assert keys[0] == keys[1]
