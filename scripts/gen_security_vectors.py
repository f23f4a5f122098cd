"""Generate protocols/vectors/security.yaml: IRLink 1.2's pairing, verify and sealed frames.

    python scripts/gen_security_vectors.py          # rewrite the file
    python scripts/gen_security_vectors.py --check  # exit 1 if it is stale

Every random value (SRP's a, b and salt, the ephemeral X25519 keys) and every long-term
key is fixed below, so the transcripts are reproducible byte for byte. The values are
what irlink.security computes; tests/security/test_vectors.py checks them again with the
primitives alone, as a firmware would, and runs the state machines against the frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from cobs import cobs
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from irlink.protocol import encode_error, encode_message
from irlink.protocol.framing import content_bytes, decode_frame, frame_content
from irlink.protocol.messages import (
    ErrorCode,
    ErrorReply,
    GetStatusRequest,
    SessionStartedEvent,
    StartRequest,
    StartResponse,
)
from irlink.protocol.wire import Message
from irlink.security import (
    DevicePairing,
    Identity,
    PairSetupHost,
    VerifyDevice,
    VerifyHost,
    parse_setup_code,
)
from irlink.security._crypto import decrypt, hkdf
from irlink.security.keys import scripted_random
from irlink.security.sealed import Sealer
from irlink.security.srp import GROUP_3072, PAIR_SETUP_IDENTITY, SrpClient, SrpServer, to_bytes

OUT = Path(__file__).resolve().parents[1] / "protocols" / "vectors" / "security.yaml"

CODE = "482-19-736"
HOST_ID = b"irlink-host-0001"
DEVICE_ID = b"irlink-dev--0042"
HOST_SEED = bytes(range(0x20, 0x40))
DEVICE_SEED = bytes(range(0x40, 0x60))
SALT = bytes(range(0x80, 0x90))
SRP_A = bytes(range(0xA0, 0xC0))
SRP_B = bytes(range(0xC0, 0xE0))
HOST_EPHEMERAL = bytes(range(0x60, 0x80))
DEVICE_EPHEMERAL = bytes(range(0xE0, 0x100))


def h(data: bytes) -> str:
    """Contiguous lowercase hex, for keys and numbers."""
    return data.hex()


def wire(data: bytes) -> str:
    """Space-separated hex, for whole frames, as in the other vector files."""
    return data.hex(" ")


def frame_entry(sender: str, seq: int, message: Message) -> dict[str, Any]:
    fields = message.model_dump()
    return {
        "from": sender,
        "seq": seq,
        "message": message.NAME,
        "step": fields["step"],
        "part": fields["part"],
        "parts": fields["parts"],
        "data": h(bytes(fields["data"])),
        "hex": wire(encode_message(message, seq)),
    }


def run(start: Any, host: Any, device: Any, seq: int) -> tuple[list[dict[str, Any]], int]:
    """Every frame of one exchange, host request then device answer, from ``seq`` on."""
    frames = []
    request = start
    while request is not None:
        answer = device.receive(request)
        frames += [frame_entry("host", seq, request), frame_entry("device", seq, answer)]
        seq += 1
        request = host.receive(answer)
    return frames, seq


def srp_section() -> dict[str, Any]:
    password = parse_setup_code(CODE).password
    server = SrpServer(password, salt=SALT, private=SRP_B)
    client = SrpClient(password, private=SRP_A)
    m1 = client.process(SALT, server.B)
    m2 = server.verify(client.A, m1)
    assert server.K == client.K
    assert server.S == client.S
    g = GROUP_3072
    return {
        "doc": (
            "SRP-6a, section 13.3. Numbers are big-endian hex: N, A, B and v in 384 bytes "
            "(PAD), the others minimal."
        ),
        "N": h(to_bytes(g.N)),
        "g": g.g,
        "hash": "SHA-512",
        "I": PAIR_SETUP_IDENTITY.decode(),
        "P": password.decode(),
        "s": h(SALT),
        "a": h(SRP_A),
        "b": h(SRP_B),
        "k": h(to_bytes(g.k)),
        "x": h(to_bytes(client.x)),
        "v": h(g.pad(server.v)),
        "A": h(g.pad(client.A)),
        "B": h(g.pad(server.B)),
        "u": h(to_bytes(client.u)),
        "S": h(to_bytes(client.S)),
        "K": h(client.K),
        "M1": h(m1),
        "M2": h(m2),
    }


def build() -> dict[str, Any]:
    code = parse_setup_code(CODE)
    host_identity = Identity.from_seed(HOST_ID, HOST_SEED)
    device_identity = Identity.from_seed(DEVICE_ID, DEVICE_SEED)
    device = DevicePairing(device_identity, code, lambda: 0.0, random=scripted_random(SALT, SRP_B))
    host = PairSetupHost(code, host_identity, random=scripted_random(SRP_A))
    setup_frames, seq = run(host.start(), host, device, 1)
    srp = srp_section()
    key = bytes.fromhex(srp["K"])
    ek = hkdf(key, b"Pair-Setup-Encrypt-Salt", b"Pair-Setup-Encrypt-Info")
    m5 = bytes.fromhex(next(f["data"] for f in setup_frames if f["step"] == 5))
    m6 = bytes.fromhex(next(f["data"] for f in setup_frames if f["step"] == 6))
    m5_plain, m6_plain = decrypt(ek, b"PS-Msg05", m5), decrypt(ek, b"PS-Msg06", m6)
    assert m5_plain is not None
    assert m6_plain is not None

    verify_device = VerifyDevice(
        device_identity, device.pairings, random=scripted_random(DEVICE_EPHEMERAL)
    )
    verify_host = VerifyHost(
        host_identity, DEVICE_ID, device_identity.public_key, random=scripted_random(HOST_EPHEMERAL)
    )
    verify_frames, seq = run(verify_host.start(), verify_host, verify_device, seq)
    keys = verify_host.keys
    assert keys is not None
    assert keys == verify_device.keys
    step2 = bytes.fromhex(next(f["data"] for f in verify_frames if f["step"] == 2))
    step3 = bytes.fromhex(next(f["data"] for f in verify_frames if f["step"] == 3))
    h_e = bytes.fromhex(verify_frames[0]["data"])
    shared = _x25519(HOST_EPHEMERAL, step2[:32])
    vk = hkdf(shared, b"Pair-Verify-Encrypt-Salt", b"Pair-Verify-Encrypt-Info")
    step2_plain, step3_plain = decrypt(vk, b"PV-Msg02", step2[32:]), decrypt(vk, b"PV-Msg03", step3)
    assert step2_plain is not None
    assert step3_plain is not None

    return {
        "inputs": {
            "doc": "Fixed long-term identities and setup code of every transcript below.",
            "setup_code": CODE,
            "host": {
                "pairing_id": h(HOST_ID),
                "ltsk_seed": h(HOST_SEED),
                "ltpk": h(host_identity.public_key),
            },
            "device": {
                "device_id": h(DEVICE_ID),
                "ltsk_seed": h(DEVICE_SEED),
                "ltpk": h(device_identity.public_key),
            },
        },
        "srp": srp,
        "pair_setup": {
            "doc": "Section 13.3: the keys of steps 5 and 6, their plaintexts, and every frame.",
            "EK": h(ek),
            "HX": h(
                hkdf(key, b"Pair-Setup-Controller-Sign-Salt", b"Pair-Setup-Controller-Sign-Info")
            ),
            "AX": h(
                hkdf(key, b"Pair-Setup-Accessory-Sign-Salt", b"Pair-Setup-Accessory-Sign-Info")
            ),
            "M5_plaintext": h(m5_plain),
            "M5": h(m5),
            "M6_plaintext": h(m6_plain),
            "M6": h(m6),
            "frames": setup_frames,
        },
        "pair_verify": {
            "doc": "Section 13.4: ephemeral keys, shared secret, keys, plaintexts, every frame.",
            "host_ephemeral_private": h(HOST_EPHEMERAL),
            "hE": h(h_e),
            "device_ephemeral_private": h(DEVICE_EPHEMERAL),
            "dE": h(step2[:32]),
            "shared": h(shared),
            "VK": h(vk),
            "step2_plaintext": h(step2_plain),
            "step3_plaintext": h(step3_plain),
            "write_key": h(keys.write),
            "read_key": h(keys.read),
            "frames": verify_frames,
        },
        "sealed": sealed_section(keys.write, keys.read),
    }


def _x25519(private: bytes, public: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private)
    return key.exchange(X25519PublicKey.from_public_bytes(public))


def _plain_bytes(message: Message, seq: int) -> bytes:
    return encode_message(message, seq)


def sealed_section(write: bytes, read: bytes) -> dict[str, Any]:
    """Sealed frames both ways, then what a device's opener makes of a stream of them."""
    host, device = Sealer(write), Sealer(read)
    sent = [
        ("host", host, "get_status", 21, GetStatusRequest()),
        ("host", host, "start port 1 session 4242", 22, StartRequest(port=1, session_id=4242)),
        ("device", device, "start done", 22, StartResponse()),
        (
            "device",
            device,
            "session started event",
            0,
            SessionStartedEvent(port=1, session_id=4242, duration_s=1800),
        ),
    ]
    frames = []
    for sender, sealer, name, seq, message in sent:
        inner = decode_frame(_plain_bytes(message, seq)[:-1])
        counter = sealer.counter
        sealed = sealer.seal(inner)
        frames.append(
            {
                "name": name,
                "from": sender,
                "key": "write" if sender == "host" else "read",
                "counter": counter,
                "inner": h(
                    bytes([inner.kind])
                    + inner.seq.to_bytes(2, "little")
                    + bytes([inner.msg_id])
                    + inner.body
                ),
                "payload": h(frame_content(decode_frame(sealed[:-1]))),
                "hex": wire(sealed),
            }
        )
    return {
        "doc": (
            "Section 13.6: frames sealed under the session keys of pair_verify, counters from 0 "
            "in each direction; inner is kind | seq | msg_id | body, payload is the sealed "
            "payload without its CRC."
        ),
        "frames": frames,
        "receiving": receiving(write),
    }


def receiving(write: bytes) -> list[dict[str, Any]]:
    """Frames a device receives in order, each with what its receiver must make of it."""
    sealer = Sealer(write)

    def seal(seq: int, message: Message, counter: int) -> bytes:
        sealer.counter = counter
        return sealer.seal(decode_frame(_plain_bytes(message, seq)[:-1]))

    status = seal(31, GetStatusRequest(), 0)
    start = seal(32, StartRequest(port=1, session_id=7), 1)
    late = seal(33, GetStatusRequest(), 2)
    skipped = seal(34, GetStatusRequest(), 3)
    genuine = seal(35, GetStatusRequest(), 4)
    plain = _plain_bytes(GetStatusRequest(), 36)
    refusal = encode_error(
        36, GetStatusRequest.MSG_ID, ErrorReply(code=ErrorCode.UNAUTHORIZED, field=0, limit=0)
    )
    stream = [
        ("counter 0", status, "opened", "get_status, the first frame after verify"),
        ("counter 1", start, "opened", "start port 1 session 7"),
        ("counter 1 again", start, "replayed", "the same frame again: dropped, counted"),
        ("counter 3", skipped, "opened", "counter 2 was lost: a skip is accepted"),
        ("counter 2 late", late, "replayed", "reordered: below the last accepted, dropped"),
        (
            "counter 4, a ciphertext bit flipped",
            _flip(genuine, 12),
            "forged",
            "CRC recomputed: the tag fails",
        ),
        (
            "counter 4, a counter bit flipped",
            _flip(genuine, 2),
            "forged",
            "the counter is associated data",
        ),
        ("counter 4, a tag bit flipped", _flip(genuine, -3), "forged", "the tag itself"),
        ("counter 4", genuine, "opened", "a forged frame does not move the counter"),
        (
            "counter 4, CRC broken",
            _break_crc(genuine),
            "corrupted",
            "a frame-level drop (section 3.1): never reaches the opener",
        ),
        (
            "plain get_status",
            plain,
            "plain",
            "after verify a plain request is refused with unauthorized",
        ),
    ]
    out = []
    for name, data, verdict, doc in stream:
        entry: dict[str, Any] = {"name": name, "doc": doc, "hex": wire(data), "verdict": verdict}
        if verdict == "plain":
            entry["reply"] = wire(refusal)
        out.append(entry)
    return out


def _flip(wire_bytes: bytes, at: int) -> bytes:
    """The frame with one bit of its sealed payload flipped, CRC recomputed to match."""
    content = bytearray(frame_content(decode_frame(wire_bytes[:-1])))
    content[at] ^= 0x01
    return content_bytes(bytes(content))


def _break_crc(wire_bytes: bytes) -> bytes:
    content = frame_content(decode_frame(wire_bytes[:-1]))
    good = content_bytes(content)
    payload = bytearray(cobs.decode(good[:-1]))
    payload[-1] ^= 0xFF
    return cobs.encode(bytes(payload)) + b"\0"


HEAD = """\
# IRLink 1.2 security test vectors: pair setup, pair verify and sealed frames (README section 13).
# Generated from fixed keys and random values, and checked against the primitives (SHA-512,
# HKDF-SHA512, ChaCha20-Poly1305, X25519, Ed25519) and the pairing state machines of both
# ends; do not edit by hand. Keys, numbers and message data are contiguous hex;
# each `hex` is one whole frame on the wire, space-separated, the 0x00 delimiter included.
# Parse the YAML: long values wrap over several lines.
"""


def render() -> str:
    return HEAD + yaml.safe_dump(build(), sort_keys=False, width=100, allow_unicode=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(
                f"{OUT.name} is stale: run python scripts/gen_security_vectors.py", file=sys.stderr
            )
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
