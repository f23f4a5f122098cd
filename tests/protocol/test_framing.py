"""Frames: CRC, COBS, header, and the stream decoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irlink.protocol import (
    CobsError,
    CrcMismatch,
    Frame,
    FrameDecoder,
    FrameTooLong,
    FrameTooShort,
    decode_frame,
    encode_frame,
)
from irlink.protocol.framing import MAX_BODY, MAX_ENCODED, crc16
from irlink.protocol.messages import MAX_FRAME, FrameKind
from tests.protocol import reference

frames = st.builds(
    Frame,
    kind=st.integers(0, 255),
    seq=st.integers(0, 0xFFFF),
    msg_id=st.integers(0, 255),
    body=st.binary(max_size=MAX_BODY),
    version=st.integers(0, 255),
)


def test_crc_is_ccitt_false_by_its_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert reference.crc16_ccitt_false(b"123456789") == 0x29B1


@given(frames)
@settings(max_examples=500)
def test_frames_match_the_reference_encoder_and_decode_back(frame: Frame) -> None:
    wire = encode_frame(frame)
    assert wire == reference.frame(frame.version, frame.kind, frame.seq, frame.msg_id, frame.body)
    assert wire.count(0) == 1
    assert wire.endswith(b"\x00")
    assert decode_frame(wire[:-1]) == frame


def test_max_frame_is_the_worst_case_of_the_longest_payload() -> None:
    # COBS grows most on a payload without zeros: one code byte per 254 bytes, plus one.
    assert len(reference.cobs_encode(b"\x01" * 256)) + 1 == MAX_FRAME
    wire = encode_frame(Frame(FrameKind.RESPONSE, 0x0101, 1, b"\x01" * MAX_BODY))
    assert len(wire) <= MAX_FRAME


def test_a_body_too_long_for_a_frame_is_refused_when_encoding() -> None:
    with pytest.raises(FrameTooLong, match=f"at most {MAX_BODY}"):
        encode_frame(Frame(FrameKind.RESPONSE, 1, 1, bytes(MAX_BODY + 1)))


def test_each_kind_of_broken_frame_raises_its_own_error() -> None:
    good = encode_frame(Frame(FrameKind.REQUEST, 1, 2, b""))[:-1]
    with pytest.raises(CrcMismatch, match="received"):
        decode_frame(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(CobsError):
        decode_frame(bytes.fromhex("05 01 02"))
    with pytest.raises(FrameTooShort, match="at least 7"):
        decode_frame(bytes.fromhex("03 01 02"))
    with pytest.raises(FrameTooLong):
        decode_frame(b"\x01" * (MAX_ENCODED + 1))


def test_a_payload_over_the_maximum_is_too_long_even_when_its_encoding_fits() -> None:
    # 257 bytes with a zero every 100: COBS adds one byte, so 258 encoded bytes.
    payload = (b"\x01" * 99 + b"\x00") * 2 + b"\x01" * 57
    packet = reference.cobs_encode(payload)
    assert len(packet) == MAX_ENCODED
    with pytest.raises(FrameTooLong, match="at most 256"):
        decode_frame(packet)


def test_decoder_yields_frames_across_any_split() -> None:
    wire = b"".join(encode_frame(Frame(FrameKind.EVENT, i, 0x86, bytes([i]))) for i in range(1, 4))
    for cut in range(len(wire) + 1):
        decoder = FrameDecoder()
        got = decoder.feed(wire[:cut]) + decoder.feed(wire[cut:])
        assert [f.seq for f in got] == [1, 2, 3]


def test_decoder_skips_idle_delimiters_and_counts_drops() -> None:
    good = encode_frame(Frame(FrameKind.EVENT, 5, 0x87, b""))
    decoder = FrameDecoder()
    got = decoder.feed(b"\x00\x00" + b"\x03\x01\x02\x00" + good + b"\x05\x01\x00" + good)
    assert [f.seq for f in got] == [5, 5]
    assert decoder.stats.frames == 2
    assert decoder.stats.too_short == 1
    assert decoder.stats.cobs_errors == 1
    assert decoder.stats.dropped == 2


def test_decoder_drops_an_overlong_run_once_and_keeps_memory_bounded() -> None:
    decoder = FrameDecoder()
    for _ in range(100):
        assert decoder.feed(b"\x41" * 97) == []
        assert decoder.buffered <= MAX_ENCODED
    good = encode_frame(Frame(FrameKind.EVENT, 9, 0x87, b""))
    assert [f.seq for f in decoder.feed(b"\x00" + good)] == [9]
    assert decoder.stats.too_long == 1


def _zero_free_frame_of(length: int) -> Frame:
    """A frame whose whole payload (CRC included) has no zero byte."""
    for filler in range(1, 256):
        frame = Frame(FrameKind.RESPONSE, 0x0101, 0x02, bytes([filler]) * (length - 7), 1)
        payload = bytes([1, 1, 1, 1, 2]) + frame.body
        if 0 not in crc16(payload).to_bytes(2, "little"):
            return frame
    raise AssertionError("no zero-free CRC found")


def test_a_payload_ending_on_a_full_block_is_sent_canonically_and_read_both_ways() -> None:
    frame = _zero_free_frame_of(254)
    wire = encode_frame(frame)
    assert len(wire) == 1 + 254 + 1  # one code byte, 254 bytes, the delimiter: no trailing 01
    literal = reference.cobs_encode(reference.frame_payload(frame), canonical=False)
    assert literal == wire[:-1] + b"\x01"
    assert decode_frame(literal) == frame == decode_frame(wire[:-1])
