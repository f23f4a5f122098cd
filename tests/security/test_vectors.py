"""protocols/vectors/security.yaml: checked with the primitives alone, as a firmware would.

Each value is recomputed from the vector's inputs with cryptography's primitives and
hashlib, the frames are replayed through the state machines byte for byte, and the
`receiving` stream gets each verdict it names from a FrameDecoder and an Opener.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA512
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from irlink.protocol import FrameDecoder, decode_frame, decode_message
from irlink.protocol.framing import frame_content
from irlink.protocol.messages import (
    FrameKind,
    PairSetupRequest,
    PairSetupResponse,
    PairVerifyRequest,
    PairVerifyResponse,
)
from irlink.security import (
    DevicePairing,
    Forged,
    Identity,
    Opener,
    PairSetupHost,
    Replayed,
    Sealer,
    VerifyDevice,
    VerifyHost,
    parse_setup_code,
)
from irlink.security.keys import scripted_random
from irlink.security.srp import GROUP_3072, SrpClient, SrpServer
from irlink.spec._files import read_yaml
from tests.generated import assert_current


@cache
def vectors() -> dict[str, Any]:
    loaded: dict[str, Any] = read_yaml("vectors/security.yaml")
    return loaded


def x(key: str, section: str) -> bytes:
    return bytes.fromhex(vectors()[section][key])


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=SHA512(), length=32, salt=salt, info=info).derive(ikm)


def nonce(label: bytes) -> bytes:
    return b"\0\0\0\0" + label


def verify(public_key: bytes, signature: bytes, message: bytes) -> None:
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)  # raises if bad


def identities() -> tuple[Identity, Identity]:
    inputs = vectors()["inputs"]
    host = Identity.from_seed(
        bytes.fromhex(inputs["host"]["pairing_id"]), bytes.fromhex(inputs["host"]["ltsk_seed"])
    )
    device = Identity.from_seed(
        bytes.fromhex(inputs["device"]["device_id"]), bytes.fromhex(inputs["device"]["ltsk_seed"])
    )
    return host, device


def test_the_vectors_are_what_the_generator_makes() -> None:
    assert_current("gen_security_vectors.py")


def test_the_long_term_public_keys_are_the_seeds_keys() -> None:
    host, device = identities()
    inputs = vectors()["inputs"]
    assert host.public_key.hex() == inputs["host"]["ltpk"]
    assert device.public_key.hex() == inputs["device"]["ltpk"]


def test_the_srp_transcript_follows_from_its_inputs() -> None:
    srp = vectors()["srp"]
    assert int(srp["N"], 16) == GROUP_3072.N
    assert srp["g"] == GROUP_3072.g == 5
    assert (srp["I"], srp["P"]) == (
        "Pair-Setup",
        parse_setup_code(vectors()["inputs"]["setup_code"]).password.decode(),
    )
    password, salt = srp["P"].encode(), bytes.fromhex(srp["s"])
    server = SrpServer(password, salt=salt, private=bytes.fromhex(srp["b"]))
    client = SrpClient(password, private=bytes.fromhex(srp["a"]))
    m1 = client.process(salt, server.B)
    m2 = server.verify(client.A, m1)
    numbers = {
        "k": GROUP_3072.k,
        "x": client.x,
        "v": server.v,
        "A": client.A,
        "B": server.B,
        "u": client.u,
        "S": client.S,
    }
    for name, value in numbers.items():
        assert int(srp[name], 16) == value, name
    assert len(bytes.fromhex(srp["A"])) == len(bytes.fromhex(srp["B"])) == 384
    assert (client.K.hex(), m1.hex(), m2.hex()) == (srp["K"], srp["M1"], srp["M2"])


def test_steps_5_and_6_open_and_verify_with_the_primitives() -> None:
    setup, key = vectors()["pair_setup"], x("K", "srp")
    ek = hkdf(key, b"Pair-Setup-Encrypt-Salt", b"Pair-Setup-Encrypt-Info")
    hx = hkdf(key, b"Pair-Setup-Controller-Sign-Salt", b"Pair-Setup-Controller-Sign-Info")
    ax = hkdf(key, b"Pair-Setup-Accessory-Sign-Salt", b"Pair-Setup-Accessory-Sign-Info")
    assert (ek.hex(), hx.hex(), ax.hex()) == (setup["EK"], setup["HX"], setup["AX"])
    for step, sign_key, who in ((5, hx, "host"), (6, ax, "device")):
        sealed = x(f"M{step}", "pair_setup")
        plain = ChaCha20Poly1305(ek).decrypt(nonce(f"PS-Msg0{step}".encode()), sealed, None)
        assert plain == x(f"M{step}_plaintext", "pair_setup")
        ident, public_key, signature = plain[:16], plain[16:48], plain[48:]
        inputs = vectors()["inputs"][who]
        assert ident.hex() == inputs["pairing_id" if who == "host" else "device_id"]
        assert public_key.hex() == inputs["ltpk"]
        verify(public_key, signature, sign_key + ident + public_key)


def test_pair_verify_keys_and_messages_follow_from_the_ephemeral_keys() -> None:
    pv = vectors()["pair_verify"]
    host_key = X25519PrivateKey.from_private_bytes(x("host_ephemeral_private", "pair_verify"))
    device_key = X25519PrivateKey.from_private_bytes(x("device_ephemeral_private", "pair_verify"))
    h_e = host_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    d_e = device_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert (h_e.hex(), d_e.hex()) == (pv["hE"], pv["dE"])
    shared = host_key.exchange(X25519PublicKey.from_public_bytes(d_e))
    assert shared == device_key.exchange(X25519PublicKey.from_public_bytes(h_e))
    assert shared.hex() == pv["shared"]
    vk = hkdf(shared, b"Pair-Verify-Encrypt-Salt", b"Pair-Verify-Encrypt-Info")
    assert vk.hex() == pv["VK"]
    host, device = identities()
    frames = {f["step"]: bytes.fromhex(f["data"]) for f in pv["frames"]}
    assert frames[1] == h_e
    assert frames[2][:32] == d_e
    assert frames[4] == b""
    step2 = ChaCha20Poly1305(vk).decrypt(nonce(b"PV-Msg02"), frames[2][32:], None)
    step3 = ChaCha20Poly1305(vk).decrypt(nonce(b"PV-Msg03"), frames[3], None)
    assert (step2.hex(), step3.hex()) == (pv["step2_plaintext"], pv["step3_plaintext"])
    assert step2[:16] == device.id
    assert step3[:16] == host.id
    verify(device.public_key, step2[16:], d_e + device.id + h_e)
    verify(host.public_key, step3[16:], h_e + host.id + d_e)
    write = hkdf(shared, b"Control-Salt", b"Control-Write-Encryption-Key")
    read = hkdf(shared, b"Control-Salt", b"Control-Read-Encryption-Key")
    assert (write.hex(), read.hex()) == (pv["write_key"], pv["read_key"])


def replay(frames: list[dict[str, Any]], host: Any, device: Any) -> None:
    """Drive both state machines with the vector's frames; each answer must be the next frame."""
    request = host.start()
    for sent, answer in zip(frames[::2], frames[1::2], strict=True):
        assert (sent["from"], answer["from"]) == ("host", "device")
        wire = bytes.fromhex(sent["hex"])
        assert decode_message(decode_frame(wire[:-1])) == request
        response = device.receive(request)
        assert decode_message(decode_frame(bytes.fromhex(answer["hex"])[:-1])) == response
        request = host.receive(response)
    assert request is None


def test_the_pair_setup_frames_are_what_host_and_device_exchange() -> None:
    srp = vectors()["srp"]
    host_identity, device_identity = identities()
    code = parse_setup_code(vectors()["inputs"]["setup_code"])
    host = PairSetupHost(code, host_identity, random=scripted_random(bytes.fromhex(srp["a"])))
    device = DevicePairing(
        device_identity,
        code,
        lambda: 0.0,
        random=scripted_random(bytes.fromhex(srp["s"]), bytes.fromhex(srp["b"])),
    )
    frames = vectors()["pair_setup"]["frames"]
    assert [f["step"] for f in frames][:4] == [1, 2, 2, 2]  # step 2 is read in two parts
    replay(frames, host, device)
    assert host.device == (device_identity.id, device_identity.public_key)


def test_the_pair_verify_frames_are_what_host_and_device_exchange() -> None:
    pv = vectors()["pair_verify"]
    host_identity, device_identity = identities()
    device_pairing = DevicePairing(device_identity, parse_setup_code("123-45-679"), lambda: 0.0)
    device_pairing.pairings.add(host_identity.id, host_identity.public_key)
    host = VerifyHost(
        host_identity,
        device_identity.id,
        device_identity.public_key,
        random=scripted_random(x("host_ephemeral_private", "pair_verify")),
    )
    device = VerifyDevice(
        device_identity,
        device_pairing.pairings,
        random=scripted_random(x("device_ephemeral_private", "pair_verify")),
    )
    replay(pv["frames"], host, device)
    assert host.keys is not None
    assert (host.keys.write.hex(), host.keys.read.hex()) == (pv["write_key"], pv["read_key"])


@pytest.mark.parametrize(
    "frame", vectors()["sealed"]["frames"], ids=[f["name"] for f in vectors()["sealed"]["frames"]]
)
def test_a_sealed_frame_opens_with_the_primitives_and_seals_again_byte_for_byte(
    frame: dict[str, Any],
) -> None:
    key = x(f"{frame['key']}_key", "pair_verify")
    wire = bytes.fromhex(frame["hex"])
    outer = decode_frame(wire[:-1])  # COBS and CRC as for any frame
    payload = frame_content(outer)
    assert payload.hex() == frame["payload"]
    assert payload[:2] == bytes([1, FrameKind.SEALED])
    assert int.from_bytes(payload[2:6], "little") == frame["counter"]
    counter_nonce = b"\0\0\0\0" + frame["counter"].to_bytes(8, "little")
    inner = ChaCha20Poly1305(key).decrypt(counter_nonce, payload[6:], payload[:6])
    assert inner.hex() == frame["inner"]
    assert len(payload) == len(inner) + 6 + 16
    opened = Opener(key).open(outer)
    assert (
        bytes([opened.kind])
        + opened.seq.to_bytes(2, "little")
        + bytes([opened.msg_id])
        + opened.body
        == inner
    )
    assert Sealer(key, counter=frame["counter"]).seal(opened) == wire


def test_the_receiving_stream_gets_each_verdict() -> None:
    decoder, opener = FrameDecoder(), Opener(x("write_key", "pair_verify"))
    for entry in vectors()["sealed"]["receiving"]:
        frames = decoder.feed(bytes.fromhex(entry["hex"]))
        verdict = entry["verdict"]
        if verdict == "corrupted":
            assert frames == [], entry["name"]
            continue
        [frame] = frames
        if verdict == "plain":
            assert frame.kind == FrameKind.REQUEST
            reply = decode_message(decode_frame(bytes.fromhex(entry["reply"])[:-1]))
            assert (reply.code.name, reply.field, reply.limit) == ("UNAUTHORIZED", 0, 0)  # type: ignore[union-attr]
            continue
        try:
            opener.open(frame)
            got = "opened"
        except Forged:
            got = "forged"
        except Replayed:
            got = "replayed"
        assert got == verdict, entry["name"]
    assert decoder.stats.crc_errors == 1
    assert (opener.opened, opener.forged, opener.replayed) == (4, 3, 2)


@pytest.mark.parametrize(
    "cls", [PairSetupRequest, PairSetupResponse, PairVerifyRequest, PairVerifyResponse]
)
def test_every_pairing_frame_decodes_as_its_message(cls: type[Any]) -> None:
    for section in ("pair_setup", "pair_verify"):
        for frame in vectors()[section]["frames"]:
            if frame["message"] != cls.NAME or (frame["from"] == "host") != issubclass(
                cls, PairSetupRequest | PairVerifyRequest
            ):
                continue
            message = decode_message(decode_frame(bytes.fromhex(frame["hex"])[:-1]))
            assert type(message) is cls
            assert bytes(message.data).hex() == frame["data"]  # type: ignore[attr-defined]
