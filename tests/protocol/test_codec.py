"""The host and device ends of a link, talking to each other through bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irlink.protocol import (
    BadFrameKind,
    BadLength,
    DeviceCodec,
    EventReceived,
    Frame,
    Garbled,
    HostCodec,
    InvalidValue,
    OutOfRange,
    Refusal,
    Rejected,
    Reply,
    RequestReceived,
    UnknownMessage,
    UnsupportedVersion,
    decode_frame,
    encode_frame,
    encode_message,
)
from irlink.protocol.messages import (
    EVENTS,
    REQUESTS,
    ConfigureRequest,
    ErrorCode,
    FrameKind,
    GetStatusRequest,
    Mode,
    PadDetachedEvent,
    StartRequest,
    SubscribeRequest,
)
from irlink.protocol.wire import Event, Request, Response
from irlink.spec._files import read_yaml

E = ErrorCode
CONFIGURE = ConfigureRequest(
    port=1,
    duration_s=1800,
    intensity=2,
    mode=Mode.CONTINUOUS,
    pulse_hz=0,
    sham=False,
    setpoint_dc=0,
    override=False,
)


def test_a_request_reaches_the_device_and_its_answer_the_host() -> None:
    host, device = HostCodec(), DeviceCodec()
    seq, data = host.request(CONFIGURE)
    [received] = device.feed(data)
    assert received == RequestReceived(seq, CONFIGURE)
    [reply] = host.feed(device.response(seq, CONFIGURE.RESPONSE()))
    assert reply == Reply(seq, CONFIGURE.RESPONSE())


def test_host_numbers_requests_and_wraps_at_65535() -> None:
    host = HostCodec(first_seq=65534)
    seqs = [host.request(GetStatusRequest())[0] for _ in range(3)]
    assert seqs == [65534, 65535, 0]


def test_device_numbers_events_and_wraps_at_65535() -> None:
    host, device = HostCodec(), DeviceCodec(first_event_counter=65535)
    data = device.event(PadDetachedEvent(port=1)) + device.event(PadDetachedEvent(port=2))
    assert host.feed(data) == [
        EventReceived(65535, PadDetachedEvent(port=1)),
        EventReceived(0, PadDetachedEvent(port=2)),
    ]


def test_a_refusal_carries_the_code_field_and_limit() -> None:
    host, device = HostCodec(), DeviceCodec()
    seq, _ = host.request(CONFIGURE)
    [refusal] = host.feed(device.error(seq, CONFIGURE.MSG_ID, ErrorCode.OUT_OF_RANGE, 2, 3600))
    assert isinstance(refusal, Refusal)
    assert (refusal.seq, refusal.msg_id) == (seq, 0x10)
    assert (refusal.error.code, refusal.error.field, refusal.error.limit) == (
        ErrorCode.OUT_OF_RANGE,
        2,
        3600,
    )


@pytest.mark.parametrize(
    ("frame", "error", "code", "field", "limit"),
    [
        (Frame(FrameKind.REQUEST, 3, 2, b"", 2), UnsupportedVersion, E.UNSUPPORTED_VERSION, 0, 0),
        (Frame(FrameKind.RESPONSE, 3, 0x02, b""), BadFrameKind, E.BAD_FRAME, 0, 0),
        (Frame(FrameKind.EVENT, 3, 0x86, b"\x01"), BadFrameKind, E.BAD_FRAME, 0, 0),
        (Frame(9, 3, 0x02, b""), BadFrameKind, E.BAD_FRAME, 0, 0),
        (Frame(FrameKind.REQUEST, 3, 0x7F, b""), UnknownMessage, E.UNKNOWN_MESSAGE, 0, 0),
        (Frame(FrameKind.REQUEST, 3, 0x02, b"\x00"), BadLength, E.BAD_LENGTH, 0, 0),
        (Frame(FrameKind.REQUEST, 3, 0x11, b"\x01\x00\x00"), OutOfRange, E.OUT_OF_RANGE, 2, 1),
        (Frame(FrameKind.REQUEST, 3, 0x12, b"\x05"), OutOfRange, E.OUT_OF_RANGE, 1, 4),
        (
            Frame(FrameKind.REQUEST, 3, 0x10, bytes.fromhex("01 0807 02 03 0000 00 0000 00")),
            InvalidValue,
            E.INVALID_VALUE,
            4,
            0,
        ),
    ],
    ids=[
        "version",
        "response",
        "event",
        "kind9",
        "unknown",
        "length",
        "session0",
        "port5",
        "mode3",
    ],
)
def test_device_rejects_each_bad_request_with_the_error_the_spec_names(
    frame: Frame, error: type[Exception], code: ErrorCode, field: int, limit: int
) -> None:
    host = HostCodec()
    [rejected] = DeviceCodec().feed(encode_frame(frame))
    assert isinstance(rejected, Rejected)
    assert isinstance(rejected.error, error)
    assert (rejected.seq, rejected.msg_id) == (3, frame.msg_id)
    [refusal] = host.feed(rejected.reply)
    assert isinstance(refusal, Refusal)
    assert refusal.seq == 3
    assert (refusal.error.code, refusal.error.field, refusal.error.limit) == (code, field, limit)


def test_host_reports_an_intact_but_invalid_answer_as_garbled() -> None:
    host = HostCodec()
    seq, _ = host.request(SubscribeRequest(period_ms=1000))
    [garbled] = host.feed(encode_frame(Frame(FrameKind.RESPONSE, seq, 0x20, b"\x01")))
    assert isinstance(garbled, Garbled)
    assert garbled.frame.seq == seq
    assert isinstance(garbled.error, BadLength)


def test_host_does_not_accept_requests_from_a_device() -> None:
    [garbled] = HostCodec().feed(encode_message(GetStatusRequest(), 4))
    assert isinstance(garbled, Garbled)
    assert isinstance(garbled.error, BadFrameKind)


def test_one_frame_kind_per_base_class_and_every_message_registered() -> None:
    assert (Request.KIND, Response.KIND, Event.KIND) == (
        FrameKind.REQUEST,
        FrameKind.RESPONSE,
        FrameKind.EVENT,
    )
    for msg_id, request in REQUESTS.items():
        assert request.MSG_ID == request.RESPONSE.MSG_ID == msg_id
    for msg_id, event in EVENTS.items():
        assert msg_id == event.MSG_ID


def test_a_repeated_start_is_the_same_request_byte_for_byte_but_for_seq() -> None:
    """What makes a retried start harmless: the session id travels in the body, not in seq."""
    host, device = HostCodec(), DeviceCodec()
    start = StartRequest(port=1, session_id=77)
    (seq1, first), (seq2, second) = host.request(start), host.request(start)
    frame1, frame2 = (decode_frame(wire[:-1]) for wire in (first, second))
    assert (frame1.kind, frame1.msg_id, frame1.body) == (frame2.kind, frame2.msg_id, frame2.body)
    assert (frame1.seq, frame2.seq) == (seq1, seq2) == (seq1, seq1 + 1)
    received = device.feed(first + second)
    assert [r.message for r in received if isinstance(r, RequestReceived)] == [start, start]


# One answer frame of each response id, from protocols/vectors/responses.yaml.
def answers(minor: int) -> list[bytes]:
    """A real answer to every request, from the spec's vectors, as a 1.``minor`` device sends it."""
    by_id: dict[int, bytes] = {}
    for v in [*read_yaml("vectors/responses.yaml"), *read_yaml("vectors/v1_0.yaml")]:
        if v.get("minor", 1) == minor or (minor == 0 and v["message"] not in CHANGED_IN_1_1):
            by_id[decode_frame(bytes.fromhex(v["hex"])[:-1]).msg_id] = bytes.fromhex(v["hex"])
    return list(by_id.values())


CHANGED_IN_1_1 = {"get_info", "get_status", "clear_fault"}


def _host_outcome(codec: HostCodec, frame: Frame) -> object:
    [item] = codec.feed(encode_frame(frame))
    if isinstance(item, Garbled):
        return Garbled, type(item.error), item.error.field, item.error.limit
    return item


@settings(max_examples=300)
@given(
    version=st.sampled_from([0, 1, 1, 1, 2]),
    kind=st.sampled_from([0, 1, 1, 1, 2, 3, 7]),
    msg_id=st.sampled_from([*REQUESTS, *EVENTS, 0x00, 0x80, 0xFF]),
    body=st.one_of(st.just(b""), st.binary(max_size=60)),
    minor=st.sampled_from([0, 1]),
)
def test_host_reads_a_frame_the_same_before_and_after_its_id_was_read(
    version: int, kind: int, msg_id: int, body: bytes, minor: int
) -> None:
    """HostCodec.feed takes a response id's reader by id once it has read one: same result."""
    frame = Frame(kind, 7, msg_id, body, version)
    first = _host_outcome(HostCodec(minor=minor), frame)  # the long way: nothing read yet
    warm = HostCodec(minor=minor)
    for answer in answers(minor):  # a real answer of every id, from the spec's vectors
        warm.feed(answer)
    assert set(warm._answers) == set(REQUESTS)
    assert _host_outcome(warm, frame) == first
