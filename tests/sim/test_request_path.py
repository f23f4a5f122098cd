"""The device's path for a request: the same answers however often a request id was read.

After the first frame of each request id, DeviceCodec.read_request goes straight to that
id's reader, and hands out the one message a request without fields can be; the firmware
dispatches by id. These tests hold that path to the codec's general one (decode_message),
and the answers to the device's present state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from irlink.protocol import DeviceCodec, Reply, decode_body, encode_body
from irlink.protocol import codec as codec_module
from irlink.protocol.codec import Rejected, RequestReceived, decode_message
from irlink.protocol.errors import BadFrameKind, MessageError
from irlink.protocol.framing import Frame, encode_frame
from irlink.protocol.messages import (
    REQUESTS,
    ClearFaultRequest,
    FaultFlags,
    FrameKind,
    GetInfoRequest,
    GetStatusRequest,
    GetStatusResponse,
    HeartbeatRequest,
    ListPairingsRequest,
    PairSetupRequest,
    PairVerifyRequest,
    PauseRequest,
    ReadUsageLogRequest,
    RemovePairingRequest,
    ResumeRequest,
    StartRequest,
    StopRequest,
    SubscribeRequest,
)
from irlink.protocol.wire import Request
from irlink.sim.state import fault_flags
from tests.sim.rig import configure, make_rig

Outcome = Request | tuple[type[MessageError], int, int]

# One valid request of every id, to read before the frame under test.
VALID: list[Request] = [
    GetInfoRequest(),
    GetStatusRequest(),
    configure(),
    StartRequest(port=1, session_id=1),
    StopRequest(port=1),
    PauseRequest(port=1),
    ResumeRequest(port=1),
    ClearFaultRequest(port=1),
    SubscribeRequest(period_ms=0),
    HeartbeatRequest(interval_ms=0),
    ReadUsageLogRequest(from_index=0, max_count=1),
    PairSetupRequest(step=1, part=0, parts=1, data=()),
    PairVerifyRequest(step=1, part=0, parts=1, data=tuple(range(32))),
    ListPairingsRequest(),
    RemovePairingRequest(pairing_id=tuple(range(16))),
]


def test_there_is_a_valid_request_of_every_id() -> None:
    assert sorted(request.MSG_ID for request in VALID) == sorted(REQUESTS)


def general_path(frame: Frame) -> Outcome:
    """What a device makes of a frame, by the codec's general functions."""
    try:
        if frame.kind != FrameKind.REQUEST and frame.version == 1:
            raise BadFrameKind("a device accepts only requests")
        message = decode_message(frame)
    except MessageError as exc:
        return type(exc), exc.field, exc.limit
    assert isinstance(message, Request)
    return message


def device_path(codec: DeviceCodec, frame: Frame) -> Outcome:
    try:
        return codec.read_request(frame)
    except MessageError as exc:
        return type(exc), exc.field, exc.limit


@contextlib.contextmanager
def fresh_codec_tables() -> Iterator[None]:
    """As in a process whose devices have read no request yet."""
    with (
        mock.patch.dict(codec_module._REQUEST_READERS, clear=True),
        mock.patch.dict(codec_module._BODILESS_REQUESTS, clear=True),
    ):
        yield


@settings(max_examples=300)
@given(
    version=st.sampled_from([0, 1, 1, 1, 2]),
    kind=st.sampled_from([0, 0, 0, 1, 2, 3, 7]),
    msg_id=st.sampled_from([*REQUESTS, 0x00, 0x80, 0xFF]),
    body=st.one_of(st.just(b""), st.binary(max_size=12)),
)
def test_a_frame_reads_the_same_before_and_after_its_id_was_read(
    version: int, kind: int, msg_id: int, body: bytes
) -> None:
    codec = DeviceCodec()
    frame = Frame(kind, 7, msg_id, body, version)
    with fresh_codec_tables():
        first = device_path(codec, frame)
        for request in VALID:
            codec.read_request(Frame(FrameKind.REQUEST, 1, request.MSG_ID, encode_body(request)))
        assert first == device_path(codec, frame) == general_path(frame)
        [incoming] = codec.feed(encode_frame(frame))  # and feed, built on the same path
    if isinstance(first, tuple):
        assert isinstance(incoming, Rejected)
        assert (type(incoming.error), incoming.error.field, incoming.error.limit) == first
    else:
        assert incoming == RequestReceived(7, first)


def test_a_get_status_with_a_body_is_refused_after_good_ones_too() -> None:
    rig = make_rig("waistband")
    assert isinstance(rig.host.ask(GetStatusRequest()), Reply)
    assert rig.device.firmware is not None
    codec = rig.device.firmware.codec
    frame = Frame(FrameKind.REQUEST, 9, GetStatusRequest.MSG_ID, b"\x00")
    assert device_path(codec, frame) == general_path(frame)
    assert isinstance(general_path(frame), tuple)


@pytest.mark.parametrize("family", ["waistband", "multiport", "firmat"])
def test_each_get_status_reports_the_state_it_finds(family: str) -> None:
    rig = make_rig(family)
    before = rig.status()
    rig.device.set_sensor(1, "open")  # no time passes: only the state changed
    after = rig.status()
    assert after.ports[0].temp_dc != before.ports[0].temp_dc
    assert after.ports[0].faults == FaultFlags.SENSOR_OPEN
    assert rig.device.firmware is not None
    assert after == decode_body(GetStatusResponse, rig.device.firmware.status_body())


def test_fault_bits_beyond_the_defined_flags_are_kept() -> None:
    assert fault_flags(0x8000 | int(FaultFlags.INTERNAL)) == 0x8000 | FaultFlags.INTERNAL
    assert fault_flags(0) == FaultFlags(0)
