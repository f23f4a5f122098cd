"""Frame traces: every frame a link carries, one line each, written as it passes.

For bringing up firmware: ``irlink.connect(address, trace=sink)`` records each frame
sent and received, with the time, the direction, its bytes and what they mean::

    2025-06-01T10:00:00.123456Z send 02 01 02 01 04 02 2f ac 00  # request seq 1: get_status {}

``sink`` is a text stream (a line and a newline are written and flushed per frame) or
a function that takes each line. Bytes are cut into frames at their ``00`` delimiter;
a partial frame waits for the rest, and what never got its delimiter is written when
the link closes. Lines that start with ``#`` note the link opening and closing, and,
in a verified session (IRLink 1.2), what each sealed frame carries: the host knows it,
and writes the plain frame inside after the sealed one's line.
:func:`read_trace` reads such lines back (``irlink decode --file`` does), skipping
anything else in the text, such as log lines around a trace captured from stderr.

>>> lines = []
>>> tracer = FrameTracer(lines.append)
>>> tracer.sent(bytes.fromhex("02 01 02 01 04 02 2f ac"))  # no delimiter yet: waits
>>> tracer.sent(b"\\x00")
>>> print(lines[0][28:])
send 02 01 02 01 04 02 2f ac 00  # request seq 1: get_status {}
>>> [(frame.direction, frame.data.hex(" ")) for frame in read_trace(lines[0])]
[('send', '02 01 02 01 04 02 2f ac 00')]
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from irlink.connection import Connector
from irlink.errors import TransportError
from irlink.transport.base import Transport

__all__ = [
    "FrameTracer",
    "TraceSink",
    "TracedFrame",
    "TracedTransport",
    "describe_frame",
    "is_trace",
    "read_trace",
    "traced",
]

TraceSink = TextIO | Callable[[str], object]
Direction = Literal["send", "recv"]

_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?"
_STAMPED = re.compile(rf"^({_TIME})\s")
_LINE = re.compile(
    rf"^(?P<at>{_TIME})\s+(?P<direction>send|recv)\s+"
    r"(?P<hex>[0-9a-fA-F]{2}(?:\s+[0-9a-fA-F]{2})*)(?:\s+#.*)?\s*$"
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def describe_frame(packet: bytes) -> dict[str, Any]:
    """What one frame (its bytes without the ``00`` delimiter) means, as plain data.

    ``kind``, ``seq``, ``msg_id``, ``message`` and ``fields``; for an error reply also
    ``refuses`` (the request it refuses). A sealed frame (IRLink 1.2) is ``kind``
    ``sealed`` with its ``counter`` and ``sealed_bytes``: what it carries is encrypted.
    A body laid out as an older revision sends it (a 1.0 device's status) is read so,
    with ``minor`` saying which. A frame that breaks
    the spec has ``error`` (the exception's name) and ``detail`` instead of a message.
    """
    from irlink.protocol import BadLength, MessageError, decode_frame, decode_message  # noqa: PLC0415
    from irlink.protocol.errors import FrameError  # noqa: PLC0415
    from irlink.protocol.messages import (  # noqa: PLC0415
        PROTOCOL_MINOR,
        REQUESTS,
        ErrorReply,
        FrameKind,
        GetInfoResponse,
    )
    from irlink.protocol.plain import to_plain  # noqa: PLC0415

    try:
        frame = decode_frame(packet)
    except FrameError as exc:
        return {"hex": (packet + b"\x00").hex(" "), "error": type(exc).__name__, "detail": str(exc)}
    known = FrameKind._value2member_map_.get(frame.kind)
    kind = known.name.lower() if isinstance(known, FrameKind) else frame.kind
    if known == FrameKind.SEALED and frame.version == 1:
        # IRLink 1.2: encrypted; the counter is in the clear, the rest only its keys open.
        from irlink.protocol.framing import frame_content  # noqa: PLC0415

        content = frame_content(frame)
        return {
            "kind": kind,
            "counter": int.from_bytes(content[2:6], "little"),
            "sealed_bytes": max(0, len(content) - 6),
        }
    out: dict[str, Any] = {"kind": kind, "seq": frame.seq, "msg_id": frame.msg_id}
    minor = PROTOCOL_MINOR
    try:
        message = decode_message(frame)
    except BadLength as exc:
        # A body of an older revision's layout (a 1.0 device's status, say): read it so,
        # and say which revision it is.
        for minor in range(PROTOCOL_MINOR - 1, -1, -1):
            try:
                message = decode_message(frame, minor)
                break
            except MessageError:
                continue
        else:
            return out | {"error": type(exc).__name__, "detail": str(exc)}
        out["minor"] = minor
    except MessageError as exc:
        return out | {"error": type(exc).__name__, "detail": str(exc)}
    if isinstance(message, GetInfoResponse) and message.protocol_minor is None:
        minor = out["minor"] = 0  # a 1.0 device's device_info: it ends before 1.1's fields
    if isinstance(message, ErrorReply):
        refused = REQUESTS.get(frame.msg_id)
        out |= {"message": "error_reply", "refuses": refused.NAME if refused else frame.msg_id}
        return out | {"fields": to_plain(message)}
    return out | {"message": type(message).NAME, "fields": to_plain(message, minor)}


def _meaning(packet: bytes) -> str:
    if not packet:
        return "a lone delimiter"
    about = describe_frame(packet)
    if about.get("kind") == "sealed" and "counter" in about:
        return f"sealed counter {about['counter']}: {about['sealed_bytes']} bytes encrypted"
    if "error" in about:
        where = f"{about['kind']} seq {about['seq']}: " if "kind" in about else ""
        return f"{where}malformed, {about['error']}: {about['detail']}"
    refuses = f" of {about['refuses']}" if "refuses" in about else ""
    fields = json.dumps(about["fields"], separators=(", ", ": "))
    return f"{about['kind']} seq {about['seq']}: {about['message']}{refuses} {fields}"


class FrameTracer:
    """Cuts each direction's bytes into frames and writes a line per frame to ``sink``."""

    def __init__(self, sink: TraceSink, *, clock: Callable[[], str] = _now) -> None:
        if callable(sink):
            self._write: Callable[[str], object] = sink
        else:
            self._write = _stream_writer(sink)
        self._clock = clock
        self._partial: dict[Direction, bytes] = {"send": b"", "recv": b""}

    def sent(self, data: bytes) -> None:
        """Bytes the host sent."""
        self._bytes("send", data)

    def received(self, data: bytes) -> None:
        """Bytes the device sent."""
        self._bytes("recv", data)

    def note(self, text: str) -> None:
        """A ``#`` line: the link opened, closed."""
        self._write(f"# {self._clock()} {text}")

    def inner(self, direction: Direction, frame: bytes, counter: int) -> None:
        """A ``#`` line: what the sealed frame ``counter`` just sent or received carries.

        ``frame`` is the plain frame inside it (as its bytes on a link would be): the host
        opened it, or sealed it, with the session's keys, which never reach a trace.
        """
        self._write(
            f"# {self._clock()} {direction} sealed counter {counter} carries "
            f"{frame.hex(' ')}  # {_meaning(frame[:-1])}"
        )

    def opened(self, address: str) -> None:
        """A new link: partial frames of an old one are written and forgotten."""
        self.flush()
        self.note(f"link to {address} opened")

    def closed(self, address: str) -> None:
        """The link closed: a partial frame is written as it is."""
        self.flush()
        self.note(f"link to {address} closed")

    def flush(self) -> None:
        """Write what never got its delimiter, marked as incomplete."""
        for direction, rest in self._partial.items():
            if rest:
                self._partial[direction] = b""
                self._line(direction, rest, "incomplete: no 00 delimiter before the link closed")

    def _bytes(self, direction: Direction, data: bytes) -> None:
        pending = self._partial[direction] + data
        *frames, rest = pending.split(b"\x00")
        self._partial[direction] = rest
        for packet in frames:
            self._line(direction, packet + b"\x00", _meaning(packet))

    def _line(self, direction: Direction, data: bytes, meaning: str) -> None:
        self._write(f"{self._clock()} {direction} {data.hex(' ')}  # {meaning}")


def _stream_writer(stream: TextIO) -> Callable[[str], None]:
    def write(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return write


class TracedTransport(Transport):
    """A transport that shows every byte it carries to a :class:`FrameTracer`."""

    def __init__(self, inner: Transport, tracer: FrameTracer) -> None:
        # Not Transport.__init__: the state (closed, error, received bytes) is the traced
        # link's own, read through, never a copy that could disagree with it.
        self.inner = inner
        self.tracer = tracer
        self.address = inner.address
        self.closed = inner.closed

    @property
    def error(self) -> TransportError | None:
        """Why the traced link went down."""
        return self.inner.error

    @error.setter
    def error(self, value: TransportError | None) -> None:
        self.inner.error = value

    async def open(self) -> None:
        """Open the traced link."""
        await self.inner.open()

    async def write(self, data: bytes) -> None:
        """Send ``data``, traced first so that its answer never shows before it."""
        self.tracer.sent(data)
        await self.inner.write(data)

    def try_write(self, data: bytes) -> bool:
        """Send ``data`` now if the traced link takes it; traced if it did."""
        if self.inner.try_write(data):
            self.tracer.sent(data)
            return True
        return False

    async def close(self) -> None:
        """Close the traced link and write what is left."""
        await self.inner.close()
        self.tracer.closed(self.address)

    async def received(self) -> AsyncIterator[bytes]:
        """The traced link's bytes, each traced as it arrives."""
        async for data in self.inner.received():
            self.tracer.received(data)
            yield data

    def listen(self, callback: Callable[[bytes], None]) -> None:
        """Give received bytes to ``callback``, each traced first."""

        def traced_bytes(data: bytes) -> None:
            self.tracer.received(data)
            callback(data)

        self.inner.listen(traced_bytes)


def traced(connector: Connector, sink: TraceSink) -> Connector:
    """``connector``, with every link it opens traced to ``sink`` (one tracer for all)."""
    tracer = FrameTracer(sink)

    async def open_traced() -> Transport:
        transport = await connector()
        tracer.opened(transport.address)
        return TracedTransport(transport, tracer)

    return open_traced


@dataclass(frozen=True, slots=True)
class TracedFrame:
    """One frame read back from a trace: when, which way, and its bytes (delimiter included)."""

    line: int
    at: str
    direction: Direction
    data: bytes


def read_trace(text: str) -> Iterator[TracedFrame]:
    """The frames of a trace, in order; lines that are not trace lines are skipped.

    Raises ``ValueError`` naming the line for one that starts with a time but does not
    go on as a trace line does (bytes as hex pairs).
    """
    for number, line in enumerate(text.splitlines(), 1):
        found = _LINE.match(line)
        if found is None:
            if _STAMPED.match(line):
                raise ValueError(
                    f"line {number} starts like a trace line but is not one: {line[:60]!r}; "
                    "a trace line is TIME send|recv HEX BYTES [# meaning]"
                )
            continue
        direction: Direction = "send" if found["direction"] == "send" else "recv"
        yield TracedFrame(number, found["at"], direction, bytes.fromhex(found["hex"]))


def is_trace(text: str) -> bool:
    """Whether ``text`` holds trace lines (else it is frames as bare hex)."""
    return any(_STAMPED.match(line) for line in text.splitlines())
