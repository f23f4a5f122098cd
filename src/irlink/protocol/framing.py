"""Frames: header + body + CRC-16, COBS-encoded and ended by a 0x00 delimiter.

Sans-I/O: :func:`encode_frame` returns bytes to write, :class:`FrameDecoder` takes
bytes in any chunking and returns the frames they complete.
"""

from __future__ import annotations

import struct
from binascii import crc_hqx
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from cobs import cobs

from irlink.protocol.errors import (
    CobsError,
    CrcMismatch,
    FrameError,
    FrameTooLong,
    FrameTooShort,
)
from irlink.protocol.messages import CRC_INIT, MAX_FRAME, MAX_PAYLOAD, PROTOCOL_VERSION

COBS_NATIVE: bool = bool(getattr(cobs, "_using_extension", False))
"""Whether COBS runs in C; pip builds it when a C compiler is present, else falls back."""

_new_tuple = tuple.__new__
_cobs_encode: Callable[[bytes], bytes] = cobs.encode
_cobs_decode: Callable[[bytes], bytes] = cobs.decode

HEADER = struct.Struct("<BBHB")
"""version, kind, seq, msg_id."""
_CRC = struct.Struct("<H")
CRC_SIZE = _CRC.size
MIN_PAYLOAD = HEADER.size + CRC_SIZE
MAX_ENCODED = MAX_FRAME - 1
"""Longest COBS packet between two delimiters."""
MAX_BODY = MAX_PAYLOAD - MIN_PAYLOAD


class Frame(NamedTuple):
    """One frame whose CRC checked out; the header is read, the body is still bytes."""

    kind: int
    seq: int
    msg_id: int
    body: bytes
    version: int = PROTOCOL_VERSION


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data``, as the frame trailer carries it."""
    return crc_hqx(data, CRC_INIT)


def encode_frame(frame: Frame) -> bytes:
    """The bytes of one frame on the link, delimiter included."""
    return frame_bytes(frame.kind, frame.seq, frame.msg_id, frame.body, frame.version)


def frame_bytes(
    kind: int, seq: int, msg_id: int, body: bytes, version: int = PROTOCOL_VERSION
) -> bytes:
    """:func:`encode_frame` without building a :class:`Frame` first (the send path)."""
    if len(body) > MAX_BODY:
        raise FrameTooLong(f"a body of {len(body)} bytes does not fit a frame (at most {MAX_BODY})")
    payload = HEADER.pack(version, kind, seq, msg_id) + body
    return _cobs_encode(payload + _CRC.pack(crc_hqx(payload, CRC_INIT))) + b"\0"


def content_bytes(content: bytes) -> bytes:
    """The bytes on the link of a payload given without its CRC (a sealed frame's, 1.2).

    The CRC is appended and the whole COBS-encoded and delimited, as for any frame.
    """
    if len(content) > MAX_PAYLOAD - CRC_SIZE:
        raise FrameTooLong(
            f"{len(content)} bytes before the CRC; a frame has at most {MAX_PAYLOAD - CRC_SIZE}"
        )
    return _cobs_encode(content + _CRC.pack(crc_hqx(content, CRC_INIT))) + b"\0"


def frame_content(frame: Frame) -> bytes:
    """The payload of a decoded frame without its CRC: the bytes the CRC covered."""
    return HEADER.pack(frame.version, frame.kind, frame.seq, frame.msg_id) + frame.body


def decode_frame(packet: bytes) -> Frame:
    """Read one COBS packet (the bytes between two delimiters) into a frame.

    Raises a :class:`FrameError` subclass for anything a receiver must drop.
    """
    if len(packet) > MAX_ENCODED:
        raise FrameTooLong(f"{len(packet)} encoded bytes; a frame has at most {MAX_ENCODED}")
    try:
        payload = _cobs_decode(packet)
    except cobs.DecodeError as exc:
        raise CobsError(f"not a COBS packet: {exc}") from None
    if len(payload) < MIN_PAYLOAD:
        raise FrameTooShort(f"{len(payload)} bytes; a frame has at least {MIN_PAYLOAD}")
    if len(payload) > MAX_PAYLOAD:
        raise FrameTooLong(f"{len(payload)} bytes; a frame has at most {MAX_PAYLOAD}")
    content = payload[:-2]
    computed = crc_hqx(content, CRC_INIT)
    if computed != payload[-2] | payload[-1] << 8:
        received = int.from_bytes(payload[-2:], "little")
        raise CrcMismatch(f"CRC {received:#06x} received, {computed:#06x} computed")
    version, kind, seq, msg_id = HEADER.unpack_from(content)
    # tuple.__new__ directly: the named tuple's own __new__ is a Python call on the hot path.
    frame: Frame = _new_tuple(Frame, (kind, seq, msg_id, content[5:], version))
    return frame


@dataclass(slots=True)
class DecoderStats:
    """What a :class:`FrameDecoder` has seen, for diagnostics and tests."""

    frames: int = 0
    cobs_errors: int = 0
    crc_errors: int = 0
    too_short: int = 0
    too_long: int = 0

    @property
    def dropped(self) -> int:
        """Frames dropped for any reason."""
        return self.cobs_errors + self.crc_errors + self.too_short + self.too_long


_COUNTERS: dict[type[FrameError], str] = {
    CobsError: "cobs_errors",
    CrcMismatch: "crc_errors",
    FrameTooShort: "too_short",
    FrameTooLong: "too_long",
}


class FrameDecoder:
    """Turns a byte stream into frames, dropping corrupt ones and resynchronising on 0x00.

    It holds at most one maximum-size frame of unfinished bytes: a longer run without a
    delimiter is dropped (counted as ``too_long``) up to the next delimiter.

    ``stats`` may be shared: a device with a decoder per link counts into one
    :class:`DecoderStats` for all of them.
    """

    def __init__(self, stats: DecoderStats | None = None) -> None:
        self._pending = b""
        self._skipping = False
        self.stats = DecoderStats() if stats is None else stats

    def feed(self, data: bytes) -> list[Frame]:
        """Every frame that ``data`` completes, in order."""
        packets = (self._pending + data).split(b"\0")
        self._pending = packets.pop()
        frames: list[Frame] = []
        for packet in packets:
            if self._skipping:
                self._skipping = False  # the tail of an overlong run ends here
                continue
            if not packet:
                continue  # idle delimiters between frames are allowed
            try:
                frames.append(decode_frame(packet))
            except FrameError as exc:
                name = _COUNTERS[type(exc)]
                setattr(self.stats, name, getattr(self.stats, name) + 1)
        if len(self._pending) > MAX_ENCODED:
            self._pending = b""
            if not self._skipping:
                self._skipping = True
                self.stats.too_long += 1
        self.stats.frames += len(frames)
        return frames

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for a delimiter."""
        return len(self._pending)
