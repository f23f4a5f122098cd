"""The schema of protocols/irlink-v1.yaml, and the rules a valid protocol spec obeys."""

from __future__ import annotations

import binascii
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

INT_TYPES: dict[str, tuple[int, int, str]] = {
    "u8": (0, 0xFF, "B"),
    "u16": (0, 0xFFFF, "H"),
    "u32": (0, 0xFFFF_FFFF, "I"),
    "i8": (-0x80, 0x7F, "b"),
    "i16": (-0x8000, 0x7FFF, "h"),
    "i32": (-0x8000_0000, 0x7FFF_FFFF, "i"),
}
SCALAR_SIZES = {"u8": 1, "u16": 2, "u32": 4, "i8": 1, "i16": 2, "i32": 4, "bool": 1}
# A unit always shows in the field's name, so a reader of the wire never guesses it.
UNIT_SUFFIXES = {
    "s": "_s",
    "ms": "_ms",
    "dC": "_dc",
    "mV": "_mv",
    "pct": "_pct",
    "Hz": "_hz",
    "dmW/cm2": "_dmw_cm2",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CrcSpec(_Spec):
    """The frame check sequence."""

    name: str
    width: Literal[16]
    poly: int
    init: int
    refin: bool
    refout: bool
    xorout: int
    check: int
    covers: str

    @model_validator(mode="after")
    def _is_ccitt_false(self) -> CrcSpec:
        # The codec implements exactly CRC-16/CCITT-FALSE (binascii.crc_hqx); any other
        # parameters would make the code and the spec disagree silently.
        params = (self.poly, self.refin, self.refout, self.xorout)
        if params != (0x1021, False, False, 0):
            raise ValueError(
                "irlink implements CRC-16/CCITT-FALSE only (poly 0x1021, no reflection)"
            )
        if binascii.crc_hqx(b"123456789", self.init) != self.check:
            raise ValueError(
                f"crc check value {self.check:#06x} does not match init {self.init:#06x}"
            )
        return self


class FramingSpec(_Spec):
    """How messages become bytes on the link."""

    encoding: Literal["cobs"]
    delimiter: Literal[0]
    byte_order: Literal["little"]
    crc: CrcSpec
    max_payload: int = Field(ge=8, le=4096)
    max_frame: int

    @model_validator(mode="after")
    def _frame_fits_payload(self) -> FramingSpec:
        worst = self.max_payload + self.max_payload // 254 + 1 + 1  # COBS overhead + delimiter
        if self.max_frame != worst:
            raise ValueError(f"max_frame must be {worst} for max_payload {self.max_payload}")
        return self


class EnumSpec(_Spec):
    """Named values of a one-field choice; ``since`` names the values a minor revision added."""

    type: Literal["u8", "u16"]
    doc: str
    values: dict[str, int]
    since: dict[str, int] = {}


class FlagsSpec(_Spec):
    """Named bits of a bit set."""

    type: Literal["u8", "u16", "u32"]
    doc: str
    bits: dict[str, int]


class FieldSpec(_Spec):
    """One field of a body, in wire order."""

    name: str
    type: str
    doc: str = ""
    unit: str | None = None
    range: tuple[int, int] | None = None
    absent: int | None = None
    of: str | None = None
    max_items: int | None = Field(default=None, ge=1, le=255)
    max_len: int | None = Field(default=None, ge=1, le=255)
    since: int = Field(default=0, ge=0)
    """The minor revision that added the field at the end of its body (0: there from 1.0)."""


class StructSpec(_Spec):
    """A named group of fields used as a body or a list item."""

    doc: str
    fields: list[FieldSpec]


Body = list[FieldSpec] | str  # inline fields, or the name of a struct


class MessageSpec(_Spec):
    """A request the host sends and the response the device returns."""

    id: int = Field(ge=0x01, le=0x7F)
    name: str
    doc: str
    idempotent: bool
    request: Body
    response: Body
    since: int = Field(default=0, ge=0)


class EventSpec(_Spec):
    """A frame the device sends unasked."""

    id: int = Field(ge=0x80, le=0xFF)
    name: str
    doc: str
    body: Body
    since: int = Field(default=0, ge=0)


class ProtocolSpec(_Spec):
    """The whole wire protocol, as protocols/irlink-v1.yaml states it."""

    protocol: Literal["irlink"]
    version: int = Field(ge=1, le=255)
    minor: int = Field(ge=0, le=255)
    framing: FramingSpec
    header: list[FieldSpec]
    enums: dict[str, EnumSpec]
    flags: dict[str, FlagsSpec]
    structs: dict[str, StructSpec]
    messages: list[MessageSpec]
    events: list[EventSpec]

    def body_fields(self, body: Body) -> list[FieldSpec]:
        """The fields of a body, resolving a struct name."""
        return self.structs[body].fields if isinstance(body, str) else body

    def wire_type(self, type_name: str) -> str:
        """The integer type that carries a scalar, enum or flags field."""
        if type_name in self.enums:
            return self.enums[type_name].type
        if type_name in self.flags:
            return self.flags[type_name].type
        return type_name

    def max_body_size(self, fields: list[FieldSpec]) -> int:
        """The longest a body with these fields can be, in bytes."""
        total = 0
        for f in fields:
            if f.type == "string":
                total += 1 + (f.max_len or 0)
            elif f.type == "list":
                assert f.of is not None
                assert f.max_items is not None
                item = (
                    self.max_body_size(self.structs[f.of].fields)
                    if f.of in self.structs
                    else (SCALAR_SIZES[f.of])
                )
                total += 1 + f.max_items * item
            else:
                total += SCALAR_SIZES[self.wire_type(f.type)]
        return total

    def header_size(self) -> int:
        """Bytes of header before the body."""
        return self.max_body_size(self.header)

    @model_validator(mode="after")
    def _consistent(self) -> ProtocolSpec:
        problems: list[str] = []
        _check_names(self, problems)
        for where, fields in all_bodies(self):
            for f in fields:
                _check_field(self, f"{where}.{f.name}", f, problems)
        if problems:  # sizes mean nothing until every type is known
            raise ValueError("; ".join(problems))
        problems += _since_problems(self)
        for m in self.messages:
            # Devices judge a request's length before its fields, so it must be fixed, or
            # given by a count at a fixed offset: one list of integers that ends the body.
            fields = self.body_fields(m.request)
            variable = [i for i, f in enumerate(fields) if f.type in {"string", "list"}]
            if variable and (variable != [len(fields) - 1] or fields[-1].of not in INT_TYPES):
                problems.append(
                    f"{m.name}.request: a request body must have a fixed size, "
                    "or end with its one list, of integers"
                )
        room = self.framing.max_payload - self.header_size() - 2
        for where, fields in all_bodies(self):
            if where.startswith("structs."):
                continue
            size = self.max_body_size(fields)
            if size > room:
                problems.append(f"{where} can be {size} bytes; a body has room for {room}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def all_bodies(spec: ProtocolSpec) -> list[tuple[str, list[FieldSpec]]]:
    """Every field list of the spec, named by where it stands."""
    bodies = [("header", spec.header)]
    bodies += [(f"structs.{n}", s.fields) for n, s in spec.structs.items()]
    for m in spec.messages:
        bodies.append((f"{m.name}.request", spec.body_fields(m.request)))
        bodies.append((f"{m.name}.response", spec.body_fields(m.response)))
    bodies += [(f"event {e.name}", spec.body_fields(e.body)) for e in spec.events]
    return bodies


def _since_problems(spec: ProtocolSpec) -> list[str]:
    """A minor revision only appends: its fields end their body, in revision order."""
    problems = []
    for where, fields in all_bodies(spec):
        marks = [f.since for f in fields]
        if marks != sorted(marks):
            problems.append(f"{where}: a field added by a minor revision must follow older fields")
        if any(mark > spec.minor for mark in marks):
            problems.append(f"{where}: a field is marked since a minor newer than {spec.minor}")
        if where.endswith(".request") and any(marks):
            problems.append(f"{where}: request bodies have a fixed size; they never grow")
        variable = [f.name for f in fields if f.type in {"string", "list"} and f.since]
        if variable:
            problems.append(f"{where}: an added field must have a fixed size, not {variable}")
    for name, enum in spec.enums.items():
        unknown = set(enum.since) - set(enum.values)
        if unknown or any(not 0 < m <= spec.minor for m in enum.since.values()):
            problems.append(f"enum {name}: since names unknown values or minors: {enum.since}")
    items: list[MessageSpec | EventSpec] = [*spec.messages, *spec.events]
    for item in items:
        if item.since > spec.minor:
            problems.append(f"{item.name}: since {item.since} is newer than minor {spec.minor}")
    return problems


def _check_names(spec: ProtocolSpec, problems: list[str]) -> None:
    for kind, items in (("message", spec.messages), ("event", spec.events)):
        ids = [i.id for i in items]
        names = [i.name for i in items]
        if len(set(ids)) != len(ids):
            problems.append(f"two {kind}s share an id")
        if len(set(names)) != len(names):
            problems.append(f"two {kind}s share a name")
    types = [*spec.enums, *spec.flags, *spec.structs]
    if len(set(types)) != len(types) or set(types) & {*INT_TYPES, "bool", "string", "list"}:
        problems.append("enum, flags and struct names must be unique and not shadow wire types")
    for name, enum in spec.enums.items():
        low, high, _ = INT_TYPES[enum.type]
        if len(set(enum.values.values())) != len(enum.values):
            problems.append(f"enum {name} repeats a value")
        if any(not low <= v <= high for v in enum.values.values()):
            problems.append(f"enum {name} has a value that does not fit {enum.type}")
    for name, flags in spec.flags.items():
        width = SCALAR_SIZES[flags.type] * 8
        if len(set(flags.bits.values())) != len(flags.bits) or any(
            not 0 <= b < width for b in flags.bits.values()
        ):
            problems.append(f"flags {name} has repeated bits or bits beyond {flags.type}")
    for name in [*types, *(m.name for m in spec.messages), *(e.name for e in spec.events)]:
        if not _NAME.match(name):
            problems.append(f"{name!r} is not a lower_snake_case name")


def _check_field(spec: ProtocolSpec, where: str, f: FieldSpec, problems: list[str]) -> None:
    if not _NAME.match(f.name):
        problems.append(f"{where}: not a lower_snake_case name")
    if f.unit is not None:
        suffix = UNIT_SUFFIXES.get(f.unit)
        if suffix is None:
            problems.append(f"{where}: unknown unit {f.unit!r}; known: {sorted(UNIT_SUFFIXES)}")
        elif not f.name.endswith(suffix):
            problems.append(f"{where}: a field in {f.unit} must end in {suffix}")
    elif any(f.name.endswith(s) for s in UNIT_SUFFIXES.values()) and f.type != "list":
        problems.append(f"{where}: its name has a unit suffix but no unit")
    scalar = f.of if f.type == "list" else f.type
    if f.type == "list":
        if f.of is None or f.max_items is None:
            problems.append(f"{where}: a list needs `of` and `max_items`")
            return
        if f.of not in spec.structs and f.of not in INT_TYPES:
            problems.append(f"{where}: a list holds a struct or an integer type, not {f.of!r}")
            return
    elif f.type == "string":
        if f.max_len is None:
            problems.append(f"{where}: a string needs max_len")
        return
    elif f.of is not None or f.max_items is not None or f.max_len is not None:
        problems.append(f"{where}: of/max_items/max_len belong to lists and strings")
    assert scalar is not None
    known = {*INT_TYPES, "bool", *spec.enums, *spec.flags, *spec.structs}
    if scalar not in known:
        problems.append(f"{where}: unknown type {scalar!r}")
        return
    if f.range is not None:
        if scalar not in INT_TYPES:
            problems.append(f"{where}: only integer fields take a range")
            return
        low, high, _ = INT_TYPES[scalar]
        if not low <= f.range[0] <= f.range[1] <= high:
            problems.append(f"{where}: range {list(f.range)} does not fit {scalar}")
        i32_low, i32_high, _ = INT_TYPES["i32"]
        if not i32_low <= f.range[0] <= f.range[1] <= i32_high:
            problems.append(
                f"{where}: range bounds must fit i32, as error_reply.limit carries them"
            )
    if f.absent is not None and (scalar not in INT_TYPES or f.range is not None):
        problems.append(f"{where}: `absent` is a sentinel of an unranged integer field")
