"""Wire-type markers and the base classes of every IRLink message model.

A field of a message model is annotated with its wire type, for example
``Annotated[int, U16, Field(ge=0, le=3600)]``; the codec reads these markers to
lay the field out on the wire. The models themselves are generated from
protocols/irlink-v1.yaml into :mod:`irlink.protocol.messages`.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import IntFlag
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema, core_schema


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


@dataclass(frozen=True, slots=True)
class Since:
    """The minor revision that appended a field to its body; older devices do not send it.

    Such a field is ``None`` in a message read from a device of an older minor.
    """

    minor: int


def optional_base(kind: Any) -> Any:
    """``T`` for a field typed ``T | None`` (one a minor revision appended), else ``kind``."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        [base] = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return base
    return kind


def since(metadata: list[Any]) -> int:
    """The minor revision that added a field, from its metadata (0: there from the start)."""
    for meta in metadata:
        if isinstance(meta, Since):
            return meta.minor
    return 0


class WireFlags(IntFlag):
    """Base of the spec's flag sets: a value with bits no revision names is never cached.

    ``IntFlag`` keeps every distinct value it has made for good, so a device sending all
    65,536 values of a u16 would grow the host by megabytes. A value of named bits only
    (a few hundred at most) is kept as usual; one with unknown bits is made afresh.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        member = super()._missing_(value)
        known: int = cls._flag_mask_  # type: ignore[attr-defined]  # set by enum for every Flag
        if isinstance(value, int) and value & ~known:
            cls._value2member_map_.pop(value, None)
        return member


class WireModel(BaseModel):
    """Base of every IRLink body and struct: immutable, and no field beyond the spec."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Message(WireModel):
    """A body that travels as a frame of its own."""

    MSG_ID: ClassVar[int]
    NAME: ClassVar[str]
    SINCE: ClassVar[int] = 0
    """The minor revision that added the message (0: there from the start)."""
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


def record_schema(cls: type[tuple[Any, ...]], handler: GetCoreSchemaHandler) -> CoreSchema:
    """Pydantic schema of a list item: validated as the named tuple it is, dumped as an object.

    List items (a port's status, a usage record) are typed named tuples: the codec packs
    and builds them at a fraction of a model's cost, and pydantic still validates every
    field when the message holding them is built.
    """
    schema: dict[str, Any] = dict(handler(cls))
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {
        name: core_schema.typed_dict_field(handler.generate_schema(hints[name]))
        for name in cls._fields  # type: ignore[attr-defined]
    }
    schema["serialization"] = core_schema.plain_serializer_function_ser_schema(
        _as_dict, return_schema=core_schema.typed_dict_schema(fields)
    )
    return typing.cast(CoreSchema, schema)


def _as_dict(record: Any) -> dict[str, Any]:
    result: dict[str, Any] = record._asdict()
    return result


def wire_fields(cls: type[Any]) -> dict[str, tuple[Any, list[Any]]]:
    """Each field of a body or list item: its Python type and its metadata, in wire order."""
    if issubclass(cls, BaseModel):
        return {n: (f.annotation, list(f.metadata)) for n, f in cls.model_fields.items()}
    hints = typing.get_type_hints(cls, include_extras=True)
    out: dict[str, tuple[Any, list[Any]]] = {}
    for name in cls._fields:
        base, *extras = typing.get_args(hints[name])
        metadata: list[Any] = []
        for extra in extras:
            metadata += extra.metadata if isinstance(extra, FieldInfo) else [extra]
        out[name] = (base, metadata)
    return out
