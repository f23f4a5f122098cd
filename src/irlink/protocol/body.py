"""Message bodies to bytes and back.

The work is done by a codec compiled per model (:mod:`irlink.protocol._source`) that
checks exactly the model's own constraints, so a decoded message is as valid as one
pydantic built, at a fraction of the cost (a property test holds the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from irlink.protocol._source import Encoder, compiled

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


def reader(cls: type[Any]) -> Callable[[bytes], Any]:
    """The function that reads whole bodies of ``cls`` (what :func:`decode_body` calls)."""
    return compiled(cls).read


def values_reader(cls: type[Any]) -> Callable[[bytes], tuple[Any, ...]]:
    """A :func:`reader` of ``cls`` that gives its field values, in field order, not the model.

    Bodies are checked exactly as :func:`reader` checks them, and the values are the
    ones the model would hold; a caller that turns them into another type at once
    (:class:`irlink.Status`) saves building the message first.
    """
    return compiled(cls).read_values
