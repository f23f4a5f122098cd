"""IRLink v1 without I/O: frames, message models and the host and device ends of a link.

>>> from irlink.protocol import HostCodec, GetStatusRequest
>>> seq, data = HostCodec().request(GetStatusRequest())
>>> data.hex(" ")
'02 01 02 01 04 02 2f ac 00'
"""

from __future__ import annotations

from irlink.protocol.body import decode_body, encode_body
from irlink.protocol.codec import (
    DeviceCodec,
    EventReceived,
    Garbled,
    HostCodec,
    Refusal,
    Rejected,
    Reply,
    RequestReceived,
    decode_message,
    encode_error,
    encode_message,
)
from irlink.protocol.errors import (
    BadFrameKind,
    BadLength,
    CobsError,
    CrcMismatch,
    FrameError,
    FrameTooLong,
    FrameTooShort,
    InvalidValue,
    MessageError,
    OutOfRange,
    UnknownMessage,
    UnsupportedVersion,
)
from irlink.protocol.framing import Frame, FrameDecoder, decode_frame, encode_frame
from irlink.protocol.messages import *  # noqa: F403  (the generated models are the API)
from irlink.protocol.messages import EVENTS, REQUESTS
from irlink.protocol.wire import Event, Message, Request, Response, WireModel

__all__ = [  # noqa: RUF022  (grouped by layer, not sorted)
    "Frame",
    "FrameDecoder",
    "decode_frame",
    "encode_frame",
    "encode_body",
    "decode_body",
    "encode_message",
    "encode_error",
    "decode_message",
    "HostCodec",
    "Reply",
    "Refusal",
    "EventReceived",
    "Garbled",
    "DeviceCodec",
    "RequestReceived",
    "Rejected",
    "FrameError",
    "CobsError",
    "CrcMismatch",
    "FrameTooShort",
    "FrameTooLong",
    "MessageError",
    "BadFrameKind",
    "UnsupportedVersion",
    "UnknownMessage",
    "BadLength",
    "OutOfRange",
    "InvalidValue",
    "WireModel",
    "Message",
    "Request",
    "Response",
    "Event",
    "REQUESTS",
    "EVENTS",
]
