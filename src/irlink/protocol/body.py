"""Message bodies to bytes and back.

The work is done by a codec compiled per model (:mod:`irlink.protocol._source`) that
checks exactly the model's own constraints, so a decoded message is as valid as one
pydantic built, at a fraction of the cost (a property test holds the two equal).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, TypeVar

from irlink.protocol._source import Decoder, Encoder, compiled
from irlink.protocol.errors import BadLength

M = TypeVar("M")


def encode_body(message: object) -> bytes:
    """The wire bytes of a message body."""
    return compiled(type(message)).encode(message)


def decode_body(cls: type[M], body: bytes) -> M:
    """Read a body of model ``cls``; raise BadLength, OutOfRange or InvalidValue if it is not."""
    result: M = reader(cls)(body)
    return result


def writer(cls: type[Any]) -> Encoder:
    """The function that writes bodies of ``cls`` (what :func:`encode_body` calls)."""
    return compiled(cls).encode


_READERS: dict[type[Any], Callable[[bytes], Any]] = {}


def reader(cls: type[Any]) -> Callable[[bytes], Any]:
    """The function that reads whole bodies of ``cls`` (what :func:`decode_body` calls)."""
    read = _READERS.get(cls)
    if read is None:
        codec = compiled(cls)
        read = _READERS[cls] = _reader(cls.__name__, codec.fixed, codec.decode)
    return read


def _reader(name: str, fixed: struct.Struct | None, decode: Decoder) -> Callable[[bytes], Any]:
    size = fixed.size if fixed is not None else None

    def read(body: bytes) -> Any:
        if size is not None and len(body) != size:
            # A fixed-size body (every v1 request) is judged on its length before its fields.
            raise BadLength(f"{name}: {len(body)} bytes; its body has {size}")
        try:
            message, end = decode(body, 0)
        except (struct.error, IndexError):
            # The generated decoders index past the end exactly where a body runs short.
            raise BadLength(f"{name}: the body ends early ({len(body)} bytes)") from None
        if end != len(body):
            raise BadLength(f"{name}: {len(body) - end} bytes after the end of the body")
        return message

    return read
