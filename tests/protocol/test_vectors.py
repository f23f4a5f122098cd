"""protocols/vectors/: every frame decodes to its meaning and re-encodes byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from irlink.protocol import (
    EVENTS,
    REQUESTS,
    BadLength,
    CobsError,
    CrcMismatch,
    DeviceCodec,
    FrameTooLong,
    FrameTooShort,
    Rejected,
    decode_frame,
    decode_message,
    encode_message,
)
from irlink.protocol.codec import encode_error
from irlink.protocol.messages import PROTOCOL_MINOR, ErrorCode, ErrorReply, FrameKind
from irlink.protocol.plain import from_plain, to_plain
from irlink.spec import load_protocol
from irlink.spec._files import read_yaml
from tests.generated import assert_current

ROOT = Path(__file__).resolve().parents[2]
FILES = ["requests", "responses", "events", "errors", "edges", "v1_0"]
VECTORS = [(f, v) for f in FILES for v in read_yaml(f"vectors/{f}.yaml")]
MALFORMED = read_yaml("vectors/malformed.yaml")
FRAME_ERRORS = {
    "cobs_error": CobsError,
    "crc_mismatch": CrcMismatch,
    "frame_too_short": FrameTooShort,
    "frame_too_long": FrameTooLong,
}
REQUEST_BY_NAME = {cls.NAME: cls for cls in REQUESTS.values()}
EVENT_BY_NAME = {cls.NAME: cls for cls in EVENTS.values()}


def model_of(kind: str, name: str) -> type[Any]:
    if kind == "event":
        return EVENT_BY_NAME[name]
    if kind == "error":
        return ErrorReply
    return REQUEST_BY_NAME[name] if kind == "request" else REQUEST_BY_NAME[name].RESPONSE


@pytest.mark.parametrize(("file", "vector"), VECTORS, ids=[f"{f}: {v['name']}" for f, v in VECTORS])
def test_vector_decodes_to_its_meaning_and_encodes_to_its_bytes(
    file: str, vector: dict[str, Any]
) -> None:
    wire = bytes.fromhex(vector["hex"])
    minor = vector.get("minor", PROTOCOL_MINOR)
    frame = decode_frame(wire[:-1])
    assert FrameKind(frame.kind).name.lower() == vector["kind"]
    assert frame.seq == vector["seq"]
    message = decode_message(frame, minor)
    assert type(message) is model_of(vector["kind"], vector["message"])
    assert to_plain(message, minor) == vector["fields"]
    # Keys too, in order: the fields are listed in wire order.
    assert list(to_plain(message, minor)) == list(vector["fields"])
    expected = from_plain(type(message), vector["fields"])
    if vector["kind"] == "error":
        assert frame.msg_id == REQUEST_BY_NAME[vector["message"]].MSG_ID
        assert encode_error(vector["seq"], frame.msg_id, expected) == wire
    else:
        assert encode_message(expected, vector["seq"], minor) == wire


@pytest.mark.parametrize(
    ("file", "vector"),
    [(f, v) for f, v in VECTORS if "minor" in v],
    ids=[v["name"] for _, v in VECTORS if "minor" in v],
)
def test_a_1_0_vector_is_refused_at_the_1_1_layout_except_device_info(
    file: str, vector: dict[str, Any]
) -> None:
    """A body of the older layout is not mistaken for the newer one, and vice versa."""
    frame = decode_frame(bytes.fromhex(vector["hex"])[:-1])
    if vector["message"] == "get_info" and vector["kind"] == "response":
        # device_info says which revision it is: read alike whatever the host expects.
        assert decode_message(frame) == decode_message(frame, 0)
        assert decode_message(frame).protocol_minor is None  # type: ignore[union-attr]
        return
    with pytest.raises(BadLength):
        decode_message(frame)


@pytest.mark.parametrize("vector", MALFORMED, ids=[v["name"] for v in MALFORMED])
def test_malformed_vector_produces_its_error(vector: dict[str, Any]) -> None:
    wire = bytes.fromhex(vector["hex"])
    device = DeviceCodec()
    if vector["error"] in FRAME_ERRORS:
        with pytest.raises(FRAME_ERRORS[vector["error"]]):
            decode_frame(wire[:-1])
        assert device.feed(wire) == []
        assert device.decoder.stats.dropped == 1
        assert vector["reply"] is None
        return
    [rejected] = device.feed(wire)
    assert isinstance(rejected, Rejected)
    assert rejected.error.code == ErrorCode[vector["error"].upper()]
    assert rejected.reply.hex(" ") == vector["reply"]["hex"]
    assert to_plain(decode_message(decode_frame(rejected.reply[:-1]))) == vector["reply"]["fields"]


def test_vectors_cover_every_message_event_and_error_code() -> None:
    spec = load_protocol()
    seen = {(v["kind"], v["message"]) for _, v in VECTORS}
    for m in spec.messages:
        assert ("request", m.name) in seen, m.name
        assert ("response", m.name) in seen, m.name
    for e in spec.events:
        assert ("event", e.name) in seen, e.name
    codes = {v["fields"]["code"] for _, v in VECTORS if v["kind"] == "error"}
    assert codes == set(spec.enums["error_code"].values)
    frame_errors = {v["error"] for v in MALFORMED}
    assert set(FRAME_ERRORS) <= frame_errors
    assert len(VECTORS) + len(MALFORMED) >= 40


def test_vectors_include_the_longest_frame_v1_allows() -> None:
    spec = load_protocol()
    room = spec.framing.max_payload - spec.header_size() - 2
    longest = max(spec.max_body_size(spec.body_fields(m.response)) for m in spec.messages)
    [vector] = [v for _, v in VECTORS if v["name"] == "maximum frame size"]
    body = decode_frame(bytes.fromhex(vector["hex"])[:-1]).body
    assert len(body) == longest <= room


def test_vector_files_are_what_the_generator_makes() -> None:
    assert_current("gen_vectors.py")
