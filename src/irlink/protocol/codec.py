"""Messages to frames and back, and the two ends of a link: host and device.

:class:`HostCodec` and :class:`DeviceCodec` are sans-I/O: give them the bytes that
arrived, get typed messages back; ask them for the bytes of a message, write them
yourself. The simulated device and the host library use the same code.

Both ends work at a minor revision: a device sends the layouts of its own minor, and a
host reads them at the minor the device announced in ``device_info`` (1.0 bodies lack
the fields 1.1 appended, which read as ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from irlink.protocol.body import encode_body, reader, writer
from irlink.protocol.errors import (
    BadFrameKind,
    MessageError,
    UnknownMessage,
    UnsupportedVersion,
)
from irlink.protocol.framing import Frame, FrameDecoder, frame_bytes
from irlink.protocol.messages import (
    EVENTS,
    PROTOCOL_MINOR,
    PROTOCOL_VERSION,
    REQUESTS,
    ErrorCode,
    ErrorReply,
    FrameKind,
)
from irlink.protocol.wire import Event, Message, Request, Response

AnyMessage = Request | Response | Event | ErrorReply


def encode_message(message: Message, seq: int, minor: int = PROTOCOL_MINOR) -> bytes:
    """The frame of a request, response or event; ``seq`` is the event counter for events.

    ``minor`` is the revision whose layout the body takes (a device's own).
    """
    kind, msg_id, body = message_parts(message, minor)
    return frame_bytes(kind, seq, msg_id, body)


def message_parts(message: Message, minor: int = PROTOCOL_MINOR) -> tuple[int, int, bytes]:
    """The frame kind, message id and body of ``message`` at revision ``minor``."""
    key = (type(message), minor)
    sender = _SENDERS.get(key)
    if sender is None:
        cls = type(message)
        sender = _SENDERS[key] = (cls.KIND, cls.MSG_ID, writer(cls, minor))
    kind, msg_id, write = sender
    return kind, msg_id, write(message)


# Kind, id and body writer of each message class at each minor, looked up once.
_SENDERS: dict[tuple[type[Message], int], tuple[int, int, Callable[[Any], bytes]]] = {}


def encode_error(seq: int, msg_id: int, reply: ErrorReply) -> bytes:
    """The error frame refusing request ``msg_id`` sent with ``seq``."""
    return frame_bytes(FrameKind.ERROR, seq, msg_id, encode_body(reply))


# The body model of every (frame kind, message id) pair v1 defines; errors take any id.
_BODIES: dict[tuple[int, int], type[Any]] = {
    **{(FrameKind.REQUEST, i): request for i, request in REQUESTS.items()},
    **{(FrameKind.RESPONSE, i): request.RESPONSE for i, request in REQUESTS.items()},
    **{(FrameKind.EVENT, i): event for i, event in EVENTS.items()},
    **{(FrameKind.ERROR, i): ErrorReply for i in range(256)},
}
_READERS: dict[tuple[int, int, int], Callable[[bytes], Any]] = {}


def decode_message(frame: Frame, minor: int = PROTOCOL_MINOR) -> AnyMessage:
    """The typed body of a frame; raises a :class:`MessageError` the spec names.

    ``minor`` is the revision of the device that sent (or will read) it.
    """
    read = _reader_of(frame.kind, frame.msg_id, minor)
    if read is None:
        raise _unreadable(frame)
    if frame.version != PROTOCOL_VERSION:
        raise _unreadable(frame)
    message: AnyMessage = read(frame.body)
    return message


def _reader_of(kind: int, msg_id: int, minor: int) -> Callable[[bytes], Any] | None:
    key = (kind, msg_id, minor)
    read = _READERS.get(key)
    if read is None:
        cls = _BODIES.get((kind, msg_id))
        if cls is None:
            return None
        read = _READERS[key] = reader(cls, minor)
    return read


def _unreadable(frame: Frame) -> MessageError:
    if frame.version != PROTOCOL_VERSION:
        return UnsupportedVersion(
            f"protocol version {frame.version}; this side speaks version {PROTOCOL_VERSION}"
        )
    if frame.kind not in _PLAIN_KINDS:
        # A sealed frame (1.2) is opened by irlink.security before it reaches a codec.
        return BadFrameKind(f"frame kind {frame.kind} is not one of request/response/error/event")
    what = "event id" if frame.kind == FrameKind.EVENT else "message id"
    return UnknownMessage(f"{what} {frame.msg_id:#04x} is not in IRLink v1")


# What a host receives.
@dataclass(frozen=True, slots=True)
class Reply:
    """The device answered request ``seq``."""

    seq: int
    message: Response


@dataclass(frozen=True, slots=True)
class Refusal:
    """The device refused request ``seq`` (message ``msg_id``) with an error frame."""

    seq: int
    msg_id: int
    error: ErrorReply


@dataclass(frozen=True, slots=True)
class EventReceived:
    """The device sent an event; ``counter`` is its event counter."""

    counter: int
    message: Event


@dataclass(frozen=True, slots=True)
class Garbled:
    """An intact frame whose content breaks the spec (for a response: its request failed)."""

    frame: Frame
    error: MessageError


HostIncoming = Reply | Refusal | EventReceived | Garbled


class HostCodec:
    """The host end of a link: numbers requests, reads responses, errors and events.

    ``minor`` is the device's revision, from its ``device_info`` (until it is known,
    the newest this code reads).
    """

    def __init__(self, first_seq: int = 1, minor: int = PROTOCOL_MINOR) -> None:
        self._seq = first_seq & 0xFFFF
        self.decoder = FrameDecoder()
        self._minor = minor
        # The reader of each response id read so far, by id alone: feed's fast path.
        self._answers: dict[int, Callable[[bytes], Any]] = {}
        self._readers: dict[int, Callable[[bytes], Any]] = {}  # reader()'s, by request id

    @property
    def minor(self) -> int:
        """The minor revision whose layouts the device's bodies are read at."""
        return self._minor

    @minor.setter
    def minor(self, minor: int) -> None:
        if minor != self._minor:
            self._minor = minor
            self._answers = {}
            self._readers = {}

    def request(self, message: Request, seq: int | None = None) -> tuple[int, bytes]:
        """The sequence number given to ``message`` and the bytes to send.

        ``seq`` sends it again under the number it had (a sealed retry, IRLink 1.2).
        """
        seq, kind, msg_id, body = self.request_parts(message, seq)
        return seq, frame_bytes(kind, seq, msg_id, body)

    def request_parts(
        self, message: Request, seq: int | None = None
    ) -> tuple[int, int, int, bytes]:
        """:meth:`request` as the frame's parts, ``seq, kind, msg_id, body``: to seal."""
        if seq is None:
            seq = self._seq
            self._seq = (seq + 1) & 0xFFFF
        return (seq, *message_parts(message))

    def feed(self, data: bytes) -> list[HostIncoming]:
        """Everything the device said in ``data`` (and earlier unfinished bytes)."""
        return [self.read(frame) for frame in self.decoder.feed(data)]

    def read(self, frame: Frame) -> HostIncoming:
        """What one intact frame from the device (from :attr:`decoder`) says."""
        kind, seq, msg_id, body, version = frame
        # Answers are most of what comes: once an id has been read, its reader is taken
        # by id alone (as DeviceCodec.read_request does for requests).
        read = self._answers.get(msg_id) if kind == _RESPONSE else None
        if read is not None and version == PROTOCOL_VERSION:
            try:
                return Reply(seq, read(body))
            except MessageError as exc:
                return Garbled(frame, exc)
        return self._read_slowly(frame)

    def reader(self, request: type[Request]) -> Callable[[bytes], Any]:
        """The body reader of the response to ``request``, at the device's minor."""
        msg_id = request.MSG_ID
        read = self._readers.get(msg_id)
        if read is None:
            # A request of the spec by its id; any other (a test's, an extension's) by its
            # own response model.
            read = _reader_of(_RESPONSE, msg_id, self._minor) or reader(
                request.RESPONSE, self._minor
            )
            self._readers[msg_id] = read
        return read

    def _read_slowly(self, frame: Frame) -> HostIncoming:
        """What one frame from the device says, read the long way (first of its id, or not v1)."""
        try:
            if frame.kind == _REQUEST:
                raise BadFrameKind("the device sent a request; only hosts send requests")
            message = decode_message(frame, self._minor)
        except MessageError as exc:
            return Garbled(frame, exc)
        # decode_message chose the model by frame kind; the kind alone classifies it.
        if frame.kind == _EVENT:
            return EventReceived(frame.seq, cast(Event, message))
        if frame.kind == _RESPONSE:
            # decode_message has checked the version and made the reader of this id.
            self._answers[frame.msg_id] = _READERS[(frame.kind, frame.msg_id, self._minor)]
            return Reply(frame.seq, cast(Response, message))
        return Refusal(frame.seq, frame.msg_id, cast(ErrorReply, message))


_PLAIN_KINDS = frozenset({FrameKind.REQUEST, FrameKind.RESPONSE, FrameKind.ERROR, FrameKind.EVENT})
_REQUEST = int(FrameKind.REQUEST)  # plain ints: an enum member costs a lookup on 3.11
_RESPONSE = int(FrameKind.RESPONSE)
_EVENT = int(FrameKind.EVENT)


# What a device receives.
@dataclass(frozen=True, slots=True)
class RequestReceived:
    """The host sent request ``seq``; answer it with :meth:`DeviceCodec.response`."""

    seq: int
    message: Request


@dataclass(frozen=True, slots=True)
class Rejected:
    """An intact frame the device cannot serve; ``reply`` is the error frame to send back."""

    seq: int
    msg_id: int
    error: MessageError
    reply: bytes


DeviceIncoming = RequestReceived | Rejected


# The reader of each request id a device has read, by id alone: DeviceCodec.read_request's
# fast path for a well-formed request frame, with no key tuple and no checks to repeat.
# Only requests every revision has (1.0's) are kept here: a newer one is checked against
# the device's revision each time (pairing messages are rare; they can take the long way).
_REQUEST_READERS: dict[int, Callable[[bytes], Any]] = {}
# A request without fields (get_status, get_info) read once: its empty body can only ever
# read as this one frozen message, so it is handed out again instead of built anew.
_BODILESS_REQUESTS: dict[int, Request] = {}


def _first_request(frame: Frame, minor: int) -> Request:
    """What DeviceCodec.read_request does the first time, and for every frame it refuses."""
    if frame.version == PROTOCOL_VERSION:
        if frame.kind != FrameKind.REQUEST:
            raise BadFrameKind(f"a device accepts only requests, not frame kind {frame.kind}")
        since = getattr(REQUESTS.get(frame.msg_id), "SINCE", 0)
        if since > minor:
            raise UnknownMessage(
                f"message id {frame.msg_id:#04x} came with IRLink 1.{since}; "
                f"this device speaks 1.{minor}"
            )
    message = decode_message(frame)
    assert isinstance(message, Request)
    if type(message).SINCE:
        return message
    # decode_message has checked the version and made the reader of this request id.
    _REQUEST_READERS[frame.msg_id] = _READERS[(frame.kind, frame.msg_id, PROTOCOL_MINOR)]
    if not type(message).model_fields:
        _BODILESS_REQUESTS[frame.msg_id] = message
    return message


class DeviceCodec:
    """The device end of a link: reads requests, writes responses, errors and events.

    ``minor`` is the device's own revision: its responses and events take that layout.
    """

    def __init__(self, first_event_counter: int = 0, minor: int = PROTOCOL_MINOR) -> None:
        self._counter = first_event_counter & 0xFFFF
        self.decoder = FrameDecoder()
        self.minor = minor

    def feed(self, data: bytes) -> list[DeviceIncoming]:
        """Every request in ``data``, or the error reply each bad one must get."""
        out: list[DeviceIncoming] = []
        for frame in self.decoder.feed(data):
            try:
                message = self.read_request(frame)
            except MessageError as exc:
                out.append(self.rejected(frame, exc))
                continue
            out.append(RequestReceived(frame.seq, message))
        return out

    def read_request(self, frame: Frame) -> Request:
        """The request an intact frame (from :attr:`decoder`) carries.

        Raises the :class:`MessageError` that :meth:`rejected` turns into the error reply.
        """
        kind, _, msg_id, body, version = frame
        if kind == _REQUEST and version == PROTOCOL_VERSION:
            if not body:
                bodiless = _BODILESS_REQUESTS.get(msg_id)
                if bodiless is not None:
                    return bodiless
            read = _REQUEST_READERS.get(msg_id)
            if read is not None:
                message: Request = read(body)
                return message
        return _first_request(frame, self.minor)

    def rejected(self, frame: Frame, error: MessageError) -> Rejected:
        """What a device does with a frame :meth:`read_request` refused: the error reply."""
        seq, msg_id = frame.seq, frame.msg_id
        reply = ErrorReply(code=error.code, field=error.field, limit=error.limit)
        return Rejected(seq, msg_id, error, encode_error(seq, msg_id, reply))

    def response(self, seq: int, message: Response) -> bytes:
        """The bytes answering request ``seq``."""
        return encode_message(message, seq, self.minor)

    def error(
        self, seq: int, msg_id: int, code: ErrorCode, field: int = 0, limit: int = 0
    ) -> bytes:
        """The bytes refusing request ``seq`` with ``code``."""
        return encode_error(seq, msg_id, ErrorReply(code=code, field=field, limit=limit))

    def event(self, message: Event) -> bytes:
        """The bytes of an event, numbered with the next event counter."""
        counter = self._counter
        self._counter = (counter + 1) & 0xFFFF
        return encode_message(message, counter, self.minor)

    def event_body(self, msg_id: int, body: bytes) -> bytes:
        """The bytes of event ``msg_id`` whose body is already written, with the next counter."""
        counter = self._counter
        self._counter = (counter + 1) & 0xFFFF
        return frame_bytes(FrameKind.EVENT, counter, msg_id, body)

    def response_body(self, seq: int, msg_id: int, body: bytes) -> bytes:
        """The bytes answering request ``seq`` (message ``msg_id``) with a body already written."""
        return frame_bytes(FrameKind.RESPONSE, seq, msg_id, body)
