"""Sealed frames (IRLink 1.2): every frame of a verified session, encrypted and authenticated.

A sealed frame is an ordinary frame on the link, COBS and CRC included, whose payload is

    version 1 | kind 4 (sealed) | counter u32 LE | ChaCha20-Poly1305(inner) | tag (16)

with ``inner = kind | seq u16 LE | msg_id | body`` the frame it carries, nonce = four
zero bytes and the counter as u64 LE, and the first six bytes as associated data. Each
direction has its own key (:class:`~irlink.security.verify.SessionKeys`) and counter.
A :class:`Sealer` seals what one side sends; an :class:`Opener` opens what it receives
(frames from :class:`~irlink.protocol.framing.FrameDecoder`, whose CRC already checked)
and refuses, counting each, the forged and the replayed.

>>> from irlink.protocol import FrameDecoder
>>> from irlink.protocol.messages import FrameKind
>>> sealer, opener = Sealer(bytes(32)), Opener(bytes(32))
>>> wire = sealer.seal(Frame(FrameKind.REQUEST, 7, 0x02, b""))
>>> [frame] = FrameDecoder().feed(wire)
>>> frame.kind == FrameKind.SEALED, opener.open(frame)
(True, Frame(kind=0, seq=7, msg_id=2, body=b'', version=1))
>>> opener.open(frame)
Traceback (most recent call last):
...
irlink.security.errors.Replayed: sealed frame counter 0 is not above 0, the last accepted
"""

from __future__ import annotations

import struct
from binascii import crc_hqx
from collections.abc import Callable
from typing import NamedTuple

from cobs import cobs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from irlink.protocol.errors import FrameTooLong
from irlink.protocol.framing import CRC_SIZE, HEADER, Frame
from irlink.protocol.messages import CRC_INIT, MAX_PAYLOAD, PROTOCOL_VERSION, FrameKind
from irlink.security.errors import CounterExhausted, Forged, Replayed

__all__ = ["MAX_INNER_BODY", "OVERHEAD", "Channel", "Opener", "Sealer"]

_OUTER = struct.Struct("<BBI")  # version, kind, counter: the associated data
_INNER = struct.Struct("<BHB")  # kind, seq, msg_id
_NONCE = struct.Struct("<4xQ")
_TAG = 16
_SEALED = int(FrameKind.SEALED)
_MAX_COUNTER = 0xFFFF_FFFF
_CRC = struct.Struct("<H")
_cobs_encode: Callable[[bytes], bytes] = cobs.encode
_cobs_decode: Callable[[bytes], bytes] = cobs.decode
_new_tuple = tuple.__new__

OVERHEAD = _OUTER.size + _INNER.size + _TAG - HEADER.size
"""Bytes a sealed frame's payload has beyond the plain frame it carries: 21 (before COBS)."""
MAX_INNER_BODY = MAX_PAYLOAD - _OUTER.size - _INNER.size - _TAG - CRC_SIZE
"""The longest body a sealed frame carries: 228 bytes."""
_MAX_INNER = _INNER.size + MAX_INNER_BODY
_SHORTEST_BODY = _OUTER.size + _INNER.size + _TAG - HEADER.size  # a sealed frame's, decoded


class Sealer:
    """Seals the frames one side sends, numbering them from ``counter`` (0 after verify)."""

    def __init__(self, key: bytes, counter: int = 0) -> None:
        self._aead = ChaCha20Poly1305(key)
        self.counter = counter
        """The counter the next sealed frame takes."""

    def seal(self, frame: Frame) -> bytes:
        """The bytes on the link of ``frame`` sealed: COBS-encoded, delimiter included."""
        return self._seal(_INNER.pack(frame.kind, frame.seq, frame.msg_id) + frame.body)

    def seal_parts(self, kind: int, seq: int, msg_id: int, body: bytes) -> bytes:
        """:meth:`seal` of the frame with these parts, without building it first (sending)."""
        return self._seal(_INNER.pack(kind, seq, msg_id) + body)

    def seal_encoded(self, data: bytes) -> bytes:
        """Seal a plain frame already on its way to the link (a codec's output, delimited).

        The frame is the sender's own, so its CRC is not checked again: the inner frame
        is its payload without the version byte and the CRC.
        """
        return self._seal(_cobs_decode(data[:-1])[1:-CRC_SIZE])

    def _seal(self, inner: bytes) -> bytes:
        counter = self.counter
        if counter > _MAX_COUNTER:
            raise CounterExhausted("2**32 frames sealed under one key: verify the session again")
        if len(inner) > _MAX_INNER:
            raise FrameTooLong(
                f"a sealed frame carries a body of at most {MAX_INNER_BODY} bytes, not "
                f"{len(inner) - _INNER.size}"
            )
        self.counter = counter + 1
        header = _OUTER.pack(PROTOCOL_VERSION, _SEALED, counter)
        content = header + self._aead.encrypt(_NONCE.pack(counter), inner, header)
        return _cobs_encode(content + _CRC.pack(crc_hqx(content, CRC_INIT))) + b"\0"


class Opener:
    """Opens the sealed frames one side receives; counts what it opened and what it refused."""

    def __init__(self, key: bytes) -> None:
        self._aead = ChaCha20Poly1305(key)
        self.last = -1
        """The highest counter accepted so far (-1: none yet)."""
        self.opened = 0
        self.forged = 0
        self.replayed = 0

    def open(self, frame: Frame) -> Frame:
        """The frame a sealed ``frame`` carries; raise :class:`Forged` or :class:`Replayed`.

        In a verified session, give it every intact frame but the plain ones (version 1,
        kinds 0 to 3), which the deny-by-default rules handle: anything that is not a
        sealed frame whose tag matches is forged. The tag is checked before the counter,
        so ``replayed`` counts only frames that were authentic.
        """
        kind, seq, msg_id, body, version = frame
        if version != PROTOCOL_VERSION or kind != _SEALED:
            self.forged += 1
            raise Forged(f"version {version}, kind {kind}: not a sealed frame")
        if len(body) < _SHORTEST_BODY:
            self.forged += 1
            raise Forged(f"a sealed frame of {len(body) + 5} bytes is too short to be one")
        # The decoder read the counter's bytes as seq, msg_id and the body's first byte.
        counter = seq | msg_id << 16 | body[0] << 24
        header = _OUTER.pack(PROTOCOL_VERSION, _SEALED, counter)
        try:
            inner = self._aead.decrypt(_NONCE.pack(counter), body[1:], header)
        except InvalidTag:
            self.forged += 1
            raise Forged(f"sealed frame counter {counter}: the tag does not match") from None
        if counter <= self.last:
            self.replayed += 1
            raise Replayed(
                f"sealed frame counter {counter} is not above {self.last}, the last accepted"
            )
        self.last = counter
        self.opened += 1
        kind, seq, msg_id = _INNER.unpack_from(inner)
        opened: Frame = _new_tuple(Frame, (kind, seq, msg_id, inner[_INNER.size :], version))
        return opened


class Channel(NamedTuple):
    """One side of a verified session: its :class:`Sealer` and :class:`Opener`."""

    sealer: Sealer
    opener: Opener
