"""Sealed frames: through the existing framing, refusing every forged, replayed or reordered one."""

from __future__ import annotations

import pytest

from irlink.protocol import DeviceCodec, FrameDecoder, HostCodec, Reply, decode_frame
from irlink.protocol.errors import FrameTooLong
from irlink.protocol.framing import Frame, content_bytes, frame_content
from irlink.protocol.messages import (
    MAX_PAYLOAD,
    FrameKind,
    GetStatusRequest,
    StartRequest,
    SubscribeRequest,
    SubscribeResponse,
)
from irlink.security import CounterExhausted, Forged, Opener, Replayed, Sealer, SessionKeys
from irlink.security.sealed import MAX_INNER_BODY, OVERHEAD

KEYS = SessionKeys.derive(bytes(range(32)))
PLAIN = {FrameKind.REQUEST, FrameKind.RESPONSE, FrameKind.ERROR, FrameKind.EVENT}


def sealed(sealer: Sealer, seq: int = 1) -> bytes:
    return sealer.seal(Frame(FrameKind.REQUEST, seq, StartRequest.MSG_ID, b"\x01\x92\x10"))


def flipped(wire: bytes, bit: int) -> bytes:
    """``wire`` with one bit of its sealed payload flipped and its CRC made to match."""
    content = bytearray(frame_content(decode_frame(wire[:-1])))
    content[bit // 8] ^= 1 << (bit % 8)
    return content_bytes(bytes(content))


def test_a_request_and_its_answer_round_trip_sealed_through_both_codecs() -> None:
    host, device = KEYS.host(), KEYS.device()
    host_codec, device_codec = HostCodec(), DeviceCodec()
    seq, plain = host_codec.request(SubscribeRequest(period_ms=1000))
    wire = host.sealer.seal_encoded(plain)
    assert b"\x00" not in wire[:-1]
    assert wire.endswith(b"\x00")
    [outer] = device_codec.decoder.feed(wire)
    assert outer.kind == FrameKind.SEALED
    inner = device.opener.open(outer)
    assert device_codec.read_request(inner) == SubscribeRequest(period_ms=1000)
    answer = device.sealer.seal_encoded(
        device_codec.response(seq, SubscribeResponse(period_ms=1000))
    )
    [incoming] = host_codec.feed(answer)  # a host codec alone cannot read it: sealed
    assert not isinstance(incoming, Reply)
    [outer] = FrameDecoder().feed(answer)
    assert host_codec.read(host.opener.open(outer)) == Reply(seq, SubscribeResponse(period_ms=1000))


def test_a_sealed_frame_is_21_bytes_longer_and_carries_at_most_228_bytes_of_body() -> None:
    plain = Frame(FrameKind.RESPONSE, 9, 0x30, bytes(MAX_INNER_BODY))
    wire = Sealer(KEYS.read).seal(plain)
    assert len(frame_content(decode_frame(wire[:-1]))) + 2 == MAX_PAYLOAD
    assert OVERHEAD == 21
    assert MAX_INNER_BODY == 228
    with pytest.raises(FrameTooLong):
        Sealer(KEYS.read).seal(plain._replace(body=bytes(MAX_INNER_BODY + 1)))


def test_the_counter_goes_up_by_one_per_frame_from_0() -> None:
    sealer = Sealer(KEYS.write)
    counters = []
    for _ in range(3):
        counters.append(sealer.counter)
        payload = frame_content(decode_frame(sealed(sealer)[:-1]))
        assert int.from_bytes(payload[2:6], "little") == counters[-1]
    assert counters == [0, 1, 2]


def test_a_bit_flipped_anywhere_in_the_payload_is_forged_and_changes_nothing() -> None:
    sealer, opener = Sealer(KEYS.write), Opener(KEYS.write)
    wire = sealed(sealer)
    bits = 8 * len(frame_content(decode_frame(wire[:-1])))
    decoder, plain = FrameDecoder(), []
    for bit in range(bits):
        [frame] = decoder.feed(flipped(wire, bit))  # its CRC matches: it reaches the receiver
        if frame.version == 1 and frame.kind in PLAIN:
            plain.append((frame.kind, bit))  # 4 -> 0: a plain request, refused as unauthorized
            continue
        with pytest.raises(Forged):
            opener.open(frame)
    assert plain == [(FrameKind.REQUEST, 8 + 2)]  # kind's bit 2, the only one
    assert (opener.forged, opener.opened, opener.last) == (bits - 1, 0, -1)
    [genuine] = decoder.feed(wire)
    assert opener.open(genuine).msg_id == StartRequest.MSG_ID  # no counter moved
    assert decoder.stats.crc_errors == 0


def test_a_corrupted_sealed_frame_is_a_corrupted_frame_dropped_by_the_framing() -> None:
    sealer, opener = Sealer(KEYS.write), Opener(KEYS.write)
    damaged = bytearray(sealed(sealer))
    damaged[10] ^= 0x04
    decoder = FrameDecoder()
    assert decoder.feed(bytes(damaged)) == []
    assert decoder.stats.crc_errors == 1
    [frame] = decoder.feed(sealed(sealer))  # the link reads on; the session goes on
    assert opener.open(frame).kind == FrameKind.REQUEST
    assert (opener.forged, opener.replayed) == (0, 0)


def test_a_replayed_or_reordered_frame_is_replayed_and_a_lost_one_only_skips() -> None:
    sealer, opener = Sealer(KEYS.write), Opener(KEYS.write)
    frames = [decode_frame(sealed(sealer, seq)[:-1]) for seq in range(6)]
    assert opener.open(frames[0]).seq == 0
    assert opener.open(frames[2]).seq == 2  # counter 1 was lost: accepted
    for old in (frames[2], frames[0], frames[1]):  # replayed, replayed, reordered
        with pytest.raises(Replayed):
            opener.open(old)
    assert opener.open(frames[5]).seq == 5
    with pytest.raises(Replayed):
        opener.open(frames[4])  # late: after 5, never accepted
    assert (opener.opened, opener.replayed, opener.forged, opener.last) == (3, 4, 0, 5)


def test_a_frame_of_the_other_direction_or_another_session_is_forged() -> None:
    host, device = KEYS.host(), KEYS.device()
    echo = decode_frame(sealed(host.sealer)[:-1])
    with pytest.raises(Forged):
        host.opener.open(echo)  # a host's own frame reflected back to it
    other = SessionKeys.derive(bytes(32)).device()
    with pytest.raises(Forged):
        other.opener.open(echo)  # recorded in one session, replayed into the next
    assert device.opener.open(echo).seq == 1


def test_a_sealed_frame_too_short_to_be_one_is_forged() -> None:
    opener = Opener(KEYS.write)
    with pytest.raises(Forged, match="too short"):
        opener.open(Frame(FrameKind.SEALED, 0, 0, bytes(10)))
    assert opener.forged == 1


@pytest.mark.parametrize(
    "frame",
    [
        Frame(FrameKind.REQUEST, 1, GetStatusRequest.MSG_ID, b""),
        Frame(FrameKind.SEALED, 1, 0, bytes(40), version=2),
        Frame(9, 1, 0, bytes(40)),
    ],
)
def test_anything_but_a_sealed_frame_of_version_1_is_forged(frame: Frame) -> None:
    opener = Opener(KEYS.write)
    with pytest.raises(Forged, match="not a sealed frame"):
        opener.open(frame)
    assert opener.forged == 1


def test_a_direction_stops_after_2_to_the_32_frames() -> None:
    sealer, opener = Sealer(KEYS.write, counter=2**32 - 1), Opener(KEYS.write)
    assert opener.open(decode_frame(sealed(sealer)[:-1])).seq == 1
    with pytest.raises(CounterExhausted):
        sealed(sealer)
