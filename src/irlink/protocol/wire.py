"""Wire-type markers and the base classes of every IRLink message model.

A field of a message model is annotated with its wire type, for example
``Annotated[int, U16, Field(ge=0, le=3600)]``; the codec reads these markers to
lay the field out on the wire. The models themselves are generated from
protocols/irlink-v1.yaml into :mod:`irlink.protocol.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class Int:
    """An integer on the wire: its struct format letter and its bounds."""

    name: str
    fmt: str
    low: int
    high: int


U8 = Int("u8", "B", 0, 0xFF)
U16 = Int("u16", "H", 0, 0xFFFF)
U32 = Int("u32", "I", 0, 0xFFFF_FFFF)
I8 = Int("i8", "b", -0x80, 0x7F)
I16 = Int("i16", "h", -0x8000, 0x7FFF)
I32 = Int("i32", "i", -0x8000_0000, 0x7FFF_FFFF)


@dataclass(frozen=True, slots=True)
class Bool:
    """A boolean on the wire: one byte, 0 or 1."""


BOOL = Bool()


@dataclass(frozen=True, slots=True)
class Ascii:
    """Printable ASCII text on the wire: a u8 length, then at most ``max_len`` bytes."""

    max_len: int


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list on the wire: a u8 count, then at most ``max_items`` items.

    ``item`` is the wire type of integer items; ``None`` means the items are message
    models, laid out one after the other.
    """

    max_items: int
    item: Int | None = None


WireType = Int | Bool | Ascii | ListOf


RECORD_CONFIG = ConfigDict(extra="forbid")
"""Config of list items (port status, usage record), which are pydantic dataclasses."""


class WireModel(BaseModel):
    """Base of every IRLink body and struct: immutable, and no field beyond the spec."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Message(WireModel):
    """A body that travels as a frame of its own."""

    MSG_ID: ClassVar[int]
    NAME: ClassVar[str]
    KIND: ClassVar[int]
    """The FrameKind value of the frames it travels in (a test holds it to the spec)."""


class Response(Message):
    """The body of a response frame."""

    KIND = 1


class Request(Message):
    """The body of a request frame; ``RESPONSE`` is the model of its answer."""

    KIND = 0
    RESPONSE: ClassVar[type[Response]]
    IDEMPOTENT: ClassVar[bool]


class Event(Message):
    """The body of an event frame, sent by the device unasked."""

    KIND = 3
