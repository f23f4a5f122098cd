"""Message bodies to bytes and back.

The work is done by a codec compiled per model (:mod:`irlink.protocol._source`) that
checks exactly the model's own constraints, so a decoded message is as valid as one
pydantic built, at a fraction of the cost (a property test holds the two equal).

Every function takes the ``minor`` revision whose layout to use (default: the newest
this code knows): a device of an older minor does not send the fields a later one
appended, and they read as ``None``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, TypeVar

from irlink.protocol._source import Encoder, compiled
from irlink.protocol.errors import BadLength
from irlink.protocol.messages import PROTOCOL_MINOR, GetInfoResponse

M = TypeVar("M")


def encode_body(message: object, minor: int = PROTOCOL_MINOR) -> bytes:
    """The wire bytes of a message body, as a device of revision 1.``minor`` sends it."""
    return compiled(type(message), minor).encode(message)


def decode_body(cls: type[M], body: bytes, minor: int = PROTOCOL_MINOR) -> M:
    """Read a body of model ``cls``; raise BadLength, OutOfRange or InvalidValue if it is not."""
    result: M = reader(cls, minor)(body)
    return result


def writer(cls: type[Any], minor: int = PROTOCOL_MINOR) -> Encoder:
    """The function that writes bodies of ``cls`` (what :func:`encode_body` calls)."""
    return compiled(cls, minor).encode


def reader(cls: type[Any], minor: int = PROTOCOL_MINOR) -> Callable[[bytes], Any]:
    """The function that reads whole bodies of ``cls`` (what :func:`decode_body` calls).

    ``device_info`` bodies are read by :func:`read_device_info` whatever the minor: they
    are what tells a host the device's minor in the first place.
    """
    if cls is GetInfoResponse:
        return read_device_info
    return compiled(cls, minor).read


def values_reader(
    cls: type[Any], minor: int = PROTOCOL_MINOR
) -> Callable[[bytes], tuple[Any, ...]]:
    """A :func:`reader` of ``cls`` that gives its field values, in field order, not the model.

    Bodies are checked exactly as :func:`reader` checks them, and the values are the
    ones the model would hold; a caller that turns them into another type at once
    (:class:`irlink.Status`) saves building the message first.
    """
    return compiled(cls, minor).read_values


def read_device_info(body: bytes) -> GetInfoResponse:
    """A ``get_info`` answer of any revision: the one body read before the minor is known.

    Its 1.0 fields never move; a body that ends after them is a 1.0 device's
    (``protocol_minor`` reads None). Otherwise ``protocol_minor`` follows them and the
    body is read at that minor. A minor newer than this code is read up to the fields
    this code knows, so that a host can say which revision the device speaks.
    """
    first = compiled(GetInfoResponse, 0)
    try:
        _, end = first.decode(body, 0)
    except (struct.error, IndexError):
        end = len(body)  # too short: the whole-body reader says so
    if end >= len(body):
        info: GetInfoResponse = first.read(body)
        return info
    minor = body[end]
    if minor <= PROTOCOL_MINOR:
        read: Callable[[bytes], GetInfoResponse] = compiled(GetInfoResponse, minor).read
        return read(body)
    try:
        info, _ = compiled(GetInfoResponse).decode(body, 0)
    except (struct.error, IndexError):
        raise BadLength(f"DeviceInfo: the body ends early ({len(body)} bytes)") from None
    return info
